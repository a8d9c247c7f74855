/**
 * ResNets with torchvision's parameter names: ResNet-18/34/50 (torchvision.models.resnet*, v1.5
 * bottlenecks with the stride on the 3x3 conv) and CIFAR-style ResNet-20/32/56 (He et al. 2016,
 * section 4.2: a 3x3 stem, three stages of 16/32/64 channels). The CIFAR models use the option-B
 * shortcut (1x1 conv + BN where the shape changes, named `downsample.0`/`downsample.1` as in
 * torchvision) so that both families share one block and one naming scheme.
 */
import type { Tensor } from '../tensor/tensor.js';
import { Sequential } from '../nn/container.js';
import { Conv2d } from '../nn/conv.js';
import { constant_, kaimingNormal_ } from '../nn/init.js';
import { Linear, checkSize } from '../nn/linear.js';
import { BatchNorm2d } from '../nn/normalization.js';
import { MaxPool2d } from '../nn/pooling.js';
import { Module } from '../nn/module.js';
import { Classifier, type HeadInit } from './classifier.js';

function conv3x3(inC: number, outC: number, stride = 1): Conv2d {
  return new Conv2d(inC, outC, 3, { stride, padding: 1, bias: false });
}

function conv1x1(inC: number, outC: number, stride = 1): Conv2d {
  return new Conv2d(inC, outC, 1, { stride, bias: false });
}

/** A residual block: (N, inplanes, H, W) -> (N, planes·expansion, H/stride, W/stride). */
interface Block extends Module {
  forward(x: Tensor): Tensor;
}

/**
 * Two 3x3 convs with a shortcut (torchvision BasicBlock).
 * @example
 * new BasicBlock(16, 32, 2, downsample).forward(x);
 */
export class BasicBlock extends Module implements Block {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | null;

  constructor(inplanes: number, planes: number, stride = 1, downsample: Sequential | null = null) {
    super();
    this.conv1 = this.registerModule('conv1', conv3x3(inplanes, planes, stride));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.downsample = downsample === null ? this.registerModule('downsample', null) : this.registerModule('downsample', downsample);
  }

  forward(x: Tensor): Tensor {
    const out = this.bn2.forward(this.conv2.forward(this.bn1.forward(this.conv1.forward(x)).relu()));
    const identity = this.downsample === null ? x : this.downsample.forward(x);
    return out.add(identity).relu();
  }
}

/**
 * 1x1 reduce, 3x3 (strided), 1x1 expand x4, with a shortcut (torchvision Bottleneck, v1.5).
 * @example
 * new Bottleneck(256, 64).forward(x); // (N, 256, H, W)
 */
export class Bottleneck extends Module implements Block {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly downsample: Sequential | null;

  constructor(inplanes: number, planes: number, stride = 1, downsample: Sequential | null = null) {
    super();
    this.conv1 = this.registerModule('conv1', conv1x1(inplanes, planes));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes, stride));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.conv3 = this.registerModule('conv3', conv1x1(planes, planes * 4));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d(planes * 4));
    this.downsample = downsample === null ? this.registerModule('downsample', null) : this.registerModule('downsample', downsample);
  }

  forward(x: Tensor): Tensor {
    let out = this.bn1.forward(this.conv1.forward(x)).relu();
    out = this.bn2.forward(this.conv2.forward(out)).relu();
    out = this.bn3.forward(this.conv3.forward(out));
    const identity = this.downsample === null ? x : this.downsample.forward(x);
    return out.add(identity).relu();
  }
}

type BlockClass = (typeof BasicBlock | typeof Bottleneck);

/** Options of the ResNet constructors. */
export interface ResNetOptions {
  /** Input channels (default 3; 1 for greyscale). */
  inChannels?: number;
  /** Output classes (default 1000 for ImageNet ResNets, 10 for CIFAR-style ones). */
  numClasses?: number;
  /** ImageNet ResNets only: a 3x3 stride-1 stem and no max-pool, for small images (28-64 px). */
  smallInput?: boolean;
}

/**
 * A ResNet: stem (conv1, bn1, relu[, maxpool]), stages layer1..layerK, global average pool, fc.
 * Convs start from kaiming_normal(fan_out, relu), BN from weight 1 / bias 0, fc from PyTorch's
 * Linear default, as torchvision does.
 * @example
 * const model = new ResNet(BasicBlock, [2, 2, 2, 2], [64, 128, 256, 512], { numClasses: 10 });
 */
export class ResNet extends Classifier {
  readonly headName = 'fc';
  protected readonly headInit: HeadInit = 'pytorch';
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly maxpool: MaxPool2d | null;
  readonly stages: Sequential[] = [];
  private fc: Linear;
  private inplanes: number;

