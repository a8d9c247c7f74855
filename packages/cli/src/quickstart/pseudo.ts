/**
 * Pseudo-label selection of the quickstart's self-training: softmax confidences of the teacher's
 * logits, then the same number of most confident items for every class (class balance keeps the
 * teacher's favourite classes from piling up and confirming themselves).
 */

/**
 * Arg-max class and its softmax probability for each row of (n, c) logits.
 * @example
 * softmaxConfidence(Float32Array.from([2, 0, 0, 3]), 2, 2); // predicted [0, 1], confidence [0.88, 0.95]
 */
export function softmaxConfidence(logits: Float32Array, n: number, c: number): { predicted: Int32Array; confidence: Float32Array } {
  if (logits.length !== n * c) throw new Error(`softmaxConfidence: logits has ${logits.length} values, expected n * c = ${n * c}`);
  const predicted = new Int32Array(n);
  const confidence = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0, max = -Infinity;
    for (let j = 0; j < c; j++) {
      const v = logits[i * c + j] as number;
      if (v > max) { max = v; best = j; }
    }
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp((logits[i * c + j] as number) - max);
    predicted[i] = best;
    confidence[i] = 1 / sum;
  }
  return { predicted, confidence };
}

/** What {@link selectBalanced} keeps. */
export interface BalancedSelection {
  /** Pool indices kept, ascending. */
  indices: Int32Array;
  /** Items kept per predicted class. */
  keptPerClass: number[];
  /** The lowest confidence kept (the effective threshold), or 1 when nothing was kept. */
  threshold: number;
}

/**
 * Keeps, for every class, the `perClass` items predicted as that class with the highest confidence
 * (all of them when fewer); ties break by index, so the choice is deterministic.
 * @example
 * selectBalanced(Int32Array.from([0, 1, 0]), Float32Array.from([0.9, 0.8, 0.7]), 2, 1); // indices [0, 1]
 */
export function selectBalanced(predicted: Int32Array, confidence: Float32Array, classes: number, perClass: number): BalancedSelection {
  if (!Number.isInteger(perClass) || perClass < 1) throw new Error(`selectBalanced: perClass must be an integer >= 1, got ${perClass}`);
  if (predicted.length !== confidence.length) throw new Error(`selectBalanced: ${predicted.length} predictions but ${confidence.length} confidences`);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  predicted.forEach((p, i) => {
    if (p < 0 || p >= classes) throw new Error(`selectBalanced: prediction ${p} of item ${i} is not a class in [0, ${classes})`);
    byClass[p]?.push(i);
  });
  const kept: number[] = [];
  const keptPerClass: number[] = [];
  let threshold = 1;
  for (const members of byClass) {
    members.sort((a, b) => (confidence[b] as number) - (confidence[a] as number) || a - b);
    const chosen = members.slice(0, perClass);
    for (const i of chosen) threshold = Math.min(threshold, confidence[i] as number);
    kept.push(...chosen);
    keptPerClass.push(chosen.length);
  }
  return { indices: Int32Array.from(kept.sort((a, b) => a - b)), keptPerClass, threshold };
}
