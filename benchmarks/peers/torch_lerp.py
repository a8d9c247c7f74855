"""PyTorch peer for the lerp suite: out = torch.lerp(a, b, w) (float32, w a tensor) at each length.

    python3 torch_lerp.py --sizes 65536,1048576 --threads 2 --repeat 5 --min-seconds 0.25

Prints {"torch": version, "results": [{"n": N, "seconds": median}]} on stdout. Timing follows
benchmarks/lib/timing.mjs: one warm-up call, then at least REPEAT timed calls and MIN_SECONDS in all.
"""
import argparse
import json
import statistics
import time

import torch


def time_lerp(n, repeat, min_seconds):
    gen = torch.Generator().manual_seed(42)
    a, b, w = (torch.rand(n, generator=gen) * 2 - 1 for _ in range(3))
    out = torch.empty(n)
    torch.lerp(a, b, w, out=out)
    samples = []
    while len(samples) < repeat or (sum(samples) < min_seconds and len(samples) < 1000):
        t0 = time.perf_counter()
        torch.lerp(a, b, w, out=out)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", required=True)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=0.25)
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    results = [{"n": n, "seconds": time_lerp(n, args.repeat, args.min_seconds)}
               for n in (int(s) for s in args.sizes.split(","))]
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()