  constructor(block: BlockClass, layers: readonly number[], widths: readonly number[], options: ResNetOptions & { stem: 'imagenet' | 'small' }) {
    super();
    const inChannels = options.inChannels ?? 3;
    const numClasses = options.numClasses ?? 1000;
    checkSize('ResNet', 'inChannels', inChannels);
    checkSize('ResNet', 'numClasses', numClasses);
    this.inplanes = widths[0];
    const small = options.stem === 'small';
    this.conv1 = this.registerModule('conv1', small ? conv3x3(inChannels, widths[0])
      : new Conv2d(inChannels, widths[0], 7, { stride: 2, padding: 3, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(widths[0]));
    this.maxpool = small ? null : this.registerModule('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }));
    layers.forEach((blocks, i) => {
      this.stages.push(this.registerModule(`layer${i + 1}`, this.makeLayer(block, widths[i], blocks, i === 0 ? 1 : 2)));
    });
    this.fc = this.registerModule('fc', new Linear(this.inplanes, numClasses));
    for (const [, m] of this.namedModules()) {
      if (m instanceof Conv2d) kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      else if (m instanceof BatchNorm2d && m.weight !== null && m.bias !== null) {
        constant_(m.weight, 1);
        constant_(m.bias, 0);
      }
    }
  }

  private makeLayer(block: BlockClass, planes: number, blocks: number, stride: number): Sequential {
    const out = planes * block.expansion;
    const downsample = stride !== 1 || this.inplanes !== out
      ? new Sequential(conv1x1(this.inplanes, out, stride), new BatchNorm2d(out)) : null;
    const layer = new Sequential(new block(this.inplanes, planes, stride, downsample));
    this.inplanes = out;
    for (let i = 1; i < blocks; i++) layer.append(new block(this.inplanes, planes));
    return layer;
  }

  get head(): Linear {
    return this.fc;
  }

  protected setHead(head: Linear): void {
    this.fc = this.registerModule('fc', head);
  }

  /**
   * Runs the stem and the stages: (N, C, H, W) -> (N, width, H', W') before pooling.
   * @example
   * model.featureMap(x).shape; // [N, 512, 2, 2]
   */
  featureMap(x: Tensor): Tensor {
    if (x.ndim !== 4) throw new Error(`ResNet: expected (N, C, H, W) input, got shape [${x.shape.join(', ')}]`);
    let y = this.bn1.forward(this.conv1.forward(x)).relu();
    if (this.maxpool !== null) y = this.maxpool.forward(y);
    for (const stage of this.stages) y = stage.forward(y);
    return y;
  }

  /** Global average pool of the feature map: (N, width). */
  features(x: Tensor): Tensor {
    return this.featureMap(x).mean([2, 3]);
  }
}

/** ImageNet ResNet constructors by depth. */
const IMAGENET: Record<18 | 34 | 50, [BlockClass, number[]]> = {
  18: [BasicBlock, [2, 2, 2, 2]],
  34: [BasicBlock, [3, 4, 6, 3]],
  50: [Bottleneck, [3, 4, 6, 3]],
};

function imagenetResNet(depth: 18 | 34 | 50, options: ResNetOptions): ResNet {
  const [block, layers] = IMAGENET[depth];
  return new ResNet(block, layers, [64, 128, 256, 512], { ...options, stem: options.smallInput ? 'small' : 'imagenet' });
}

/**
 * torchvision's resnet18 (11.7M parameters at 1000 classes); its state dict loads by name.
 * @example
 * const model = resnet18({ numClasses: 10, smallInput: true });
 */
export function resnet18(options: ResNetOptions = {}): ResNet {
  return imagenetResNet(18, options);
}

/**
 * torchvision's resnet34.
 * @example
 * const model = resnet34({ numClasses: 100 });
 */
export function resnet34(options: ResNetOptions = {}): ResNet {
  return imagenetResNet(34, options);
}

/**
 * torchvision's resnet50 (bottleneck blocks, v1.5).
 * @example
 * const model = resnet50();
 */
export function resnet50(options: ResNetOptions = {}): ResNet {
  return imagenetResNet(50, options);
}

/**
 * CIFAR-style ResNet of depth 6n+2 (n blocks per stage), 16/32/64 channels, 3x3 stem, no max-pool.
 * @example
 * const model = cifarResNet(20, { inChannels: 1, numClasses: 10 });
 */
export function cifarResNet(depth: number, options: Omit<ResNetOptions, 'smallInput'> = {}): ResNet {
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) {
    throw new Error(`cifarResNet: depth must be 6n+2 with n >= 1 (20, 32, 56, ...), got ${depth}`);
  }
  const n = (depth - 2) / 6;
  return new ResNet(BasicBlock, [n, n, n], [16, 32, 64], { numClasses: 10, ...options, stem: 'small' });
}

/**
 * ResNet-20 (0.27M parameters), the FMNIST-transfer model.
 * @example
 * const model = resnet20({ inChannels: 1, numClasses: 5 });
 */
export function resnet20(options: Omit<ResNetOptions, 'smallInput'> = {}): ResNet {
  return cifarResNet(20, options);
}

/**
 * ResNet-32.
 * @example
 * const model = resnet32({ inChannels: 1 });
 */
export function resnet32(options: Omit<ResNetOptions, 'smallInput'> = {}): ResNet {
  return cifarResNet(32, options);
}

/**
 * ResNet-56.
 * @example
 * const model = resnet56();
 */
export function resnet56(options: Omit<ResNetOptions, 'smallInput'> = {}): ResNet {
  return cifarResNet(56, options);
}
