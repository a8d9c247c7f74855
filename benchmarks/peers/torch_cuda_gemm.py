"""PyTorch CUDA peer for the cuda_gemm suite: square C = A @ B on the GPU at one precision.

    python3 torch_cuda_gemm.py --sizes 1024,2048 --precision float32|tf32|bf16 --repeat 10 --min-seconds 0.25

float32 turns TF32 off (torch.backends.cuda.matmul.allow_tf32 = False), tf32 turns it on, and bf16
multiplies bfloat16 copies of the inputs (cuBLAS accumulates in float32). Prints
{"torch": version, "device": name, "results": [{"n": N, "seconds": median}]} on stdout; exits 2 with a
message on stderr when there is no CUDA device. Timing follows benchmarks/lib/timing.mjs: one warm-up
call, then at least REPEAT timed calls and MIN_SECONDS in all, each followed by a synchronisation.
"""
import argparse
import json
import statistics
import sys
import time

import torch


def time_gemm(n, precision, repeat, min_seconds):
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    gen = torch.Generator().manual_seed(42)
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    a = (torch.rand(n, n, generator=gen) * 2 - 1).to("cuda", dtype)
    b = (torch.rand(n, n, generator=gen) * 2 - 1).to("cuda", dtype)
    c = torch.empty(n, n, device="cuda", dtype=dtype)
    torch.matmul(a, b, out=c)
    torch.cuda.synchronize()
    samples = []
    while len(samples) < repeat or (sum(samples) < min_seconds and len(samples) < 1000):
        t0 = time.perf_counter()
        torch.matmul(a, b, out=c)
        torch.cuda.synchronize()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", required=True)
    parser.add_argument("--precision", choices=["float32", "tf32", "bf16"], default="float32")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--min-seconds", type=float, default=0.25)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("torch_cuda_gemm: no CUDA device", file=sys.stderr)
        sys.exit(2)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = [{"n": n, "seconds": time_gemm(n, args.precision, args.repeat, args.min_seconds)} for n in sizes]
    print(json.dumps({"torch": torch.__version__, "device": torch.cuda.get_device_name(0), "results": results}))


if __name__ == "__main__":
    main()
