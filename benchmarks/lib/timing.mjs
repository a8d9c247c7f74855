/**
 * Timing for benchmarks: warm-up calls, then timed repeats until both a minimum count and a minimum
 * total time are reached; the median is reported because a shared machine's noise is one-sided.
 *
 * @example
 * import { measure } from './timing.mjs';
 * const { seconds } = await measure(() => work(), { repeat: 5 });
 */

/**
 * @typedef {object} MeasureOptions
 * @property {number} [warmup]      untimed calls first (default 1)
 * @property {number} [repeat]      at least this many timed calls (default 5)
 * @property {number} [minSeconds]  keep timing until the timed calls add up to this (default 0.25)
 * @property {number} [maxRepeat]   never more timed calls than this (default 1000)
 */

/**
 * @typedef {object} Measurement
 * @property {number}   seconds  median seconds per call
 * @property {number[]} samples  every timed call, in seconds, in the order they ran
 */

/**
 * Times `fn` (sync or async) and returns the median seconds per call.
 * @param {() => unknown} fn
 * @param {MeasureOptions} [options]
 * @returns {Promise<Measurement>}
 * @example
 * const { seconds, samples } = await measure(() => gemm(args), { warmup: 2, repeat: 10 });
 */
export async function measure(fn, options = {}) {
  const warmup = options.warmup ?? 1;
  const repeat = Math.max(1, options.repeat ?? 5);
  const minSeconds = options.minSeconds ?? 0.25;
  const maxRepeat = Math.max(repeat, options.maxRepeat ?? 1000);
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [];
  let total = 0;
  while (samples.length < repeat || (total < minSeconds && samples.length < maxRepeat)) {
    const t0 = process.hrtime.bigint();
    await fn();
    const dt = Number(process.hrtime.bigint() - t0) * 1e-9;
    samples.push(dt);
    total += dt;
  }
  return { seconds: median(samples), samples };
}

/**
 * The median of a non-empty list of numbers.
 * @param {number[]} values
 * @returns {number}
 * @example
 * median([3, 1, 2]); // 2
 */
export function median(values) {
  if (values.length === 0) throw new Error('median: no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
