/**
 * Knowledge distillation (Hinton et al. 2015) from a teacher to a (usually smaller) student, on the
 * pseudo-labelling machinery: the teacher's logits over a transfer set come from the streaming
 * predictor, {@link selectPseudoLabels} turns them into soft targets softmax(z_t / T) (every item by
 * default; its thresholds and balancing apply when asked), and the student minimises
 *   alpha * CE(labels) + (1 - alpha) * T^2 * KL(softmax(z_t / T) || softmax(z_s / T))
 * (the loop computes the cross-entropy form, which differs from KL by the targets' constant entropy).
 */
import type { Dataset, UnlabelledDataset } from '@graft/data';
import type { ClassifierModule } from '@graft/finetune';
import { predictLogits } from './predict.js';
import { checkPseudoLabelOptions, selectPseudoLabels, type PseudoLabelOptions } from './select.js';
import { checkTrainingOptions, targetSet, trainOnTargets, type StudentTrainingOptions, type StudentTrainingResult, type TargetSource } from './train.js';
import { outputWidth } from './self-trainer.js';
import type { ViewTransforms } from './transforms.js';

/** Settings of {@link distill}. */
export interface DistillOptions {
  teacher: ClassifierModule;
  /** Trained in place; must predict the teacher's classes. */
  student: ClassifierModule;
  /** Images the teacher labels with soft targets (e.g. the unlabelled pool). */
  transfer: UnlabelledDataset;
  /** Real labels, weighted by alpha (optional). */
  labelled?: Dataset;
  /** Clean view for the teacher; the student trains on the weak view unless training.transform says otherwise. */
  transforms: ViewTransforms;
  /** Softmax temperature of teacher and student (default 4). */
  temperature?: number;
  /** Share of the loss on the real labels, in [0, 1) (default 0.5; ignored without labelled data). */
  alpha?: number;
  /** Selection of transfer items (default: all of them, soft). */
  pseudo?: PseudoLabelOptions;
  /** Student training (defaults: 10 epochs, learning rate 0.05, batch 64, weak view). */
  training?: StudentTrainingOptions;
  evalBatchSize?: number;
}

/** What {@link distill} returns. */
export interface DistillResult extends StudentTrainingResult {
  /** Transfer items the student learned from. */
  transferItems: number;
}

/**
 * Distils `teacher` into `student` (trained in place).
 * @example
 * const small = cifarResNet(8, { inChannels: 1, numClasses: 5 });
 * await distill({ teacher, student: small, transfer: pool, labelled, transforms: views, temperature: 4 });
 */
export async function distill(o: DistillOptions): Promise<DistillResult> {
  const temperature = o.temperature ?? 4;
  const alpha = o.alpha ?? 0.5;
  if (!o.transfer || o.transfer.length === 0) throw new Error('distill: the transfer set is empty (expected images for the teacher to label)');
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new Error(`distill: temperature must be a number > 0, got ${temperature}`);
  if (!(alpha >= 0 && alpha < 1)) throw new Error(`distill: alpha must be in [0, 1), got ${alpha}`);
  const pseudo: PseudoLabelOptions = { adaptive: 'fixed', threshold: 1e-6, balance: 'none', ...o.pseudo, labels: 'soft', temperature };
  checkPseudoLabelOptions(pseudo, 'distill.pseudo');
  if (o.training) checkTrainingOptions(o.training, 'distill.training');
  const t = await outputWidth(o.teacher, o.transfer, o.transforms);
  const s = await outputWidth(o.student, o.transfer, o.transforms);
  if (s !== t) throw new Error(`distill: the student predicts ${s} classes but the teacher predicts ${t}; give the student a ${t}-class head`);

  const { logits, n, classes } = await predictLogits(o.teacher, o.transfer, { transform: o.transforms.eval, batchSize: o.evalBatchSize });
  const sel = selectPseudoLabels(logits, n, classes, pseudo);
  if (sel.indices.length === 0) throw new Error('distill: the selection kept no transfer items; lower pseudo.threshold');
  const sources: TargetSource[] = [];
  const labelled = o.labelled && o.labelled.length > 0 && alpha > 0 ? o.labelled : undefined;
  // Per-item weights that give the hard part alpha and the soft part 1 - alpha of the total loss mass.
  if (labelled) sources.push({ data: labelled, weight: alpha / labelled.length });
  sources.push({ images: o.transfer, indices: sel.indices, targets: sel.targets, tempered: true, weight: (labelled ? 1 - alpha : 1) / sel.indices.length });
  const result = await trainOnTargets(o.student, targetSet(sources, classes), {
    epochs: 10, learningRate: 0.05, batchSize: 64, transform: o.transforms.weak, ...o.training, temperature,
  });
  return { ...result, transferItems: sel.indices.length };
}
