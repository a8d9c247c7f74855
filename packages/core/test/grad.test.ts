/**
 * Every differentiable primitive against central finite differences (float64 accumulation of the
 * probed scalar; see gradCheck for the tolerance). Inputs are seeded, with odd sizes and broadcasting;
 * non-smooth ops get inputs kept away from their kinks by more than the step h.
 */
import { describe, test } from 'vitest';
import {
  add, sub, mul, div, pow, maximum, minimum, where, gt, tensor, functional as F, cat, stack, matmul, type Tensor,
} from '@graft/core';
import { gradCheck, randomTensor, seededRandom } from './helpers.js';

const rand = seededRandom(7);
const r = (shape: number[], lo = -1, hi = 1): Tensor => randomTensor(shape, rand, lo, hi, true);
/** Values at least 0.1 away from 0, so |x|, relu and friends are smooth within ±h. */
const awayFromZero = (shape: number[]): Tensor => {
  const t = randomTensor(shape, rand, 0.1, 1, false);
  const signs = randomTensor(shape, rand, -1, 1, false).dataSync() as Float32Array;
  const d = t.dataSync() as Float32Array;
  for (let i = 0; i < d.length; i++) if (signs[i] < 0) d[i] = -d[i];
  return t.setRequiresGrad(true);
};

describe('binary ops with broadcasting', () => {
  test('add, sub, mul, div', () => {
    gradCheck((a, b) => add(a, b), [r([3, 5]), r([5])], { label: 'add' });
    gradCheck((a, b) => sub(a, b), [r([2, 1, 3]), r([4, 1])], { label: 'sub' });
    gradCheck((a, b) => mul(a, b), [r([3, 1]), r([1, 7])], { label: 'mul' });
    gradCheck((a, b) => div(a, b), [r([2, 3]), r([3], 1, 2)], { label: 'div' });
  });
  test('scalar operands', () => {
    gradCheck((a) => a.add(2).mul(-3).sub(1).div(4), [r([7])], { label: 'scalar chain' });
  });
  test('pow with tensor and scalar exponents', () => {
    gradCheck((a, b) => pow(a, b), [r([3, 4], 0.5, 2), r([4], -1, 2)], { label: 'pow tensor' });
    gradCheck((a) => pow(a, 3), [r([5])], { label: 'pow 3' });
    gradCheck((a) => pow(a, 2), [r([5])], { label: 'pow 2' });
    gradCheck((a) => pow(a, 0.5), [r([5], 0.5, 2)], { label: 'pow 0.5' });
  });
  test('maximum and minimum (no ties)', () => {
    gradCheck((a, b) => maximum(a, b), [r([4, 3]), r([3])], { label: 'maximum' });
    gradCheck((a, b) => minimum(a, b), [r([4, 3]), r([4, 1])], { label: 'minimum' });
  });
  test('where', () => {
    const c = gt(randomTensor([3, 4], rand), 0);
    gradCheck((a, b) => where(c, a, b), [r([3, 4]), r([4])], { label: 'where' });
  });
});

describe('unary ops and activations', () => {
  const smooth: [string, (x: Tensor) => Tensor, number, number][] = [
    ['exp', (x) => x.exp(), -1, 1],
    ['log', (x) => x.log(), 0.5, 2],
    ['sqrt', (x) => x.sqrt(), 0.5, 2],
    ['neg', (x) => x.neg(), -1, 1],
    ['sigmoid', (x) => x.sigmoid(), -3, 3],
    ['tanh', (x) => x.tanh(), -2, 2],
    ['gelu', (x) => x.gelu(), -3, 3],
    ['gelu tanh', (x) => F.gelu(x, 'tanh'), -3, 3],
    ['silu', (x) => x.silu(), -3, 3],
  ];
  test.each(smooth)('%s', (name, fn, lo, hi) => {
    gradCheck(fn, [r([3, 7], lo, hi)], { label: name });
  });
  test('non-smooth maps away from their kinks', () => {
    gradCheck((x) => x.abs(), [awayFromZero([11])], { label: 'abs' });
    gradCheck((x) => x.relu(), [awayFromZero([11])], { label: 'relu' });
    gradCheck((x) => x.leakyRelu(0.2), [awayFromZero([11])], { label: 'leakyRelu' });
    gradCheck((x) => x.clamp(-0.05, 0.05), [awayFromZero([11])], { label: 'clamp' });
  });
});

