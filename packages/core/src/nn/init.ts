/**
 * Seeded parameter initialisation with PyTorch's formulas (torch.nn.init, 1.13): the same
 * distributions and bounds (the numbers differ from PyTorch's, the statistics do not). Each fill
 * takes a fresh seed from a {@link Generator} and runs the native Philox kernels with it, so a
 * module-level default generator makes model construction reproducible and fast:
 * `manualSeed(0); const a = resnet18(); manualSeed(0); const b = resnet18();` gives equal weights.
 */
import type { Tensor } from '../tensor/tensor.js';
import { manualSeed as seedTensorRandom } from '../ops/creation.js';
import { backendFor } from '../tensor/backend.js';

/** A generator's full state, JSON-serialisable. */
export interface GeneratorState {
  s: number[];
  spareNormal: number | null;
}

/**
 * A small, fast, seedable random source (xoshiro128**, seeded through splitmix32).
 * @example
 * const g = new Generator(42);
 * g.uniform(3, -1, 1); // Float32Array(3) in [-1, 1)
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /**
   * Restarts the sequence from `seed` (any integer; fractional parts are ignored).
   * @example
   * g.seed(7);
   */
  seed(seed: number): void {
    let x = Math.trunc(seed) >>> 0;
    let hi = Math.trunc(seed / 2 ** 32) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x ^ hi;
      hi = Math.imul(hi ^ (hi >>> 15), 0x2c1b3c6d) >>> 0;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next(); this.s1 = next(); this.s2 = next(); this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spareNormal = null;
  }

  /**
   * The next 32 random bits as an unsigned integer.
   * @example
   * g.nextUint32(); // 0 .. 2^32-1
   */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0; this.s3 ^= this.s1; this.s1 ^= this.s2; this.s0 ^= this.s3;
    this.s2 ^= t; this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * A uniform double in [0, 1) with 53 random bits.
   * @example
   * g.random(); // 0.42...
   */
  random(): number {
    return ((this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6)) / 9007199254740992;
  }

  /**
   * A fresh seed for a derived stream (a dropout mask, a new head's weights).
   * @example
   * const seed = g.nextSeed();
   */
  nextSeed(): number {
    return this.nextUint32() * 2048 + (this.nextUint32() >>> 21);
  }

  /**
   * `n` values uniform in [low, high).
   * @example
   * g.uniform(4, -0.5, 0.5);
   */
  uniform(n: number, low: number, high: number): Float32Array {
    const out = new Float32Array(n);
    const width = high - low;
    for (let i = 0; i < n; i++) out[i] = low + width * this.random();
    return out;
  }

  /**
   * `n` values from N(mean, std²) (Box-Muller).
   * @example
   * g.normal(4, 0, 0.01);
   */
  normal(n: number, mean: number, std: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.standardNormal();
    return out;
  }

  /**
   * The full state (to save in a checkpoint).
   * @example
   * const saved = g.getState(); g.random(); g.setState(saved);
   */
  getState(): GeneratorState {
    return { s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spareNormal: this.spareNormal };
  }

  /**
   * Restores a state from {@link getState}.
   * @example
   * g.setState(saved);
   */
  setState(state: GeneratorState): void {
    const s = state.s;
    if (!Array.isArray(s) || s.length !== 4 || !s.every((v) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 32)) {
      throw new Error('Generator.setState: state.s must be four 32-bit integers');
    }
    [this.s0, this.s1, this.s2, this.s3] = s.map((v) => v | 0);
    this.spareNormal = typeof state.spareNormal === 'number' ? state.spareNormal : null;
  }

  private standardNormal(): number {
    if (this.spareNormal !== null) {
      const s = this.spareNormal;
      this.spareNormal = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

let defaultGen = new Generator(0);

/**
 * Seeds every global random source: the generator that layer constructors and `Dropout` draw from,
 * and the Philox stream of random tensor ops called without a seed (`rand`, `randn`, `dropout`).
 * @example
 * manualSeed(1234); const model = resnet20();
 */
export function manualSeed(seed: number): void {
  seedTensorRandom(seed);
  defaultGen = new Generator(seed);
}

/**
 * The default generator (see {@link manualSeed}).
 * @example
 * const seed = defaultGenerator().nextSeed();
 */
export function defaultGenerator(): Generator {
  return defaultGen;
}

/** Nonlinearities for {@link calculateGain}. */
export type Nonlinearity = 'linear' | 'conv2d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/**
 * The recommended gain for a nonlinearity (torch.nn.init.calculate_gain).
 * @example
 * calculateGain('relu'); // Math.SQRT2
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv2d': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': { const slope = param ?? 0.01; return Math.sqrt(2 / (1 + slope * slope)); }
    case 'selu': return 3 / 4;
  }
}

/**
 * fan_in and fan_out of a weight shape: (out, in, ...kernel) as PyTorch counts them.
 * @example
 * fans([16, 3, 3, 3]); // { fanIn: 27, fanOut: 144 }
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`init: fan in and fan out need at least 2 dims, got shape [${shape.join(', ')}]`);
  const receptive = shape.slice(2).reduce((p, d) => p * d, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

function checkTarget(t: Tensor): void {
  if (t.dtype !== 'float32' || !t.isContiguous()) throw new Error(`init: expected a packed float32 tensor, got ${t.dtype}`);
}

/**
 * Fills `t` with U(low, high) in place.
 * @example
 * uniform_(bias, -0.1, 0.1);
 */
export function uniform_(t: Tensor, low: number, high: number, gen: Generator = defaultGen): Tensor {
  checkTarget(t);
  backendFor(t.device).randomUniform(t, gen.nextSeed(), 0, low, high);
  return t;
}

/**
 * Fills `t` with N(mean, std²) in place.
 * @example
 * normal_(fc.weight, 0, 0.01);
 */
export function normal_(t: Tensor, mean: number, std: number, gen: Generator = defaultGen): Tensor {
  checkTarget(t);
  if (std === 0) return constant_(t, mean);
  backendFor(t.device).randomNormal(t, gen.nextSeed(), 0, mean, std);
  return t;
}

/**
 * Fills `t` with a constant in place.
 * @example
 * constant_(bn.weight, 1);
 */
export function constant_(t: Tensor, value: number): Tensor {
  checkTarget(t);
  backendFor(t.device).fill(t, value);  // any device
  return t;
}

/** Options of the Kaiming initialisers. */
export interface KaimingOptions {
  /** Negative slope of leaky_relu (torch's `a`), default 0. */
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}

function kaimingStd(shape: readonly number[], options: KaimingOptions): number {
  const { fanIn, fanOut } = fans(shape);
  const fan = (options.mode ?? 'fan_in') === 'fan_in' ? fanIn : fanOut;
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  return fan === 0 ? 0 : gain / Math.sqrt(fan);
}

/**
 * He uniform init: U(-b, b), b = gain * sqrt(3 / fan). Linear and Conv2d use `{ a: Math.sqrt(5) }`.
 * @example
 * kaimingUniform_(linear.weight, { a: Math.sqrt(5) });
 */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t.shape, options);
  return uniform_(t, -bound, bound, options.generator);
}

/**
 * He normal init: N(0, (gain / sqrt(fan))²). torchvision ResNet/VGG convs use
 * `{ mode: 'fan_out', nonlinearity: 'relu' }`.
 * @example
 * kaimingNormal_(conv.weight, { mode: 'fan_out', nonlinearity: 'relu' });
 */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t.shape, options), options.generator);
}
