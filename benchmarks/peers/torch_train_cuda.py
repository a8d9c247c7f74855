"""PyTorch peer for the train_cuda suite: one training step (forward, cross-entropy, backward, SGD with
momentum 0.9) of a ResNet in train mode on a fixed random batch, float32 on CUDA, eager mode.

    python3 torch_train_cuda.py --model resnet18 --batch 128 --repeat 10 --min-seconds 5 [--tf32]

resnet18: torchvision's resnet18 (1000 classes) on 3x224x224. resnet20: the CIFAR-style ResNet-20 of
torch_train.py on 1x28x28, 10 classes. Without --tf32, TF32 is off for cuDNN and cuBLAS (float32 FMA,
Graft's precision); with it, PyTorch's defaults (cuDNN convolutions in TF32). cudnn.benchmark stays at
its default (off). Each timed step ends with torch.cuda.synchronize(). Prints {"torch", "cudnn",
"device", "model", "batch", "tf32", "seconds": median step, "images_per_s", "peak_device_mb"} on
stdout, or {"error": reason} when there is no CUDA device.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F
import torchvision

from torch_train import CifarResNet


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--model', required=True)
    p.add_argument('--batch', type=int, required=True)
    p.add_argument('--repeat', type=int, default=10)
    p.add_argument('--min-seconds', type=float, default=5.0)
    p.add_argument('--tf32', action='store_true', help="PyTorch's defaults: cuDNN convolutions in TF32")
    a = p.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({'error': f'torch {torch.__version__} sees no CUDA device'}))
        return
    torch.backends.cudnn.allow_tf32 = a.tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.manual_seed(0)
    dev = torch.device('cuda')
    if a.model == 'resnet18':
        net, shape, classes = torchvision.models.resnet18(num_classes=1000), (3, 224, 224), 1000
    elif a.model == 'resnet20':
        net, shape, classes = CifarResNet(), (1, 28, 28), 10
    else:
        raise SystemExit(f'torch_train_cuda.py: unknown model {a.model}')
    net = net.to(dev).train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(a.batch, *shape, device=dev) * 2 - 1
    y = (torch.arange(a.batch, device=dev) * 7) % classes

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), y).backward()
        opt.step()
        torch.cuda.synchronize()

    step(), step()  # warm-up: cuDNN handles, the caching allocator, momentum buffers
    samples = []
    while len(samples) < a.repeat or (sum(samples) < a.min_seconds and len(samples) < 1000):
        t0 = time.perf_counter()
        step()
        samples.append(time.perf_counter() - t0)
    seconds = statistics.median(samples)
    print(json.dumps({
        'torch': torch.__version__, 'cudnn': torch.backends.cudnn.version(), 'device': torch.cuda.get_device_name(0),
        'model': a.model, 'batch': a.batch, 'tf32': a.tf32, 'seconds': seconds, 'images_per_s': a.batch / seconds,
        'peak_device_mb': torch.cuda.max_memory_allocated() / 2 ** 20,
    }))


if __name__ == '__main__':
    main()
