"""PyTorch peer for the conv suite: conv2d forward, and forward + backward (input and weight
gradients), float32 NCHW, no bias, for each shape.

    python3 torch_conv.py --shapes 4,64,56,56,64,3,3,1,1[;...] --threads 2 --repeat 5 --min-seconds 0.25

A shape is N,C,H,W,K,R,S,stride,padding (groups 1, dilation 1). Prints
{"torch": version, "threads": t, "results": [{"shape": [...], "fwd": seconds, "fwd_bwd": seconds}]}
on stdout. Timing follows benchmarks/lib/timing.mjs: one warm-up call, then at least REPEAT timed
calls and MIN_SECONDS in all; the median is reported.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F


def median_seconds(fn, repeat, min_seconds):
    fn()
    samples = []
    while len(samples) < repeat or (sum(samples) < min_seconds and len(samples) < 1000):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def time_conv(shape, repeat, min_seconds):
    n, c, h, w, k, r, s, stride, pad = shape
    gen = torch.Generator().manual_seed(42)
    x = (torch.rand(n, c, h, w, generator=gen) * 2 - 1).requires_grad_(True)
    weight = ((torch.rand(k, c, r, s, generator=gen) * 2 - 1) * 0.1).requires_grad_(True)
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
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=0.25)
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    results = []
    for text in args.shapes.split(";"):
        shape = [int(v) for v in text.split(",")]
        fwd, fwd_bwd = time_conv(shape, args.repeat, args.min_seconds)
        results.append({"shape": shape, "fwd": fwd, "fwd_bwd": fwd_bwd})
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()
