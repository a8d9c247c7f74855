/**
 * Tensor basics: creation, dtypes, views (shared storage, strides), joins and splits, data access,
 * printing and error messages.
 */
import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import {
  tensor, zeros, ones, full, arange, linspace, eye, rand, randn, zerosLike, onesLike, cat, stack, manualSeed,
  add, matmul, Tensor, cudaDeviceAvailable, type NestedArray,
} from '@graft/core';

describe('creation', () => {
  test('constants, ranges and identity', () => {
    expect(zeros([2, 3]).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(ones([2]).toArray()).toEqual([1, 1]);
    expect(full([2, 1], 7).toArray()).toEqual([[7], [7]]);
    expect(arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(zerosLike(eye(2)).shape).toEqual([2, 2]);
    expect(onesLike(zeros([3], { dtype: 'int32' })).toArray()).toEqual([1, 1, 1]);
    expect(zeros([0, 3]).numel).toBe(0);
    expect(zeros([]).item()).toBe(0);
  });

  test('from nested arrays and typed arrays, with dtypes', () => {
    const t = tensor([[1, 2], [3, 4]]);
    expect(t.shape).toEqual([2, 2]);
    expect(t.dtype).toBe('float32');
    expect(tensor([true, false]).dtype).toBe('bool');
    expect(tensor([true, false]).toArray()).toEqual([true, false]);
    expect(tensor([1n, 2n]).dtype).toBe('int64');
    expect(tensor(new Int32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] }).toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => tensor(new Float32Array(5), { shape: [2, 3] })).toThrow(/needs 6 elements but the array has 5/);
  });

  test('float16 and bfloat16 bits convert with .float(); integers convert both ways', () => {
    const half = tensor(Uint16Array.from([0x3c00, 0xc000, 0x3555]), { dtype: 'float16' });
    expect(half.float().toArray()).toEqual([1, -2, Math.fround(0.333251953125)]);
    const bf = tensor(Uint16Array.from([0x3f80, 0x4049]), { dtype: 'bfloat16' });
    expect(bf.float().toArray()).toEqual([1, 3.140625]);
    expect(tensor([1.7, -2.5, 3]).int().toArray()).toEqual([1, -2, 3]);
    expect(tensor([1, 0, 2], { dtype: 'uint8' }).float().toArray()).toEqual([1, 0, 2]);
    expect(tensor([5n, -3n]).float().toArray()).toEqual([5, -3]);
    expect(tensor([4.9, -1]).long().toArray()).toEqual([4, -1]);
    expect(tensor([0.5, 0]).to('bool').toArray()).toEqual([true, false]);
    expect(tensor([1, 2]).to('float16').float().toArray()).toEqual([1, 2]);
  });

  test('seeded random numbers repeat; the global generator advances', () => {
    expect(randn([5], { seed: 3 }).toArray()).toEqual(randn([5], { seed: 3 }).toArray());
    const u = rand([1000], { seed: 1 }).dataSync();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    manualSeed(9);
    const a = randn([4]).toArray();
    const b = randn([4]).toArray();
    expect(a).not.toEqual(b);
    manualSeed(9);
    expect(randn([4]).toArray()).toEqual(a);
  });
});

