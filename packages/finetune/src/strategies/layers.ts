/**
 * The pieces of a pretrained classifier that transfer strategies act on: its head, its backbone's
 * stages (stem first, deepest last), which of them are frozen, how batch norm behaves, and the
 * optimizer parameter groups that give each part its own learning rate.
 */
import { BatchNorm1d, BatchNorm2d, Classifier, ResNet, freezeBatchNormStatistics, type Linear, type Tensor } from '@graft/core';

/**
 * Batch-norm policy while fine-tuning.
 * - `'frozen'` (Keras' choice): every BN layer normalises with its pretrained running statistics
 *   and leaves them unchanged, in training mode too; its scale and shift train when its stage does.
 *   Tiny batches cannot then shift the statistics the pretrained features were built on.
 * - `'train'` (fastai's `train_bn`): BN layers use batch statistics and update their running ones,
 *   and their scale and shift train even inside frozen stages.
 */
export type BatchNormPolicy = 'frozen' | 'train';

/** A named group of backbone parameters, shallowest first. */
export interface Stage {
  name: string;
  params: Tensor[];
}

/**
 * Drops the model's output layer and installs a freshly initialised one for `numClasses` classes.
 * @example
 * const model = resnet20({ inChannels: 1, numClasses: 5 });
 * await loadPretrained(model, 'weights/resnet20-fmnist04-supervised.safetensors', { skip: 'fc' });
 * replaceHead(model, 5, { seed: 0 });
 */
export function replaceHead(model: Classifier, numClasses: number, options: { seed?: number } = {}): Linear {
  asClassifier(model, 'replaceHead');
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`replaceHead: numClasses must be an integer >= 1, got ${numClasses}`);
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) throw new Error(`replaceHead: options.seed must be a safe integer, got ${options.seed}`);
  return model.replaceHead(numClasses, options);
}

/**
 * Checks that `model` is a Classifier (a backbone `features()` and a Linear `head`); `fn` names the caller.
 * @example
 * const classifier = asClassifier(model, 'linearProbe');
 */
export function asClassifier(model: unknown, fn: string): Classifier {
  if (!(model instanceof Classifier)) {
    throw new Error(`${fn}: model must be a Classifier (features() and a Linear head, e.g. resnet20()), got ${describe(model)}`);
  }
  return model;
}

function describe(v: unknown): string {
  return v === null || typeof v !== 'object' ? String(v) : (v.constructor?.name ?? 'object');
}

/**
 * The backbone's stages, shallowest first. A ResNet has its stem (conv1, bn1) and then one stage
 * per `layerN`; other classifiers have one stage per top-level child (head excluded).
 * @example
 * transferStages(resnet20()).map((s) => s.name); // ['stem', 'layer1', 'layer2', 'layer3']
 */
export function transferStages(model: Classifier): Stage[] {
  asClassifier(model, 'transferStages');
  const head = new Set(model.headParameters());
  const byName = new Map<string, Tensor[]>();
  for (const [name, p] of model.namedParameters()) {
    if (head.has(p)) continue;
    const top = name.split('.')[0] as string;
    const stage = model instanceof ResNet && !/^layer\d+$/.test(top) ? 'stem' : top;
    byName.set(stage, [...(byName.get(stage) ?? []), p]);
  }
  return [...byName].map(([name, params]) => ({ name, params }));
}

/**
 * Freezes the first `k` stages of the backbone (stem first) and leaves every other parameter
 * trainable; returns the names of the frozen stages. `k = 0` unfreezes everything.
 * @example
 * freezeStages(model, 2); // ['stem', 'layer1'] frozen: generic edges and textures kept
 */
