/**
 * Pseudo-label selection: which pool items a teacher's predictions label, with what target. Pure
 * functions of the logits (no tensors), so the rules are cheap to test and to reason about:
 * thresholds (fixed, or per class: FlexMatch-style or quantile), class balance (cap or top-k per
 * class, rare classes duplicated), hard or temperature-scaled soft targets.
 */
import { softmaxRows } from './predict.js';

/** How per-class confidence thresholds are set. */
export type ThresholdMode = 'fixed' | 'flexmatch' | 'quantile';

/** How the kept items are balanced across classes. */
export type BalanceMode = 'none' | 'cap' | 'topk';

/** Options of {@link selectPseudoLabels}. */
export interface PseudoLabelOptions {
  /** Confidence threshold in (0, 1] (default 0.9); the ceiling of the adaptive modes. */
  threshold?: number;
  /**
   * 'fixed': every class uses `threshold`. 'flexmatch' (Zhang et al. 2021): a class the teacher rarely
   * predicts confidently gets a lower threshold, threshold * M(beta_c) with M(x) = x / (2 - x).
   * 'quantile' (default): a class keeps items above min(threshold, the `quantile` of its own confidences).
   */
  adaptive?: ThresholdMode;
  /** For 'quantile': the per-class quantile in [0, 1) of the confidences (default 0.5: the top half). */
  quantile?: number;
  /**
   * 'none': every item above its class threshold. 'cap' (default): then at most `perClass` per class
   * (default: the smallest non-empty class), most confident first. 'topk': the `perClass` most confident
   * items predicted as each class, thresholds ignored (Noisy Student's balancing).
   */
  balance?: BalanceMode;
  /** Items per class for 'cap' (optional) and 'topk' (required). */
  perClass?: number;
  /** Repeat the items of classes that kept fewer until every non-empty class has as many (default false). */
  duplicateRare?: boolean;
  /** 'hard' (default): one-hot arg-max targets; 'soft': softmax(logits / temperature). */
  labels?: 'hard' | 'soft';
  /** Temperature of soft targets (default 1; < 1 sharpens). */
  temperature?: number;
}

/** The kept pool items and their targets. Rows of `targets` follow `indices`. */
export interface PseudoLabels {
  /** Pool indices kept, most confident first within each class; repeats when rare classes were duplicated. */
  indices: Int32Array;
  /** Arg-max class of each kept item. */
  labels: Int32Array;
  /** Target distribution of each kept item, row-major (indices.length, classes): one-hot or soft. */
  targets: Float32Array;
  /** Teacher confidence (max probability) of each kept item. */
  confidence: Float32Array;
  /** Threshold applied to each class (0 for 'topk'). */
  thresholds: Float32Array;
  /** Distinct items kept per class (before duplication). */
  keptPerClass: number[];
  /** Pool items predicted as each class, kept or not. */
  predictedPerClass: number[];
  classes: number;
}

/**
 * Checks pseudo-label options; throws an Error naming `where` and the bad option.
 * @example
 * checkPseudoLabelOptions({ threshold: 1.5 }); // throws: selectPseudoLabels: threshold must be in (0, 1], got 1.5
 */