describe('views', () => {
  const base = (): Tensor => arange(24).reshape(2, 3, 4);

  test('reshape and view share storage; view refuses incompatible strides', () => {
    const x = base();
    const v = x.view(6, 4);
    expect(v.storage).toBe(x.storage);
    expect(x.reshape(-1).shape).toEqual([24]);
    const t = x.transpose(1, 2);
    expect(() => t.view(24)).toThrow(/not compatible with the strides/);
    const copied = t.reshape(24);
    expect(copied.storage).not.toBe(x.storage);
    expect((copied.toArray() as number[]).slice(0, 5)).toEqual([0, 4, 8, 1, 5]);
    expect(() => x.reshape(5, -1)).toThrow(/cannot reshape tensor of shape \[2, 3, 4\]/);
  });

  test('permute, transpose and T give strided views with the right elements', () => {
    const x = base();
    const p = x.permute(2, 0, 1);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(p.strides).toEqual([1, 12, 4]);
    expect(p.isContiguous()).toBe(false);
    expect(p.index(1, 1).toArray()).toEqual([13, 17, 21]);
    expect(arange(6).reshape(2, 3).T.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
  });

  test('slice with steps and negative bounds, narrow, select, index', () => {
    const x = arange(10);
    expect(x.slice(0, 1, 8, 3).toArray()).toEqual([1, 4, 7]);
    expect(x.slice(0, -3).toArray()).toEqual([7, 8, 9]);
    expect(x.slice(0, 20, 30).numel).toBe(0);
    expect(x.narrow(0, 2, 3).toArray()).toEqual([2, 3, 4]);
    expect(() => x.narrow(0, 8, 3)).toThrow(/out of range/);
    const m = base();
    expect(m.select(1, -1).toArray()).toEqual([[8, 9, 10, 11], [20, 21, 22, 23]]);
    expect(m.index(1, [0, 3, 2], [1, undefined, 2]).toArray()).toEqual([[13, 15], [21, 23]]);
  });

  test('squeeze, unsqueeze, expand (stride 0), flatten', () => {
    const x = zeros([1, 3, 1]);
    expect(x.squeeze().shape).toEqual([3]);
    expect(x.squeeze(0).shape).toEqual([3, 1]);
    expect(x.unsqueeze(-1).shape).toEqual([1, 3, 1, 1]);
    const e = tensor([1, 2, 3]).unsqueeze(0).expand(2, -1);
    expect(e.strides).toEqual([0, 1]);
    expect(e.toArray()).toEqual([[1, 2, 3], [1, 2, 3]]);
    expect(() => tensor([1, 2]).expand(3)).toThrow(/cannot expand shape \[2\] to \[3\]/);
    expect(base().flatten(1).shape).toEqual([2, 12]);
  });

  test('cat, stack, split and chunk', () => {
    const a = tensor([[1, 2]]);
    const b = tensor([[3, 4], [5, 6]]);
    expect(cat([a, b], 0).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(stack([a, a], 2).shape).toEqual([1, 2, 2]);
    expect(() => cat([a, tensor([[1, 2, 3]])], 0)).toThrow(/differ outside dim 0/);
    expect(arange(7).split(3).map((t) => t.toArray())).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(arange(6).chunk(4).map((t) => t.numel)).toEqual([2, 2, 2]);
    expect(() => arange(6).split([2, 2])).toThrow(/do not add up to 6/);
  });
});

describe('data access and printing', () => {
  test('dataSync is a view for packed tensors and a copy for strided ones; item needs one element', () => {
    const x = tensor([[1, 2], [3, 4]]);
    const d = x.dataSync();
    d[0] = 10;
    expect(x.toArray()).toEqual([[10, 2], [3, 4]]);
    expect(Array.from(x.T.dataSync())).toEqual([10, 3, 2, 4]);
    expect(() => x.item()).toThrow(/4 elements/);
    expect(tensor([[5]]).item()).toBe(5);
  });

  test('PyTorch-like printing', () => {
    expect(String(tensor([1, 2]))).toBe('tensor([1., 2.])');
    expect(String(tensor([[0.5, -1.25]]))).toBe('tensor([[ 0.5000, -1.2500]])');
    expect(String(tensor([1, 2], { dtype: 'int32' }))).toBe('tensor([1, 2], dtype=int32)');
    expect(String(tensor([3], { requiresGrad: true }))).toBe('tensor([3.], requires_grad=True)');
    expect(String(tensor([3], { requiresGrad: true }).mul(2))).toBe('tensor([6.], grad_fn=<mul>)');
    expect(String(tensor([1e-6, 1]))).toBe('tensor([1.0000e-06, 1.0000e+00])');
    expect(String(zeros([2, 2]))).toBe('tensor([[0., 0.],\n        [0., 0.]])');
    expect(String(arange(2000))).toContain('...');
    expect(inspect(tensor([1, 2]))).toBe('tensor([1., 2.])');
    const nested: NestedArray = tensor([true]).toArray();
    expect(nested).toEqual([true]);
  });
});

describe('errors', () => {
  test('shape mismatches name the op and both shapes', () => {
    expect(() => add(zeros([2, 3]), zeros([4]))).toThrow('add: cannot broadcast [2, 3] with [4]');
    expect(() => matmul(zeros([2, 3]), zeros([4, 5]))).toThrow(/matmul: shapes \[2, 3\] and \[4, 5\] do not match/);
  });
  test('dtype mismatch and disposed tensors say so', () => {
    expect(() => add(zeros([2]), zeros([2], { dtype: 'int32' }))).toThrow(/add: expected a float32 tensor but got int32/);
    const x = zeros([2]);
    x.dispose();
    expect(() => x.add(1)).toThrow(/has been disposed/);
    expect(() => x.toArray()).toThrow(/has been disposed/);
    expect(String(x)).toContain('disposed');
  });
  test('unsupported devices are clear errors', () => {
    if (!cudaDeviceAvailable()) {
      expect(() => zeros([2], { device: 'cuda' })).toThrow(/cannot use device 'cuda': (Graft was built without CUDA|no CUDA device)/);
    }
    expect(() => zeros([2], { device: 'tpu' as never })).toThrow(/unknown device 'tpu'/);
  });
});
