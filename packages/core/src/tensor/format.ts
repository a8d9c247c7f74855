/**
 * PyTorch-like printing: `tensor([[ 1.0000, -2.5000]], requires_grad=True)`, summarised with `...`
 * beyond 1000 elements (3 items at each edge).
 */
import { elementAt } from '../ops/cast.js';
import type { Tensor } from './tensor.js';

const EDGE = 3;
const THRESHOLD = 1000;

function shownIndices(size: number, summarise: boolean): (number | null)[] {
  if (!summarise || size <= 2 * EDGE) return Array.from({ length: size }, (_, i) => i);
  return [0, 1, 2, null, size - 3, size - 2, size - 1];
}

/** Formats one float the way the whole tensor is formatted. */
function numberFormatter(values: number[], isFloat: boolean): (v: number) => string {
  if (!isFloat) return (v) => String(v);
  const finite = values.filter((v) => Number.isFinite(v));
  const allInts = finite.every((v) => Number.isInteger(v));
  const absMax = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const absMin = finite.reduce((m, v) => (v !== 0 ? Math.min(m, Math.abs(v)) : m), Infinity);
  const special = (v: number): string | null => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : null);
  if (allInts && absMax < 1e8) return (v) => special(v) ?? `${v.toFixed(0)}.`;
  if (absMax >= 1e8 || (absMin < 1e-4 && absMin !== Infinity) || (absMin !== Infinity && absMax / absMin > 1e3 && absMax > 1e3)) {
    return (v) => special(v) ?? v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return (v) => special(v) ?? v.toFixed(4);
}

/**
 * The printed form of a tensor.
 * @example
 * formatTensor(tensor([1, 2])); // 'tensor([1., 2.])'
 */
export function formatTensor(t: Tensor): string {
  const summarise = t.numel > THRESHOLD;
  const isFloat = t.dtype === 'float32' || t.dtype === 'float16' || t.dtype === 'bfloat16';
  const values: number[] = [];
  const positions: number[] = [];
  const strides: number[] = [];
  for (let d = t.ndim - 1, s = 1; d >= 0; d--) {
    strides[d] = s;
    s *= t.shape[d];
  }
  const gatherValues = (dim: number, flat: number): void => {
    if (dim === t.ndim) {
      positions.push(flat);
      values.push(elementAt(t, flat));
      return;
    }
    for (const i of shownIndices(t.shape[dim], summarise)) if (i !== null) gatherValues(dim + 1, flat + i * strides[dim]);
  };
  if (t.numel > 0) gatherValues(0, 0);
  const fmt = t.dtype === 'bool' ? (v: number): string => (v !== 0 ? 'True' : 'False') : numberFormatter(values, isFloat);
  const texts = values.map(fmt);
  const width = texts.reduce((m, s) => Math.max(m, s.length), 0);
  const byFlat = new Map<number, string>();
  positions.forEach((p, i) => byFlat.set(p, texts[i].padStart(width)));
  const indent = 'tensor('.length;
  const render = (dim: number, flat: number): string => {
    if (dim === t.ndim) return byFlat.get(flat) ?? '';
    const parts = shownIndices(t.shape[dim], summarise).map((i) => (i === null ? '...' : render(dim + 1, flat + i * strides[dim])));
    const sep = dim === t.ndim - 1 ? ', ' : ',' + '\n'.repeat(t.ndim - dim - 1) + ' '.repeat(indent + dim + 1);
    return `[${parts.join(sep)}]`;
  };
  let body = t.ndim === 0 ? (texts[0] ?? '').trim() : render(0, 0);
  if (t.numel === 0) body = t.ndim <= 1 ? '[]' : `[], size=(${t.shape.join(', ')})`;
  const extras: string[] = [];
  if (t.device !== 'cpu') extras.push(`device='${t.device}'`);
  if (t.dtype !== 'float32') extras.push(`dtype=${t.dtype}`);
  if (t.gradFn !== null) extras.push(`grad_fn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) extras.push('requires_grad=True');
  return `tensor(${body}${extras.map((e) => `, ${e}`).join('')})`;
}
