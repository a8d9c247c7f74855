/**
 * MaxPool2d, AvgPool2d and AdaptiveAvgPool2d. x (N,C,H,W), y (N,C,P,Q).
 */
import type { Tensor } from '../tensor/tensor.js';
import { pair, type Pair } from './conv.js';
import * as F from '../ops/functional.js';
import { checkSize } from './linear.js';
import { Module } from './module.js';

/** Options of the fixed-window pools. */
export interface Pool2dOptions {
  /** Window step (default: the kernel size). */
  stride?: Pair;
  padding?: Pair;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
}

/** Options of {@link MaxPool2d}. */
export interface MaxPool2dOptions extends Pool2dOptions {
  dilation?: Pair;
}

/** Options of {@link AvgPool2d}. */
export interface AvgPool2dOptions extends Pool2dOptions {
  /** Count padding zeros in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

function checkWindow(layer: string, kernel: [number, number], stride: [number, number], padding: [number, number]): void {
  for (const v of kernel) checkSize(layer, 'kernelSize', v);
  for (const v of stride) checkSize(layer, 'stride', v);
  for (let i = 0; i < 2; i++) {
    checkSize(layer, 'padding', padding[i], true);
    if (padding[i] * 2 > kernel[i]) throw new Error(`${layer}: padding ${padding[i]} must be at most half the kernel size ${kernel[i]}`);
  }
}

/**
 * Maximum over each window.
 * @example
 * new MaxPool2d(3, { stride: 2, padding: 1 }).forward(x); // torchvision ResNet stem
 */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly ceilMode: boolean;

  constructor(kernelSize: Pair, options: MaxPool2dOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? kernelSize);
    this.padding = pair(options.padding ?? 0);
    this.dilation = pair(options.dilation ?? 1);
    this.ceilMode = options.ceilMode ?? false;
    checkWindow('MaxPool2d', this.kernelSize, this.stride, this.padding);
  }

  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, {
      stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode,
    });
  }
}

/**
 * Mean over each window.
 * @example
 * new AvgPool2d(2).forward(x); // halves H and W
 */
export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;

  constructor(kernelSize: Pair, options: AvgPool2dOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? kernelSize);
    this.padding = pair(options.padding ?? 0);
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
    checkWindow('AvgPool2d', this.kernelSize, this.stride, this.padding);
  }

  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, {
      stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad,
    });
  }
}

/**
 * Mean over PyTorch's adaptive bins: output (P, Q) whatever the input size; bin i covers rows
 * floor(i·H/P) .. ceil((i+1)·H/P).
 * @example
 * new AdaptiveAvgPool2d(1).forward(x); // (N, C, 1, 1): global average pooling
 */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];

  constructor(outputSize: Pair) {
    super();
    this.outputSize = pair(outputSize);
    for (const v of this.outputSize) checkSize('AdaptiveAvgPool2d', 'outputSize', v);
  }

  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
}