export function freezeStages(model: Classifier, k: number): string[] {
  const stages = transferStages(model);
  if (!Number.isInteger(k) || k < 0 || k > stages.length) {
    throw new Error(`freezeStages: k must be an integer in [0, ${stages.length}] (the backbone has ${stages.length} stages: ${stages.map((s) => s.name).join(', ')}), got ${k}`);
  }
  for (const p of model.parameters()) p.setRequiresGrad(true);
  for (const stage of stages.slice(0, k)) for (const p of stage.params) { p.setRequiresGrad(false); p.zeroGrad(); }
  return stages.slice(0, k).map((s) => s.name);
}

/**
 * Freezes the whole backbone; only the head trains.
 * @example
 * freezeBackbone(model); // then train model.headParameters()
 */
export function freezeBackbone(model: Classifier): void {
  freezeStages(model, transferStages(model).length);
}

/**
 * Applies a batch-norm policy to every BN layer of `model` (see {@link BatchNormPolicy}). Under
 * `'train'`, the scale and shift of BN layers are made trainable even inside frozen stages.
 * @example
 * freezeStages(model, 2);
 * applyBatchNormPolicy(model, 'frozen');
 */
export function applyBatchNormPolicy(model: Classifier, policy: BatchNormPolicy): void {
  if (policy !== 'frozen' && policy !== 'train') throw new Error(`applyBatchNormPolicy: policy must be 'frozen' or 'train', got ${JSON.stringify(policy)}`);
  freezeBatchNormStatistics(model, policy === 'frozen');
  if (policy === 'frozen') return;
  for (const [, m] of model.namedModules()) {
    if (!(m instanceof BatchNorm2d || m instanceof BatchNorm1d)) continue;
    for (const p of m.parameters()) p.setRequiresGrad(true);
  }
}

/** Options of {@link discriminativeParamGroups}. */
export interface LearningRateOptions {
  /** Learning rate of the head. */
  lr: number;
  /** Backbone learning rate as a fraction of the head's (default 0.1: ten times smaller). */
  backboneLrRatio?: number;
  /**
   * Layer-wise decay: the deepest stage gets `lr * backboneLrRatio`, each shallower stage this
   * factor times the next deeper one's (default 1: one backbone rate).
   */
  layerDecay?: number;
}

/**
 * Optimizer parameter groups with discriminative learning rates: the head at `lr`, the deepest
 * backbone stage at `lr * backboneLrRatio`, and each shallower stage `layerDecay` times the one
 * above it. Frozen parameters are left out and empty groups dropped; the head's group comes first,
 * then the stages from the stem up.
 * @example
 * const groups = discriminativeParamGroups(model, { lr: 0.01, backboneLrRatio: 0.1, layerDecay: 0.5 });
 * // head 0.01, layer3 0.001, layer2 0.0005, layer1 0.00025, stem 0.000125
 * new Trainer({ model, args, trainData, paramGroups: groups });
 */
export function discriminativeParamGroups(model: Classifier, options: LearningRateOptions): Array<{ params: Tensor[]; lr: number }> {
  const { lr } = options;
  const ratio = options.backboneLrRatio ?? 0.1;
  const decay = options.layerDecay ?? 1;
  if (!(lr > 0 && Number.isFinite(lr))) throw new Error(`discriminativeParamGroups: options.lr must be a number > 0, got ${lr}`);
  if (!(ratio > 0 && Number.isFinite(ratio))) throw new Error(`discriminativeParamGroups: options.backboneLrRatio must be a number > 0, got ${ratio}`);
  if (!(decay > 0 && decay <= 1)) throw new Error(`discriminativeParamGroups: options.layerDecay must be in (0, 1], got ${decay}`);
  const stages = transferStages(model);
  const groups = [{ params: model.headParameters(), lr }];
  stages.forEach((stage, i) => {
    const depthFromTop = stages.length - 1 - i;
    groups.push({ params: stage.params, lr: lr * ratio * decay ** depthFromTop });
  });
  return groups
    .map((g) => ({ params: g.params.filter((p) => p.requiresGrad), lr: g.lr }))
    .filter((g) => g.params.length > 0);
}
