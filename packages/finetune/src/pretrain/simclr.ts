/**
 * SimCLR-style contrastive pre-training: two augmented views of each image pass through the backbone
 * and a projection head; NT-Xent pulls the two views of an image together and pushes the other 2N-2
 * views away. The projection head is dropped afterwards; the backbone is kept.
 */
import { BatchNorm1d, Linear, Module, cat, fromArray, functional as F, type Classifier, type Tensor } from '@graft/core';
import { transformItems, type Dataset, type Transform, type UnlabelledBatch, type UnlabelledDataset } from '@graft/data';
import { itemsToTensor, runLoop, unstack, type PretrainLoopOptions, type PretrainRun } from './common.js';

/**
 * The projection head g(h) = W2 relu(BN(W1 h)): (N, inFeatures) -> (N, outFeatures).
 * @example
 * const head = new ProjectionHead(64, 64, 32);
 * head.forward(features).shape; // [N, 32]
 */
export class ProjectionHead extends Module {
  readonly fc1: Linear;
  readonly bn: BatchNorm1d;
  readonly fc2: Linear;

  constructor(inFeatures: number, hidden: number, outFeatures: number) {
    super();
    this.fc1 = this.registerModule('fc1', new Linear(inFeatures, hidden, { bias: false }));
    this.bn = this.registerModule('bn', new BatchNorm1d(hidden));
    this.fc2 = this.registerModule('fc2', new Linear(hidden, outFeatures));
  }

  forward(h: Tensor): Tensor {
    return this.fc2.forward(this.bn.forward(this.fc1.forward(h)).relu());
  }
}

/** Rows divided by their L2 norm (eps keeps a zero row finite). */
function normaliseRows(z: Tensor): Tensor {
  return z.div(z.mul(z).sum(1, { keepdim: true }).add(1e-12).sqrt());
}

/**
 * NT-Xent (normalised temperature-scaled cross-entropy) of two views z1, z2 (N, D): row i of z1 and
 * row i of z2 are positives; every other row of both is a negative; mean over the 2N anchors.
 * @example
 * const loss = ntXent(head.forward(h1), head.forward(h2), 0.5);
 */
export function ntXent(z1: Tensor, z2: Tensor, temperature: number): Tensor {
  if (z1.ndim !== 2 || z2.ndim !== 2 || z1.shape[0] !== z2.shape[0] || z1.shape[1] !== z2.shape[1]) {
    throw new Error(`ntXent: z1 and z2 must be (N, D) of one shape, got [${z1.shape.join(', ')}] and [${z2.shape.join(', ')}]`);
  }
  if (!(temperature > 0)) throw new Error(`ntXent: temperature must be positive, got ${temperature}`);
  const n = z1.shape[0] as number;
  if (n < 2) throw new Error(`ntXent: needs at least 2 pairs for negatives, got ${n}`);
  const z = normaliseRows(cat([z1, z2], 0));
  const selfMask = new Float32Array(4 * n * n);
  const targets = new Int32Array(2 * n);
  for (let i = 0; i < 2 * n; i++) {
    selfMask[i * 2 * n + i] = -1e9; // a view is not its own negative: exp(-1e9) is 0
    targets[i] = i < n ? i + n : i - n;
  }
  const logits = z.matmul(z.transpose(0, 1)).div(temperature).add(fromArray(selfMask, { shape: [2 * n, 2 * n], device: z.device }));
  return F.crossEntropy(logits, fromArray(targets, { shape: [2 * n], device: z.device }));
}

/** Options of {@link pretrainSimclr}. */
export interface SimclrOptions extends PretrainLoopOptions {
  /** Per-item view augmentation ending in float32 (applied twice, with different draws). */
  transform: Transform;
  /** NT-Xent temperature (default 0.5). */
  temperature?: number;
  /** Projection head hidden and output widths (default: the feature width, and 32). */
  projectionHidden?: number;
  projectionDim?: number;
}

/**
 * Contrastive pre-training of `model`'s backbone (its head is not used) on images without labels.
 * Returns the run and the projection head (dispose it, or keep it to continue training).
 * @example
 * const model = resnet20({ inChannels: 1 });
 * const { run, head } = await pretrainSimclr(model, withoutLabels(train), { epochs: 2, transform: views });
 * head.dispose();
 */
export async function pretrainSimclr(
  model: Classifier, data: UnlabelledDataset | Dataset, options: SimclrOptions,
): Promise<{ run: PretrainRun; head: ProjectionHead }> {
  const temperature = options.temperature ?? 0.5;
  if (!(temperature > 0)) throw new Error(`pretrainSimclr: temperature must be positive, got ${temperature}`);
  const width = model.head.inFeatures;
  const device = model.device;
  const head = new ProjectionHead(width, options.projectionHidden ?? width, options.projectionDim ?? 32).to(device);
  const seed = options.seed ?? 0;
  model.train();
  head.train();
  const params = [...model.backboneParameters(), ...head.parameters()];
  const run = await runLoop<UnlabelledBatch>(params, data, options, (batch, epoch) => {
    const items = unstack(batch);
    const n = items.length;
    const x1 = itemsToTensor(transformItems(items, batch.indices, options.transform, seed, 2 * epoch), batch.indices, device);
    const x2 = itemsToTensor(transformItems(items, batch.indices, options.transform, seed, 2 * epoch + 1), batch.indices, device);
    const z = head.forward(model.features(cat([x1, x2], 0)));
    return ntXent(z.narrow(0, 0, n), z.narrow(0, n, n), temperature);
  });
  return { run, head };
}