describe('reductions', () => {
  test('sum and mean over dims, keepdim, non-adjacent dims', () => {
    gradCheck((x) => x.sum(), [r([3, 4])], { label: 'sum all' });
    gradCheck((x) => x.sum(1), [r([2, 3, 4])], { label: 'sum 1' });
    gradCheck((x) => x.sum([0, 2], { keepdim: true }), [r([2, 3, 4])], { label: 'sum 0,2 keepdim' });
    gradCheck((x) => x.mean([1, 2]), [r([2, 3, 5])], { label: 'mean 1,2' });
  });
  test('max and min', () => {
    gradCheck((x) => x.max(1), [r([3, 5])], { label: 'max 1' });
    gradCheck((x) => x.min(), [r([3, 5])], { label: 'min all' });
    gradCheck((x) => x.max([0, 2], { keepdim: true }), [r([2, 3, 2])], { label: 'max 0,2' });
  });
  test('var and std', () => {
    gradCheck((x) => x.var(1), [r([3, 5])], { label: 'var' });
    gradCheck((x) => x.std([0, 1], { correction: 0 }), [r([3, 5])], { label: 'std' });
  });
  test('softmax and logSoftmax over middle and last dims', () => {
    gradCheck((x) => x.softmax(1), [r([2, 5, 3])], { label: 'softmax 1' });
    gradCheck((x) => x.logSoftmax(-1), [r([3, 7])], { label: 'logSoftmax' });
  });
});

describe('matmul', () => {
  test('2-D, transposed views, batched with broadcast, 1-D', () => {
    gradCheck((a, b) => matmul(a, b), [r([3, 5]), r([5, 2])], { label: 'mm' });
    gradCheck((a, b) => matmul(a.T, b.T), [r([5, 3]), r([2, 5])], { label: 'mm transposed' });
    gradCheck((a, b) => matmul(a, b), [r([2, 3, 4]), r([4, 5])], { label: 'batched x shared' });
    gradCheck((a, b) => matmul(a, b), [r([2, 1, 3, 4]), r([3, 4, 2])], { label: 'broadcast batch' });
    gradCheck((a, b) => matmul(a, b), [r([4]), r([4, 3])], { label: 'vector-matrix' });
    gradCheck((a, b) => matmul(a, b), [r([3, 4]), r([4])], { label: 'matrix-vector' });
  });
});

describe('views and joins', () => {
  test('reshape, permute, slice with step, select, expand, squeeze, index', () => {
    gradCheck((x) => x.reshape(4, 3).permute(1, 0).mul(x.reshape(3, 4)), [r([2, 6])], { label: 'reshape/permute' });
    gradCheck((x) => x.slice(1, 1, 6, 2), [r([2, 7])], { label: 'slice step' });
    gradCheck((x) => x.select(0, -1), [r([3, 4])], { label: 'select' });
    gradCheck((x) => x.unsqueeze(0).expand(3, -1, -1), [r([2, 3])], { label: 'expand' });
    gradCheck((x) => x.index(null, [1, 3]), [r([2, 4, 1])], { label: 'index' });
    gradCheck((x) => x.transpose(0, 1).contiguous().squeeze(), [r([3, 1, 2])], { label: 'contiguous' });
  });
  test('cat, stack, split, chunk', () => {
    gradCheck((a, b) => cat([a, b], 1), [r([2, 3]), r([2, 4])], { label: 'cat' });
    gradCheck((a, b) => stack([a, b], 1), [r([2, 3]), r([2, 3])], { label: 'stack' });
    gradCheck((x) => { const [p, q] = x.split([2, 3], 1); return p.sum(1).add(q.mean(1)); }, [r([3, 5])], { label: 'split' });
    gradCheck((x) => x.chunk(3, 0)[2], [r([7, 2])], { label: 'chunk' });
  });
  test('indexSelect, gather, embedding', () => {
    const idx = tensor([2, 0, 2, 1], { dtype: 'int32' });
    gradCheck((x) => x.indexSelect(1, idx), [r([2, 3, 2])], { label: 'indexSelect' });
    const g = tensor([[0, 2], [1, 1], [2, 0]], { dtype: 'int32' });
    gradCheck((x) => x.gather(1, g), [r([3, 3])], { label: 'gather' });
    const tokens = tensor([[1, 3], [3, 0]], { dtype: 'int64' });
    gradCheck((w) => F.embedding(w, tokens), [r([4, 3])], { label: 'embedding' });
  });
});