export function checkPseudoLabelOptions(o: PseudoLabelOptions, where = 'selectPseudoLabels'): void {
  const t = o.threshold ?? 0.9;
  if (!(t > 0 && t <= 1)) throw new Error(`${where}: threshold must be in (0, 1], got ${t}`);
  const q = o.quantile ?? 0.5;
  if (!(q >= 0 && q < 1)) throw new Error(`${where}: quantile must be in [0, 1), got ${q}`);
  if (o.adaptive !== undefined && !['fixed', 'flexmatch', 'quantile'].includes(o.adaptive)) {
    throw new Error(`${where}: adaptive must be 'fixed', 'flexmatch' or 'quantile', got '${String(o.adaptive)}'`);
  }
  if (o.balance !== undefined && !['none', 'cap', 'topk'].includes(o.balance)) {
    throw new Error(`${where}: balance must be 'none', 'cap' or 'topk', got '${String(o.balance)}'`);
  }
  if (o.perClass !== undefined && !(Number.isInteger(o.perClass) && o.perClass >= 1)) {
    throw new Error(`${where}: perClass must be an integer >= 1, got ${o.perClass}`);
  }
  if (o.balance === 'topk' && o.perClass === undefined) throw new Error(`${where}: balance 'topk' needs perClass (items per class)`);
  if (o.labels !== undefined && o.labels !== 'hard' && o.labels !== 'soft') throw new Error(`${where}: labels must be 'hard' or 'soft', got '${String(o.labels)}'`);
  const temperature = o.temperature ?? 1;
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new Error(`${where}: temperature must be a number > 0, got ${temperature}`);
}

/**
 * Chooses pseudo-labels from a teacher's (n, classes) logits over the pool.
 * @example
 * const { logits, n, classes } = await predictLogits(teacher, pool, { transform });
 * const sel = selectPseudoLabels(logits, n, classes, { threshold: 0.9, adaptive: 'quantile', balance: 'cap' });
 * sel.keptPerClass; // e.g. [212, 180, 240, 199, 230] before capping
 */
export function selectPseudoLabels(logits: Float32Array, n: number, classes: number, options: PseudoLabelOptions = {}): PseudoLabels {
  checkPseudoLabelOptions(options);
  if (n === 0) throw new Error('selectPseudoLabels: the pool is empty (n = 0); self-training needs unlabelled items');
  if (!(Number.isInteger(classes) && classes >= 1) || logits.length !== n * classes) {
    throw new Error(`selectPseudoLabels: logits has ${logits.length} values, expected n * classes = ${n} * ${classes}`);
  }
  const probs = softmaxRows(logits, n, classes);
  const { predicted, confidence } = argmaxWithConfidence(probs, n, classes);
  const byClass = groupByClass(predicted, confidence, classes);
  const thresholds = classThresholds(byClass, confidence, options);
  let kept = byClass.map((items, c) => options.balance === 'topk'
    ? items.slice(0, options.perClass)
    : items.filter((i) => (confidence[i] as number) >= (thresholds[c] as number)));
  if ((options.balance ?? 'cap') === 'cap') kept = capPerClass(kept, options.perClass);
  const keptPerClass = kept.map((k) => k.length);
  if (options.duplicateRare) kept = duplicateRare(kept);
  const indices = Int32Array.from(kept.flat());
  const soft = options.labels === 'soft' ? softmaxRows(logits, n, classes, options.temperature ?? 1) : undefined;
  const targets = new Float32Array(indices.length * classes);
  indices.forEach((item, row) => {
    if (soft) targets.set(soft.subarray(item * classes, (item + 1) * classes), row * classes);
    else targets[row * classes + (predicted[item] as number)] = 1;
  });
  return {
    indices, labels: Int32Array.from(indices, (i) => predicted[i] as number), targets,
    confidence: Float32Array.from(indices, (i) => confidence[i] as number),
    thresholds: options.balance === 'topk' ? new Float32Array(classes) : thresholds,
    keptPerClass, predictedPerClass: byClass.map((b) => b.length), classes,
  };
}

/**
 * Arg-max class and its probability per row of (n, c) probabilities.
 * @example
 * argmaxWithConfidence(Float32Array.from([0.2, 0.8]), 1, 2); // { predicted: [1], confidence: [0.8] }
 */
export function argmaxWithConfidence(probs: Float32Array, n: number, c: number): { predicted: Int32Array; confidence: Float32Array } {
  const predicted = new Int32Array(n);
  const confidence = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if ((probs[i * c + j] as number) > (probs[i * c + best] as number)) best = j;
    predicted[i] = best;
    confidence[i] = probs[i * c + best] as number;
  }
  return { predicted, confidence };
}

