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

/** Training loss over optimizer steps for one method (or self-training round). */
export interface TrainingCurve {
  name: string;
  /** [step, mean training loss] pairs. */
  points: Array<[number, number]>;
}

/** One self-training round. */
export interface SelfTrainingRow {
  /** 1-based round; the teacher of round 1 is the fine-tuned model. */
  round: number;
  /** Pseudo-labels kept, per target class (in class order). */
  keptPerClass: number[];
  /** Fraction of kept pseudo-labels that match the withheld labels (analysis only), or null. */
  pseudoLabelAccuracy: number | null;
  /** The lowest of the round's per-class confidence thresholds. */
  threshold: number;
  testAccuracy: number;
  macroF1: number;
  seconds: number;
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
  /** Settings as label -> value, shown as a table. */
  settings: Record<string, string | number | boolean>;
  /** Seconds per phase, and the total. */
  timings: Record<string, number>;
  /** Version, native build and machine, as label -> value. */
  environment: Record<string, string | number>;
}
