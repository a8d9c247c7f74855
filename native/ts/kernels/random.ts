/**
 * Counter-based random numbers (Philox4x32-10, the Random123 generator), dropout and permutations.
 *
 * Stream mapping: a call with `(seed, offset)` fills element `i` from stream position `g = offset + i`;
 * position `g` is 32-bit word `g % 4` of the Philox block for counter `g / 4` (encoded as
 * `(lo32(g/4), hi32(g/4), 0, 0)`), keyed by `(lo32(seed), hi32(seed))`. A call of length n at offset o and
 * one of length m at o + n give exactly the numbers of one call of length n + m at o, for any thread
 * count. Advance `offset` by the elements drawn to get fresh numbers from the same seed
 * (a permutation of n draws 2*(n-1) positions). Seeds and offsets are integers in [0, 2^53).
 */
import { kernel, type Impl } from '../addon.js';

/**
 * One raw Philox4x32-10 block: ten rounds over a 128-bit counter (four 32-bit words) and a 64-bit key
 * (two words). Exposed for known-answer tests and for code that needs raw words.
 * @example
 * philox4x32([0, 0, 0, 0], [0, 0]); // [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
 */
export function philox4x32(
  counter: readonly [number, number, number, number],
  key: readonly [number, number],
): [number, number, number, number] {
  type Raw = (c0: number, c1: number, c2: number, c3: number, k0: number, k1: number) => [number, number, number, number];
  return kernel<Raw>('philox4x32')(counter[0], counter[1], counter[2], counter[3], key[0], key[1]);
}

/**
 * Fills `out` with uniform values in [low, high): `low + (high - low) * u`, u = (word >> 8) * 2^-24.
 * @example
 * const w = new Float32Array(6); randomUniform(w, 42, 0, -0.1, 0.1);
 */
export function randomUniform(out: Float32Array, seed: number, offset: number, low = 0, high = 1, impl: Impl = 'cpu'): void {
  type Raw = (out: Float32Array, seed: number, offset: number, low: number, high: number) => void;
  kernel<Raw>('randomUniform', impl)(out, seed, offset, low, high);
}

/**
 * Fills `out` with normal values (Box-Muller on word pairs (0,1) and (2,3) of each block: even positions
 * take the cosine, odd the sine).
 * @example
 * const w = new Float32Array(16); randomNormal(w, 7, 0, 0, Math.sqrt(2 / 16));
 */
export function randomNormal(out: Float32Array, seed: number, offset: number, mean = 0, std = 1, impl: Impl = 'cpu'): void {
  type Raw = (out: Float32Array, seed: number, offset: number, mean: number, std: number) => void;
  kernel<Raw>('randomNormal', impl)(out, seed, offset, mean, std);
}

/**
 * Fills `out` with 1 where `word * 2^-32 < p`, else 0.
 * @example
 * const keep = new Float32Array(10); randomBernoulli(keep, 0.5, 1, 0);
 */
export function randomBernoulli(out: Float32Array, p: number, seed: number, offset: number, impl: Impl = 'cpu'): void {
  type Raw = (out: Float32Array, p: number, seed: number, offset: number) => void;
  kernel<Raw>('randomBernoulli', impl)(out, p, seed, offset);
}

/** Arguments of {@link dropout}. x, y and mask have the same length. */
export interface DropoutArgs {
  x: Float32Array;
  y: Float32Array;
  /** Receives 1 where the element was kept, 0 where it was dropped. */
  mask: Uint8Array;
  /** Drop probability in [0, 1]. */
  p: number;
  seed: number;
  offset: number;
}

/**
 * Inverted dropout: element i is kept where `word(offset + i) * 2^-32 >= p`; `y = x * mask / (1 - p)`.
 * p = 0 copies x (mask all 1); p = 1 gives zeros (mask all 0).
 * @example
 * const x = new Float32Array(8).fill(1), y = new Float32Array(8), mask = new Uint8Array(8);
 * dropout({ x, y, mask, p: 0.5, seed: 3, offset: 0 }); // y[i] is 0 or 2
 */
export function dropout(args: DropoutArgs, impl: Impl = 'cpu'): void {
  type Raw = (x: Float32Array, y: Float32Array, mask: Uint8Array, p: number, seed: number, offset: number) => void;
  kernel<Raw>('dropout', impl)(args.x, args.y, args.mask, args.p, args.seed, args.offset);
}

/** Arguments of {@link dropoutBackward}. */
export interface DropoutBackwardArgs {
  dy: Float32Array;
  mask: Uint8Array;
  p: number;
  dx: Float32Array;
}

/**
 * Dropout backward: `dx = dy * mask / (1 - p)` (zeros when p = 1).
 * @example
 * dropoutBackward({ dy, mask, p: 0.5, dx });
 */
export function dropoutBackward(args: DropoutBackwardArgs, impl: Impl = 'cpu'): void {
  type Raw = (dy: Float32Array, mask: Uint8Array, p: number, dx: Float32Array) => void;
  kernel<Raw>('dropoutBackward', impl)(args.dy, args.mask, args.p, args.dx);
}

/**
 * Fills `out` with a random permutation of 0..n-1 (Fisher-Yates; step k swaps slot n-1-k with
 * floor(r * (n-k) / 2^64), r the 64-bit number from positions offset+2k (low) and offset+2k+1 (high)).
 * Serial; uses stream positions [offset, offset + 2*(n-1)).
 * @example
 * const order = new Int32Array(5); randomPermutation(order, 11, 0); // e.g. [3, 0, 4, 1, 2]
 */
export function randomPermutation(out: Int32Array, seed: number, offset: number, impl: Impl = 'cpu'): void {
  type Raw = (out: Int32Array, seed: number, offset: number) => void;
  kernel<Raw>('randomPermutation', impl)(out, seed, offset);
}
