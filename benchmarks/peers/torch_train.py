"""PyTorch peer for the train suite: one training step (forward, cross-entropy, backward, SGD with
momentum 0.9) of a ResNet in train mode, on a fixed random batch, float32 CPU.

    /usr/bin/python3 torch_train.py --model resnet20 --batch 128 --threads 2 --repeat 5 --min-seconds 5

resnet20: CIFAR-style ResNet-20 (3x3 stem, 3 stages x 3 basic blocks, 16/32/64 channels, option-B
1x1 conv + BN shortcuts as Graft's), on 1x28x28, 10 classes. resnet18: torchvision's resnet18
(num_classes=10) on 3x32x32. Prints {"torch": version, "threads": t, "model", "batch",
"seconds": median step, "images_per_s", "peak_rss_mb", "profile"} on stdout; peak RSS is this
process's maxrss, taken before the optional --profile steps (whose table covers 3 steps).
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class CifarResNet(nn.Module):
    def __init__(self, n=3, in_channels=1, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, inplanes = [], 16
        for i, planes in enumerate([16, 32, 64]):
            blocks = []
            for b in range(n):
                blocks.append(BasicBlock(inplanes, planes, 2 if (b == 0 and i > 0) else 1))
                inplanes = planes
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(x.mean((2, 3)))


def build(model):
    if model == 'resnet20':
        return CifarResNet(), (1, 28, 28)
    if model == 'resnet18':
        return torchvision.models.resnet18(num_classes=10), (3, 32, 32)
    raise SystemExit(f'torch_train.py: unknown model {model}')


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--model', required=True)
    p.add_argument('--batch', type=int, required=True)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--repeat', type=int, default=5)
    p.add_argument('--min-seconds', type=float, default=5.0)
    p.add_argument('--profile', action='store_true', help='add an autograd-profiler table of 3 steps')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net, shape = build(a.model)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(a.batch, *shape) * 2 - 1
    y = torch.randint(0, 10, (a.batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), y).backward()
        opt.step()

    step(), step()  # warm-up: allocator and momentum buffers
    samples = []
    while len(samples) < a.repeat or (sum(samples) < a.min_seconds and len(samples) < 1000):
        t0 = time.perf_counter()
        step()
        samples.append(time.perf_counter() - t0)
    seconds = statistics.median(samples)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    profile = None
    if a.profile:
        with torch.autograd.profiler.profile() as prof:
            for _ in range(3):
                step()
        profile = prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=14)
    print(json.dumps({
        'torch': torch.__version__, 'threads': torch.get_num_threads(), 'model': a.model, 'batch': a.batch,
        'seconds': seconds, 'images_per_s': a.batch / seconds,
        'peak_rss_mb': peak_rss_mb, 'profile': profile,
    }))


if __name__ == '__main__':
    main()