/** Item indices predicted as each class, most confident first (ties: lower index first). */
function groupByClass(predicted: Int32Array, confidence: Float32Array, classes: number): number[][] {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  predicted.forEach((c, i) => byClass[c]?.push(i));
  for (const items of byClass) items.sort((a, b) => (confidence[b] as number) - (confidence[a] as number) || a - b);
  return byClass;
}

function classThresholds(byClass: number[][], confidence: Float32Array, o: PseudoLabelOptions): Float32Array {
  const tau = o.threshold ?? 0.9;
  const mode = o.adaptive ?? 'quantile';
  const out = new Float32Array(byClass.length).fill(tau);
  if (mode === 'quantile') {
    const q = o.quantile ?? 0.5;
    byClass.forEach((items, c) => {
      if (items.length === 0) return;
      // items are sorted by falling confidence: the q-quantile sits (1 - q) of the way down.
      const at = Math.min(items.length - 1, Math.floor((1 - q) * items.length));
      out[c] = Math.min(tau, confidence[items[at] as number] as number);
    });
  } else if (mode === 'flexmatch') {
    // sigma_c: items confidently predicted as c; the unconfident count bounds the normaliser from below
    // early on (FlexMatch's threshold warm-up), so thresholds start low and rise as the teacher learns.
    const sigma = byClass.map((items) => items.filter((i) => (confidence[i] as number) >= tau).length);
    const unused = confidence.length - sigma.reduce((a, b) => a + b, 0);
    const norm = Math.max(unused, ...sigma, 1);
    sigma.forEach((s, c) => {
      const beta = s / norm;
      out[c] = tau * (beta / (2 - beta));
    });
  }
  return out;
}

function capPerClass(kept: number[][], perClass: number | undefined): number[][] {
  const nonEmpty = kept.filter((k) => k.length > 0).map((k) => k.length);
  const cap = perClass ?? (nonEmpty.length > 0 ? Math.min(...nonEmpty) : 0);
  return kept.map((k) => k.slice(0, cap));
}

function duplicateRare(kept: number[][]): number[][] {
  const target = Math.max(0, ...kept.map((k) => k.length));
  return kept.map((k) => (k.length === 0 ? k : Array.from({ length: target }, (_, j) => k[j % k.length] as number)));
}

/** How accurate pseudo-labels are against withheld ground truth (analysis only). */
export interface PseudoLabelAccuracy {
  /** Over the distinct kept items; NaN when none were kept. */
  accuracy: number;
  /** Per pseudo-label class; null where the class kept none. */
  perClass: Array<number | null>;
}

/**
 * Scores the distinct kept items against the pool's withheld labels, e.g. `pool.groundTruthForAnalysis()`.
 * For reports only: training never reads ground truth.
 * @example
 * const { accuracy } = pseudoLabelAccuracy(sel, pool.groundTruthForAnalysis());
 */
export function pseudoLabelAccuracy(sel: PseudoLabels, groundTruth: ArrayLike<number>): PseudoLabelAccuracy {
  const seen = new Set<number>();
  const right = new Array<number>(sel.classes).fill(0);
  const total = new Array<number>(sel.classes).fill(0);
  sel.indices.forEach((item, row) => {
    if (seen.has(item)) return;
    seen.add(item);
    if (item >= groundTruth.length) throw new Error(`pseudoLabelAccuracy: item ${item} is beyond the ${groundTruth.length} ground-truth labels`);
    const c = sel.labels[row] as number;
    total[c] = (total[c] as number) + 1;
    if (groundTruth[item] === c) right[c] = (right[c] as number) + 1;
  });
  const all = total.reduce((a, b) => a + b, 0);
  return {
    accuracy: all === 0 ? NaN : right.reduce((a, b) => a + b, 0) / all,
    perClass: total.map((t, c) => (t === 0 ? null : (right[c] as number) / t)),
  };
}
