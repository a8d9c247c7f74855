/**
 * RunReport: everything report.html shows, as plain data. The quickstart fills it; the renderer is a
 * pure function of it, so a report can be rebuilt from metrics.json alone.
 */

/** The four methods of the quickstart, in the order they run. */
export type MethodName = 'scratch' | 'linear-probe' | 'fine-tune' | 'self-train';

/** One method's result on the target test set. */
export interface MethodResult {
  method: MethodName;
  /** Fraction of test images classified correctly, in [0, 1]. */
  testAccuracy: number;
  /** Unweighted mean of the per-class F1 scores, in [0, 1]. */
  macroF1: number;
  /** Wall-clock seconds the method took (training and its evaluation). */
  seconds: number;
  /** Confusion matrix on the test set: rows true classes, columns predictions. */
  confusion: number[][];
  /** One sentence: what the method does. */
  description: string;
}

/** Training loss of one method (or self-training round) over its training. */
export interface TrainingCurve {
  name: string;
  /** [share of the method's training done in %, mean training loss] pairs. */
  points: Array<[number, number]>;
}

/** One self-training round; round 0 is the teacher, fine-tuned on the labels not held out. */
export interface SelfTrainingRow {
  /** 0 for the teacher, then 1, 2, ... for the students. */
  round: number;
  /** Pseudo-labels kept, per target class (in class order); empty for round 0. */
  keptPerClass: number[];
  /** Fraction of kept pseudo-labels that match the withheld labels (analysis only), or null. */
  pseudoLabelAccuracy: number | null;
  /** The lowest of the round's per-class confidence thresholds; null for round 0. */
  threshold: number | null;
  /** Accuracy on the held-out labels that decide whether a student replaces its teacher. */
  validationAccuracy: number;
  testAccuracy: number;
  macroF1: number;
  /** Whether the round's model became the teacher (round 0: always). */
  accepted: boolean;
  seconds: number;
}

/** Test scores of one method. */
export interface Score {
  testAccuracy: number;
  macroF1: number;
  seconds: number;
}

/** The transfer methods from one pretrained start (`graft quickstart --compare-starts`). */
export interface StartRow {
  /** 'supervised' (source classes, with labels) or 'simclr' (every training image, no labels), or a file name. */
  start: string;
  /** The backbone's weights file. */
  weights: string;
  linearProbe: Score;
  fineTune: Score;
}

/** The transfer task. */
export interface TaskSummary {
  /** e.g. 'Fashion-MNIST classes 0-4 (T-shirt/top, ...), supervised'. */
  source: string;
  /** Target class names in label order. */
  classNames: string[];
  /** Original Fashion-MNIST indices of the target classes. */
  classes: number[];
  labelsPerClass: number;
  labelled: number;
  pool: number;
  test: number;
  data: string;
  weights: string;
  seed: number;
}

/** Everything report.html shows. */
export interface RunReport {
  title: string;
  /** ISO time the run started. */
  createdAt: string;
  task: TaskSummary;
  methods: MethodResult[];
  curves: TrainingCurve[];
  selfTraining: SelfTrainingRow[];
  /** The transfer methods from each pretrained start, beside scratch; absent unless starts were compared. */
  starts?: StartRow[];
  /** Settings as label -> value, shown as a table. */
  settings: Record<string, string | number | boolean>;
  /** Seconds per phase, and the total. */
  timings: Record<string, number>;
  /** Version, native build and machine, as label -> value. */
  environment: Record<string, string | number>;
}