describe('functional NN ops', () => {
  test('linear', () => {
    gradCheck((x, w, b) => F.linear(x, w, b), [r([2, 3, 5]), r([4, 5]), r([4])], { label: 'linear' });
  });
  test('conv2d: stride, padding, dilation, groups', () => {
    gradCheck((x, w, b) => F.conv2d(x, w, b, { padding: 1 }), [r([2, 3, 5, 5]), r([4, 3, 3, 3]), r([4])], { label: 'conv 3x3' });
    gradCheck((x, w) => F.conv2d(x, w, null, { stride: 2, dilation: [1, 2], padding: [0, 1] }), [r([1, 2, 7, 6]), r([3, 2, 2, 3])], { label: 'conv strided dilated' });
    gradCheck((x, w, b) => F.conv2d(x, w, b, { groups: 2, padding: 1 }), [r([1, 4, 4, 4]), r([6, 2, 3, 3]), r([6])], { label: 'conv groups' });
  });
  test('pooling', () => {
    gradCheck((x) => F.maxPool2d(x, 2), [r([2, 2, 4, 5])], { h: 1e-3, label: 'maxPool2d' });
    gradCheck((x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }), [r([1, 2, 5, 5])], { h: 1e-3, label: 'maxPool2d pad' });
    gradCheck((x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [r([1, 2, 5, 6])], { label: 'avgPool2d' });
    gradCheck((x) => F.adaptiveAvgPool2d(x, [2, 3]), [r([2, 2, 5, 7])], { label: 'adaptiveAvgPool2d' });
  });
  test('batchNorm in training and frozen modes, layerNorm', () => {
    const c = 3;
    const rm = tensor(new Float32Array(c), { shape: [c] });
    const rv = tensor(new Float32Array(c).fill(1), { shape: [c] });
    // Training mode updates the running stats in place on every call; the gradient does not depend on them.
    gradCheck((x, w, b) => F.batchNorm(x, rm, rv, w, b, { training: true }), [r([4, c, 2, 3]), r([c]), r([c])], { atol: 1e-2, rtol: 1e-2, label: 'batchNorm train' });
    const fm = randomTensor([c], rand, -0.5, 0.5);
    const fv = randomTensor([c], rand, 0.5, 2);
    gradCheck((x, w, b) => F.batchNorm(x, fm, fv, w, b, { training: false }), [r([2, c, 3]), r([c]), r([c])], { label: 'batchNorm frozen' });
    gradCheck((x, w, b) => F.layerNorm(x, [5], w, b), [r([3, 5]), r([5]), r([5])], { atol: 1e-2, rtol: 1e-2, label: 'layerNorm' });
  });
  test('dropout with a fixed seed', () => {
    gradCheck((x) => F.dropout(x, 0.4, { seed: 11 }), [r([5, 7])], { label: 'dropout' });
  });
  test('losses', () => {
    const labels = tensor([2, 0, 1, 2], { dtype: 'int32' });
    gradCheck((x) => F.crossEntropy(x, labels), [r([4, 3], -2, 2)], { label: 'crossEntropy' });
    const w = tensor([0.5, 2, 1]);
    const ignored = tensor([2, -100, 1, 0], { dtype: 'int32' });
    gradCheck((x) => F.crossEntropy(x, ignored, { weight: w, labelSmoothing: 0.1 }), [r([4, 3], -2, 2)], { label: 'crossEntropy weighted smoothed' });
    gradCheck((x) => F.crossEntropy(x, labels, { reduction: 'none' }), [r([4, 3], -2, 2)], { label: 'crossEntropy none' });
    const soft = randomTensor([2, 3, 2], rand, 0, 1).softmax(1);
    gradCheck((x) => F.crossEntropy(x, soft), [r([2, 3, 2])], { label: 'crossEntropy soft 3-D' });
    gradCheck((x) => F.nllLoss(x.logSoftmax(1), ignored, { weight: w }), [r([4, 3])], { label: 'nllLoss' });
    gradCheck((a, b) => F.mseLoss(a, b), [r([3, 4]), r([3, 4])], { label: 'mseLoss' });
    const t = randomTensor([3, 4], rand, 0, 1);
    const pw = tensor([1, 2, 0.5, 3]);
    gradCheck((x) => F.binaryCrossEntropyWithLogits(x, t, { posWeight: pw }), [r([3, 4], -3, 3)], { label: 'bce' });
    gradCheck((x) => F.binaryCrossEntropyWithLogits(x, t, { weight: t, reduction: 'sum' }), [r([3, 4], -3, 3)], { label: 'bce weighted' });
  });
});

describe('lerp', () => {
  // Its own generator, so the inputs of the suites above do not depend on this one.
  const lr = seededRandom(31);
  const q = (shape: number[]): Tensor => randomTensor(shape, lr, -1, 1, true);
  test('same shapes, broadcast operands, a number weight', () => {
    gradCheck((a, b, w) => F.lerp(a, b, w), [q([3, 5]), q([3, 5]), q([3, 5])], { label: 'lerp' });
    gradCheck((a, b, w) => a.lerp(b, w), [q([2, 1, 3]), q([4, 1]), q([3])], { label: 'lerp broadcast' });
    gradCheck((a, b) => F.lerp(a, b, 0.3), [q([7]), q([2, 7])], { label: 'lerp number weight' });
  });
  test('only the weight requires grad', () => {
    const [a, b] = [randomTensor([4, 3], lr), randomTensor([4, 3], lr)];
    gradCheck((w) => F.lerp(a, b, w), [q([3])], { label: 'lerp weight only' });
  });
});
