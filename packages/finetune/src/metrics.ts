/**
 * Classification metrics: accuracy, top-k accuracy, per-class precision/recall/F1, macro averages and
 * the confusion matrix. Definitions follow scikit-learn (`zero_division=0`: a class never predicted
 * has precision 0; a class absent from the labels has recall 0 and is still counted in macro means
 * only when it appears in the labels or the predictions).
 */

/** Per-class scores. */
export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Number of true examples of the class. */
  support: number;
}

/** Everything {@link classificationReport} computes. */
export interface ClassificationReport {
  accuracy: number;
  macroPrecision: number;
  macroRecall: number;
  macroF1: number;
  /** Indexed by class. */
  perClass: ClassScores[];
  /** confusion[trueClass][predictedClass] = count. */
  confusion: number[][];
  /** Number of examples scored. */
  count: number;
}

function checkPair(predictions: ArrayLike<number>, labels: ArrayLike<number>, what: string): void {
  if (predictions.length !== labels.length) {
    throw new Error(`${what}: predictions has ${predictions.length} items but labels has ${labels.length}`);
  }
}

function checkClass(value: number, numClasses: number, what: string, name: string, index: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= numClasses) {
    throw new Error(`${what}: ${name}[${index}] = ${value} is not a class in [0, ${numClasses})`);
  }
}

/**
 * Fraction of predictions equal to the labels (0 for empty input).
 * @example
 * accuracy([0, 1, 1], [0, 1, 0]); // 0.6666…
 */
export function accuracy(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkPair(predictions, labels, 'accuracy');
  if (labels.length === 0) return 0;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) correct++;
  return correct / labels.length;
}

/**
 * Confusion matrix, `confusion[trueClass][predictedClass]`.
 * @example
 * confusionMatrix([0, 1, 1], [0, 1, 0], 2); // [[1, 1], [0, 1]]
 */
export function confusionMatrix(predictions: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number[][] {
  checkPair(predictions, labels, 'confusionMatrix');
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`confusionMatrix: numClasses must be an integer >= 1, got ${numClasses}`);
  }
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    const predicted = predictions[i] as number;
    checkClass(label, numClasses, 'confusionMatrix', 'labels', i);
    checkClass(predicted, numClasses, 'confusionMatrix', 'predictions', i);
    (confusion[label] as number[])[predicted]++;
  }
  return confusion;
}

/**
 * Accuracy, per-class precision/recall/F1, macro averages and the confusion matrix in one pass.
 * Macro averages run over the classes that occur in the labels or the predictions (scikit-learn's
 * `labels=None` behaviour), so a 10-class head scored on 5 target classes is not diluted by 5 empty ones.
 * @example
 * const r = classificationReport([0, 1, 1], [0, 1, 0], 2);
 * r.macroF1; // 0.6666…
 */
export function classificationReport(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): ClassificationReport {
  const confusion = confusionMatrix(predictions, labels, numClasses);
  const perClass: ClassScores[] = [];
  let sumP = 0, sumR = 0, sumF = 0, present = 0, correct = 0;
  for (let k = 0; k < numClasses; k++) {
    const row = confusion[k] as number[];
    const truePositive = row[k] as number;
    correct += truePositive;
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let j = 0; j < numClasses; j++) predicted += (confusion[j] as number[])[k] as number;
    const precision = predicted === 0 ? 0 : truePositive / predicted;
    const recall = support === 0 ? 0 : truePositive / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass.push({ precision, recall, f1, support });
    if (support > 0 || predicted > 0) {
      present++;
      sumP += precision;
      sumR += recall;
      sumF += f1;
    }
  }
  const count = labels.length;
  return {
    accuracy: count === 0 ? 0 : correct / count,
    macroPrecision: present === 0 ? 0 : sumP / present,
    macroRecall: present === 0 ? 0 : sumR / present,
    macroF1: present === 0 ? 0 : sumF / present,
    perClass,
    confusion,
    count,
  };
}

/**
 * Macro-averaged F1 (see {@link classificationReport}).
 * @example
 * macroF1([0, 1, 1], [0, 1, 0], 2); // 0.6666…
 */
export function macroF1(predictions: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number {
  return classificationReport(predictions, labels, numClasses).macroF1;
}

/**
 * Arg-max of each row of row-major logits (n, c); ties go to the first index, as in PyTorch.
 * @example
 * argmaxRows(Float32Array.from([0.1, 0.9, 0.8, 0.2]), 2, 2); // Int32Array [1, 0]
 */
export function argmaxRows(logits: ArrayLike<number>, n: number, c: number): Int32Array {
  if (logits.length !== n * c) throw new Error(`argmaxRows: logits has ${logits.length} values, expected n*c = ${n * c}`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestValue = logits[i * c] as number;
    for (let j = 1; j < c; j++) {
      const v = logits[i * c + j] as number;
      if (v > bestValue) {
        bestValue = v;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}

/**
 * Fraction of rows whose label is among the k largest logits (ties broken toward lower indices).
 * @example
 * topKAccuracy(Float32Array.from([0.1, 0.5, 0.4]), 1, 3, [2], 2); // 1
 */
export function topKAccuracy(logits: ArrayLike<number>, n: number, c: number, labels: ArrayLike<number>, k: number): number {
  if (logits.length !== n * c) throw new Error(`topKAccuracy: logits has ${logits.length} values, expected n*c = ${n * c}`);
  if (labels.length !== n) throw new Error(`topKAccuracy: labels has ${labels.length} items, expected ${n}`);
  if (!Number.isInteger(k) || k < 1) throw new Error(`topKAccuracy: k must be an integer >= 1, got ${k}`);
  if (n === 0) return 0;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const label = labels[i] as number;
    checkClass(label, c, 'topKAccuracy', 'labels', i);
    const target = logits[i * c + label] as number;
    // Rank of the label = values strictly larger, plus equal values at lower indices.
    let rank = 0;
    for (let j = 0; j < c; j++) {
      const v = logits[i * c + j] as number;
      if (v > target || (v === target && j < label)) rank++;
    }
    if (rank < k) hits++;
  }
  return hits / n;
}
