"""PyTorch peer for the conv suite: conv2d forward, and forward + backward (input and weight
gradients), NCHW, no bias, for each shape, on the CPU or on the GPU at one precision.

    python3 torch_conv.py --shapes 4,64,56,56,64,3,3,1,1[;...] --threads 2 --repeat 5 --min-seconds 0.25
    python3 torch_conv.py --device cuda --precision float32|tf32|bf16 --shapes 128,64,56,56,64,3,3,1,1[;...]

A shape is N,C,H,W,K,R,S,stride,padding (groups 1, dilation 1). On the CPU everything is float32. On
cuda, float32 turns cuDNN's TF32 off (torch.backends.cudnn.allow_tf32 = False), tf32 turns it on
(PyTorch's default), and bf16 convolves bfloat16 copies (float32 accumulation); cudnn.benchmark stays at
its default (off), as in eager training, and every timed call ends with a synchronisation; with no CUDA
device the script exits 2 with a message on stderr. Prints {"torch": version, "threads": t, "device":
name, "results": [{"shape": [...], "fwd": seconds, "fwd_bwd": seconds}]} on stdout. Timing follows
benchmarks/lib/timing.mjs: one warm-up call, then at least REPEAT timed calls and MIN_SECONDS in all; the
median is reported.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def median_seconds(fn, repeat, min_seconds, sync):
    fn()
    sync()
    samples = []
    while len(samples) < repeat or (sum(samples) < min_seconds and len(samples) < 1000):
        t0 = time.perf_counter()
        fn()
        sync()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def time_conv(shape, device, precision, repeat, min_seconds):
    n, c, h, w, k, r, s, stride, pad = shape
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    gen = torch.Generator().manual_seed(42)
    x = (torch.rand(n, c, h, w, generator=gen) * 2 - 1).to(device, dtype).requires_grad_(True)
    weight = ((torch.rand(k, c, r, s, generator=gen) * 2 - 1) * 0.1).to(device, dtype).requires_grad_(True)
    with torch.no_grad():
        dy = torch.rand_like(F.conv2d(x, weight, stride=stride, padding=pad)) * 2 - 1
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def forward():
        with torch.no_grad():
            F.conv2d(x, weight, stride=stride, padding=pad)

    def forward_backward():
        x.grad = None
        weight.grad = None
        F.conv2d(x, weight, stride=stride, padding=pad).backward(dy)

    return (median_seconds(forward, repeat, min_seconds, sync),
            median_seconds(forward_backward, repeat, min_seconds, sync))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shapes", required=True)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--precision", choices=["float32", "tf32", "bf16"], default="float32")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=0.25)
    args = parser.parse_args()
    if args.device == "cuda":
        if not torch.cuda.is_available():
            print("torch_conv: no CUDA device", file=sys.stderr)
            sys.exit(2)
        torch.backends.cudnn.allow_tf32 = args.precision == "tf32"
    elif args.precision != "float32":
        print("torch_conv: --precision tf32/bf16 needs --device cuda", file=sys.stderr)
        sys.exit(2)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    results = []
    for text in args.shapes.split(";"):
        shape = [int(v) for v in text.split(",")]
        fwd, fwd_bwd = time_conv(shape, args.device, args.precision, args.repeat, args.min_seconds)
        results.append({"shape": shape, "fwd": fwd, "fwd_bwd": fwd_bwd})
    device = torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu"
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "device": device,
                      "results": results}))


if __name__ == "__main__":
    main()
