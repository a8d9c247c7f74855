"""PyTorch peer for the gemm suite: square C = A @ B (float32) at each size.

    python3 torch_gemm.py --sizes 256,512 --threads 2 --repeat 5 --min-seconds 0.25 [--device cpu|cuda]

Prints {"torch": version, "results": [{"n": N, "seconds": median}]} on stdout. Timing follows
benchmarks/lib/timing.mjs: one warm-up call, then at least REPEAT timed calls and MIN_SECONDS in all.
"""
import argparse
import json
import statistics
import time

import torch


def time_gemm(n, device, repeat, min_seconds):
    gen = torch.Generator().manual_seed(42)
    a = (torch.rand(n, n, generator=gen) * 2 - 1).to(device)
    b = (torch.rand(n, n, generator=gen) * 2 - 1).to(device)
    c = torch.empty(n, n, device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    torch.matmul(a, b, out=c)
    sync()
    samples = []
    while len(samples) < repeat or (sum(samples) < min_seconds and len(samples) < 1000):
        t0 = time.perf_counter()
        torch.matmul(a, b, out=c)
        sync()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", required=True)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=0.25)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        results.append({"n": n, "seconds": time_gemm(n, args.device, args.repeat, args.min_seconds)})
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()
