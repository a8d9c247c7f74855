/**
 * k-nearest-neighbour accuracy of frozen features: the usual check of a self-supervised backbone
 * (no head is trained). Features are L2-normalised; neighbours by cosine similarity; majority vote
 * with ties to the nearest neighbour's class.
 */
import { cat, noGrad, tidy, keep, type Classifier, type Tensor } from '@graft/core';
import { createLoader, imagesToTensor, type Dataset, type Transform } from '@graft/data';

/** Options of {@link knnAccuracy}. */
export interface KnnOptions {
  /** Neighbours that vote (default 20). */
  k?: number;
  /** Batch size of the feature pass (default 500). */
  batchSize?: number;
}

async function featuresOf(model: Classifier, data: Dataset, transform: Transform, batchSize: number): Promise<Tensor> {
  const parts: Tensor[] = [];
  const device = model.device;
  for await (const batch of createLoader(data, { batchSize, transform })) {
    parts.push(keep(tidy(() => noGrad(() => {
      const f = model.features(imagesToTensor(batch, device));
      return f.div(f.mul(f).sum(1, { keepdim: true }).add(1e-12).sqrt());
    }))));
  }
  const all = tidy(() => cat(parts, 0));
  for (const p of parts) p.dispose();
  return all;
}

/** Majority label of one row's k most similar bank rows; ties go to the class of the nearest. */
function vote(sims: Float32Array, bankLabels: Int32Array, k: number): number {
  const best: number[] = [];
  for (let j = 0; j < sims.length; j++) {
    if (best.length < k || (sims[j] as number) > (sims[best[best.length - 1] as number] as number)) {
      let at = best.length < k ? best.length : best.length - 1;
      best[at] = j;
      while (at > 0 && (sims[best[at] as number] as number) > (sims[best[at - 1] as number] as number)) {
        [best[at], best[at - 1]] = [best[at - 1] as number, best[at] as number];
        at--;
      }
    }
  }
  const counts = new Map<number, number>();
  for (const j of best) counts.set(bankLabels[j] as number, (counts.get(bankLabels[j] as number) ?? 0) + 1);
  let label = bankLabels[best[0] as number] as number, most = counts.get(label) ?? 0;
  for (const [l, c] of counts) if (c > most) label = l, most = c;
  return label;
}

/**
 * Accuracy on `test` of a k-NN vote over `bank`'s features (model in eval mode, restored after).
 * @example
 * const acc = await knnAccuracy(model, trainSubset, test, plain, { k: 20 });
 */
export async function knnAccuracy(model: Classifier, bank: Dataset, test: Dataset, transform: Transform, options: KnnOptions = {}): Promise<number> {
  const k = options.k ?? 20, batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(k) || k < 1 || k > bank.length) throw new Error(`knnAccuracy: k must be an integer in [1, ${bank.length}] (the bank size), got ${k}`);
  const wasTraining = model.training;
  model.eval();
  const bankLabels = Int32Array.from({ length: bank.length }, (_, i) => bank.label(i));
  const bankFeatures = await featuresOf(model, bank, transform, batchSize);
  const testFeatures = await featuresOf(model, test, transform, batchSize);
  let correct = 0;
  try {
    const bankT = tidy(() => bankFeatures.transpose(0, 1).contiguous());
    for (let start = 0; start < test.length; start += batchSize) {
      const rows = Math.min(batchSize, test.length - start);
      const sims = tidy(() => testFeatures.narrow(0, start, rows).matmul(bankT).dataSync<'float32'>().slice());
      for (let r = 0; r < rows; r++) {
        if (vote(sims.subarray(r * bank.length, (r + 1) * bank.length), bankLabels, k) === test.label(start + r)) correct++;
      }
    }
    bankT.dispose();
  } finally {
    bankFeatures.dispose(), testFeatures.dispose();
    model.train(wasTraining);
  }
  return test.length === 0 ? 0 : correct / test.length;
}
