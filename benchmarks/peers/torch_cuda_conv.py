"""PyTorch CUDA peer for the conv suite on --device cuda: conv2d forward, and forward + backward (input
and weight gradients), NCHW, no bias, on the GPU at one precision, for each shape.

    python3 torch_cuda_conv.py --shapes 128,64,56,56,64,3,3,1,1[;...] --precision float32|tf32|bf16 --repeat 10 --min-seconds 0.25

A shape is N,C,H,W,K,R,S,stride,padding (groups 1, dilation 1). float32 turns cuDNN's TF32 off
(torch.backends.cudnn.allow_tf32 = False), tf32 turns it on (PyTorch's default), and bf16 convolves
bfloat16 copies (float32 accumulation). cudnn.benchmark stays at PyTorch's default (off), as in eager
training. Prints {"torch": version, "device": name, "cudnn": version, "results": [{"shape": [...],
"fwd": seconds, "fwd_bwd": seconds}]} on stdout; exits 2 with a message on stderr when there is no CUDA
device. Timing follows benchmarks/lib/timing.mjs: one warm-up call, then at least REPEAT timed calls and
MIN_SECONDS in all, each followed by a synchronisation; the median is reported.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def median_seconds(fn, repeat, min_seconds):
    fn()
    torch.cuda.synchronize()
    samples = []
    while len(samples) < repeat or (sum(samples) < min_seconds and len(samples) < 1000):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def time_conv(shape, precision, repeat, min_seconds):
    n, c, h, w, k, r, s, stride, pad = shape
    torch.backends.cudnn.allow_tf32 = precision == "tf32"
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    gen = torch.Generator().manual_seed(42)
    x = (torch.rand(n, c, h, w, generator=gen) * 2 - 1).to("cuda", dtype).requires_grad_(True)
    weight = ((torch.rand(k, c, r, s, generator=gen) * 2 - 1) * 0.1).to("cuda", dtype).requires_grad_(True)
    with torch.no_grad():
        dy = torch.rand_like(F.conv2d(x, weight, stride=stride, padding=pad)) * 2 - 1

    def forward():
        with torch.no_grad():
            F.conv2d(x, weight, stride=stride, padding=pad)

    def forward_backward():
        x.grad = None
        weight.grad = None
        F.conv2d(x, weight, stride=stride, padding=pad).backward(dy)

    return median_seconds(forward, repeat, min_seconds), median_seconds(forward_backward, repeat, min_seconds)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shapes", required=True)
    parser.add_argument("--precision", choices=["float32", "tf32", "bf16"], default="float32")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--min-seconds", type=float, default=0.25)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("torch_cuda_conv: no CUDA device", file=sys.stderr)
        sys.exit(2)
    results = []
    for text in args.shapes.split(";"):
        shape = [int(v) for v in text.split(",")]
        fwd, fwd_bwd = time_conv(shape, args.precision, args.repeat, args.min_seconds)
        results.append({"shape": shape, "fwd": fwd, "fwd_bwd": fwd_bwd})
    print(json.dumps({"torch": torch.__version__, "device": torch.cuda.get_device_name(0),
                      "cudnn": torch.backends.cudnn.version(), "results": results}))


if __name__ == "__main__":
    main()
