/**
 * Denoising autoencoder pre-training: the backbone encodes a noised image to its feature map; a small
 * convolutional decoder (conv, BN, ReLU, nearest 2x upsampling, per halving of the size) rebuilds the
 * clean image; the loss is the mean squared error. The decoder is dropped afterwards.
 */
import { BatchNorm2d, Conv2d, Module, functional as F, noGrad, randn, tidy, zeros, type Classifier, type Tensor } from '@graft/core';
import { transformItems, type Dataset, type Transform, type UnlabelledBatch, type UnlabelledDataset } from '@graft/data';
import { itemsToTensor, runLoop, unstack, type PretrainLoopOptions, type PretrainRun } from './common.js';

/** A classifier whose backbone also gives its spatial feature map (ResNet does). */
export type FeatureMapClassifier = Classifier & { featureMap(x: Tensor): Tensor };

/**
 * Nearest-neighbour 2x upsampling: (N, C, H, W) -> (N, C, 2H, 2W), built from views (its gradient
 * sums each 2x2 block).
 * @example
 * upsample2x(x).shape; // [N, C, 14, 14] for x [N, C, 7, 7]
 */
export function upsample2x(x: Tensor): Tensor {
  if (x.ndim !== 4) throw new Error(`upsample2x: expected (N, C, H, W), got shape [${x.shape.join(', ')}]`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  return x.reshape(n, c, h, 1, w, 1).expand(n, c, h, 2, w, 2).reshape(n, c, 2 * h, 2 * w);
}

/**
 * The decoder: `ups` stages of conv3x3 (halving the channels), BN, ReLU and 2x upsampling, then a
 * conv3x3 to the image's channels: (N, C', H/2^ups, W/2^ups) -> (N, C, H, W).
 * @example
 * const decoder = new ConvDecoder(64, 1, 2); // ResNet-20 feature map (64, 7, 7) -> (1, 28, 28)
 */
export class ConvDecoder extends Module {
  private readonly convs: Conv2d[] = [];
  private readonly norms: BatchNorm2d[] = [];
  private readonly out: Conv2d;

  constructor(inChannels: number, outChannels: number, readonly ups: number) {
    super();
    if (!Number.isInteger(ups) || ups < 0) throw new Error(`ConvDecoder: ups must be a non-negative integer, got ${ups}`);
    let c = inChannels;
    for (let i = 0; i < ups; i++) {
      const next = Math.max(8, c >> 1);
      this.convs.push(this.registerModule(`conv${i}`, new Conv2d(c, next, 3, { padding: 1, bias: false })));
      this.norms.push(this.registerModule(`bn${i}`, new BatchNorm2d(next)));
      c = next;
    }
    this.out = this.registerModule('out', new Conv2d(c, outChannels, 3, { padding: 1 }));
  }

  forward(h: Tensor): Tensor {
    let y = h;
    this.convs.forEach((conv, i) => {
      y = upsample2x((this.norms[i] as BatchNorm2d).forward(conv.forward(y)).relu());
    });
    return this.out.forward(y);
  }
}

/** Options of {@link pretrainDenoising}. */
export interface DenoisingOptions extends PretrainLoopOptions {
  /** Per-item transform ending in float32 (the clean target), e.g. compose(toFloat(), normalise(...)). */
  transform: Transform;
  /** Standard deviation of the Gaussian noise added to the (transformed) input (default 0.5). */
  noiseStd?: number;
}

/** Halvings from the input to the feature map: (C, H, W) of each, probed once in eval mode. */
function probe(model: FeatureMapClassifier, shape: readonly number[]): { channels: number; ups: number } {
  const wasTraining = model.training;
  model.eval();
  try {
    return tidy(() => noGrad(() => {
      const [c, h, w] = shape as [number, number, number];
      const fm = model.featureMap(zeros([1, c, h, w], { device: model.device }));
      const [, fc, fh, fw] = fm.shape as [number, number, number, number];
      const ups = Math.log2(h / fh);
      if (!Number.isInteger(ups) || h !== fh * 2 ** ups || w !== fw * 2 ** ups) {
        throw new Error(`pretrainDenoising: input ${h}x${w} is not the feature map ${fh}x${fw} times a power of 2; pick an input size that is`);
      }
      return { channels: fc, ups };
    }));
  } finally {
    model.train(wasTraining);
  }
}

/**
 * Denoising-autoencoder pre-training of `model`'s backbone on images without labels. Returns the
 * run and the decoder (dispose it, or keep it to look at reconstructions).
 * @example
 * const { run, decoder } = await pretrainDenoising(resnet20({ inChannels: 1 }), withoutLabels(train), { transform: plain });
 * decoder.dispose();
 */
export async function pretrainDenoising(
  model: FeatureMapClassifier, data: UnlabelledDataset | Dataset, options: DenoisingOptions,
): Promise<{ run: PretrainRun; decoder: ConvDecoder }> {
  const noiseStd = options.noiseStd ?? 0.5;
  if (!(noiseStd >= 0)) throw new Error(`pretrainDenoising: noiseStd must be non-negative, got ${noiseStd}`);
  if (data.length === 0) throw new Error('pretrainDenoising: no training images');
  const shape = data.get(0).shape;
  if (shape.length !== 3) throw new Error(`pretrainDenoising: expected images [C, H, W], got [${shape.join(', ')}]`);
  const { channels, ups } = probe(model, shape);
  const device = model.device;
  const decoder = new ConvDecoder(channels, shape[0] as number, ups).to(device);
  const seed = options.seed ?? 0;
  let step = 0;
  model.train();
  decoder.train();
  const run = await runLoop<UnlabelledBatch>([...model.backboneParameters(), ...decoder.parameters()], data, options, (batch, epoch) => {
    const clean = itemsToTensor(transformItems(unstack(batch), batch.indices, options.transform, seed, epoch), batch.indices, device);
    const noise = randn(clean.shape, { std: noiseStd, seed: seed * 1_000_003 + step++, device });
    return F.mseLoss(decoder.forward(model.featureMap(clean.add(noise))), clean);
  });
  return { run, decoder };
}
