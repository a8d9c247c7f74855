/**
 * Module: the base of every layer and model. It owns named parameters (float32 leaves that require
 * grad), buffers (running statistics, counters) and child modules, in registration order, so that
 * `stateDict()` lists keys exactly as PyTorch's `state_dict()` does (own parameters, own buffers,
 * then each child with its name as prefix).
 *
 * Parameters and buffers are long-lived: created kept (no `tidy` scope disposes them), updated in
 * place by optimizers and `loadStateDict`, so references held elsewhere stay valid.
 */
import { Tensor } from '../tensor/tensor.js';
import { Storage, parseDevice, type Device } from '../tensor/storage.js';
import type { DType } from '../tensor/dtype.js';
import { shapeString } from '../tensor/shape.js';
import { matchesName, type NamePattern } from './pattern.js';
import { noGrad } from '../autograd/graph.js';
import { copyInto } from '../ops/inplace.js';

/** What `loadStateDict` found (and, when not strict, skipped). */
export interface LoadReport {
  /** Keys the module has but the state dict lacks. */
  missing: string[];
  /** Keys the state dict has but the module lacks. */
  unexpected: string[];
  /** Keys present in both with different shapes. */
  mismatched: { key: string; expected: number[]; got: number[] }[];
}

/** A state dict: names to tensors, ordered. */
export type StateDict = Map<string, Tensor>;

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /** Throw (loading nothing) unless keys and shapes match exactly. Default true. */
  strict?: boolean;
}

/**
 * A new packed tensor (float32 unless given) filled with zeros, kept (scopes never dispose it).
 * @example
 * const w = zerosKept([4, 3]);
 */
export function zerosKept(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const storage = Storage.alloc(dtype, n);
  const data = storage.data;
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength).fill(0);
  return new Tensor(storage, [...shape]).keep();
}

/**
 * Base class of layers and models. Subclasses register their state in the constructor and define
 * `forward`.
 * @example
 * class Affine extends Module<[Tensor], Tensor> {
 *   readonly scale = this.registerParameter('scale', zerosKept([1]));
 *   forward(x: Tensor): Tensor { return x.mul(this.scale); }
 * }
 */
export abstract class Module<I extends unknown[] = [Tensor], O = Tensor> {
  /** Whether the module is in training mode (see {@link train} / {@link eval}). */
  training = true;
  private readonly params = new Map<string, Tensor | null>();
  private readonly buffers = new Map<string, { tensor: Tensor | null; persistent: boolean }>();
  private readonly modules = new Map<string, AnyModule | null>();

  /** Computes the output. */
  abstract forward(...inputs: I): O;

  /**
   * Registers (or replaces) a parameter: a float32 tensor that requires grad, kept alive. `null`
   * declares an absent optional parameter (e.g. a bias turned off).
   * @example
   * this.weight = this.registerParameter('weight', zerosKept([out, inp]));
   */
  registerParameter(name: string, tensor: Tensor): Tensor;
  registerParameter(name: string, tensor: null): null;
  registerParameter(name: string, tensor: Tensor | null): Tensor | null {
    this.checkName(name, 'registerParameter');
    if (tensor !== null) {
      if (tensor.dtype !== 'float32') throw new Error(`registerParameter: '${name}' must be float32, got ${tensor.dtype}`);
      tensor.keep();
      if (!tensor.requiresGrad) tensor.setRequiresGrad(true);
    }
    this.params.set(name, tensor);
    return tensor;
  }

  /**
   * Registers (or replaces) a buffer: state that is saved but not trained (running mean, counters).
   * Non-persistent buffers are left out of the state dict.
   * @example
   * this.runningMean = this.registerBuffer('running_mean', zerosKept([c]));
   */
  registerBuffer(name: string, tensor: Tensor, persistent?: boolean): Tensor;
  registerBuffer(name: string, tensor: null, persistent?: boolean): null;
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): Tensor | null {
    this.checkName(name, 'registerBuffer');
    tensor?.keep();
    this.buffers.set(name, { tensor, persistent });
    return tensor;
  }

  /**
   * Registers (or replaces) a child module under `name`.
   * @example
   * this.fc = this.registerModule('fc', new Linear(64, 10));
   */
  registerModule<M extends AnyModule>(name: string, module: M): M;
  registerModule(name: string, module: null): null;
  registerModule<M extends AnyModule>(name: string, module: M | null): M | null {
    this.checkName(name, 'registerModule');
    this.modules.set(name, module);
    return module;
  }

  private checkName(name: string, op: string): void {
    if (name === '' || name.includes('.')) throw new Error(`${op}: name '${name}' must be non-empty and contain no '.'`);
    const taken = [
      this.params.has(name) && op !== 'registerParameter' ? 'a parameter' : '',
      this.buffers.has(name) && op !== 'registerBuffer' ? 'a buffer' : '',
      this.modules.has(name) && op !== 'registerModule' ? 'a module' : '',
    ].find((s) => s !== '');
    if (taken) throw new Error(`${op}: '${name}' is already ${taken} of ${this.constructor.name}`);
  }

  /**
   * The direct child registered as `name`, if any.
   * @example
   * model.getModule('fc');
   */
  getModule(name: string): AnyModule | undefined {
    return this.modules.get(name) ?? undefined;
  }

  /**
   * The direct children with their names (absent ones skipped).
   * @example
   * for (const [name, child] of model.namedChildren()) console.log(name);
   */
  *namedChildren(): IterableIterator<[string, AnyModule]> {
    for (const [name, m] of this.modules) if (m !== null) yield [name, m];
  }

  /**
   * The direct children.
   * @example
   * [...model.children()].length;
   */
  *children(): IterableIterator<AnyModule> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  /**
   * This module and every descendant with dotted names ('' for this one), depth first.
   * @example
   * for (const [name, m] of model.namedModules()) if (m instanceof BatchNorm2d) console.log(name);
   */
  *namedModules(prefix = ''): IterableIterator<[string, AnyModule]> {
    const seen = new Set<AnyModule>();
    const walk = function* (m: AnyModule, p: string): IterableIterator<[string, AnyModule]> {
      if (seen.has(m)) return;
      seen.add(m);
      yield [p, m];
      for (const [name, child] of m.namedChildren()) yield* walk(child, p === '' ? name : `${p}.${name}`);
    };
    yield* walk(this as AnyModule, prefix);
  }

  /**
   * Every parameter with its dotted name (each tensor once).
   * @example
   * for (const [name, p] of model.namedParameters()) console.log(name, p.shape);
   */
  *namedParameters(): IterableIterator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, p] of m.params) {
        if (p === null || seen.has(p)) continue;
        seen.add(p);
        yield [join(prefix, name), p];
      }
    }
  }

  /**
   * Every parameter (each tensor once), in registration order.
   * @example
   * const opt = new SGD(model.parameters(), { lr: 0.1 });
   */
  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }

  /**
   * Every buffer with its dotted name (persistent and not).
   * @example
   * for (const [name, b] of model.namedBuffers()) console.log(name);
   */
  *namedBuffers(): IterableIterator<[string, Tensor]> {
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, b] of m.buffers) if (b.tensor !== null) yield [join(prefix, name), b.tensor];
    }
  }

  /**
   * Parameters and persistent buffers by name, in PyTorch's `state_dict()` order. The tensors are the
   * module's own (not copies): clone them to keep a snapshot.
   * @example
   * const sd = model.stateDict(); sd.get('fc.weight')?.shape;
   */
  stateDict(): StateDict {
    const out: StateDict = new Map();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, p] of m.params) if (p !== null) out.set(join(prefix, name), p);
      for (const [name, b] of m.buffers) if (b.tensor !== null && b.persistent) out.set(join(prefix, name), b.tensor);
    }
    return out;
  }

  /**
   * Copies values from `sd` into this module's parameters and buffers, in place. Strict (default):
   * throws naming every missing, unexpected and shape-mismatched key, and loads nothing. Not strict:
   * loads what matches and returns the rest in the report. float16/bfloat16/float64-derived sources
   * are converted to the destination's dtype.
   * @example
   * const report = model.loadStateDict(weights, { strict: false });
   * console.log(report.missing, report.unexpected);
   */
  loadStateDict(sd: StateDict | Record<string, Tensor>, options: LoadStateDictOptions = {}): LoadReport {
    const source = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = this.stateDict();
    const report: LoadReport = { missing: [], unexpected: [], mismatched: [] };
    for (const key of own.keys()) if (!source.has(key)) report.missing.push(key);
    for (const [key, t] of source) {
      const dst = own.get(key);
      if (dst === undefined) report.unexpected.push(key);
      else if (!sameShape(dst.shape, t.shape)) report.mismatched.push({ key, expected: [...dst.shape], got: [...t.shape] });
    }
    if ((options.strict ?? true) && !isClean(report)) {
      throw new Error(`loadStateDict: ${this.constructor.name} does not match the state dict: ${describeReport(report)}`);
    }
    const bad = new Set(report.mismatched.map((m) => m.key));
    for (const [key, t] of source) {
      const dst = own.get(key);
      if (dst !== undefined && !bad.has(key)) copyStateInto(dst, t, key);
    }
    return report;
  }

  /**
   * Sets training mode on this module and every descendant (BatchNorm uses batch statistics,
   * Dropout drops).
   * @example
   * model.train();
   */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /**
   * Evaluation mode: `train(false)`.
   * @example
   * model.eval(); const logits = noGrad(() => model.forward(x));
   */
  eval(): this {
    return this.train(false);
  }

  /**
   * Stops gradients to parameters: all of them, or those whose dotted name (or a dotted prefix of
   * it) matches a glob (`*` within one name segment, `**` across segments) or a RegExp. Returns the
   * names frozen.
   * @example
   * model.freeze(); model.unfreeze('fc');            // linear probe
   * model.freeze(['conv1', 'bn1', 'layer1']);        // freeze the first stage
   */
  freeze(pattern?: NamePattern | NamePattern[]): string[] {
    return this.setTrainable(false, pattern);
  }

  /**
   * Lets gradients flow again to the parameters matched as in {@link freeze}. Returns the names.
   * @example
   * model.unfreeze(/^layer[34]\./);
   */
  unfreeze(pattern?: NamePattern | NamePattern[]): string[] {
    return this.setTrainable(true, pattern);
  }

  private setTrainable(on: boolean, pattern?: NamePattern | NamePattern[]): string[] {
    const patterns = pattern === undefined ? [] : Array.isArray(pattern) ? pattern : [pattern];
    const names: string[] = [];
    for (const [name, p] of this.namedParameters()) {
      if (patterns.length > 0 && !patterns.some((pat) => matchesName(pat, name))) continue;
      p.setRequiresGrad(on);
      if (!on) p.zeroGrad();
      names.push(name);
    }
    if (patterns.length > 0 && names.length === 0) {
      throw new Error(`${on ? 'unfreeze' : 'freeze'}: no parameter of ${this.constructor.name} matches ${patterns.map(String).join(', ')}`);
    }
    return names;
  }

  /**
   * Parameters that currently require grad (what an optimizer should update).
   * @example
   * new SGD(model.trainableParameters(), { lr: 0.01 });
   */
  trainableParameters(): Tensor[] {
    return this.parameters().filter((p) => p.requiresGrad);
  }

  /**
   * Calls `fn` on every descendant and then on this module (children first, as PyTorch).
   * @example
   * model.apply((m) => { if (m instanceof Linear) zeros_(m.bias); });
   */
  apply(fn: (m: AnyModule) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this as AnyModule);
    return this;
  }

  /**
   * Frees every parameter's gradient.
   * @example
   * model.zeroGrad();
   */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /**
   * Moves every parameter and buffer (with their gradients) to `device` in place: the tensor objects
   * stay the same, so optimizers built before or after keep working. Throws, moving nothing, when
   * the device is unusable ("built without CUDA", "no CUDA device").
   * @example
   * model.to('cuda'); // then feed it x.to('cuda')
   */
  to(device: Device | string): this {
    const target = parseDevice(device, `${this.constructor.name}.to`);
    const seen = new Set<Tensor>();
    for (const [, t] of this.namedParameters()) seen.add(t);
    for (const [, b] of this.namedBuffers()) seen.add(b);
    for (const t of seen) if (t.device !== target) t.moveDataTo(target);
    return this;
  }

  /**
   * Where the module's parameters and buffers are: the device of the first one ('cpu' for a module
   * without any). Throws when they are split over devices, since no forward pass could run.
   * @example
   * const x = imagesToTensor(batch, model.device);
   */
  get device(): Device {
    let first: Tensor | undefined;
    const check = (name: string, t: Tensor): void => {
      if (first === undefined) first = t;
      else if (t.device !== first.device) {
        throw new Error(`${this.constructor.name}.device: tensors are on different devices (${first.device}, ${t.device} for '${name}'); move the module with .to(device)`);
      }
    };
    for (const [name, p] of this.namedParameters()) check(name, p);
    for (const [name, b] of this.namedBuffers()) check(name, b);
    return first?.device ?? 'cpu';
  }

  /**
   * Number of parameter elements (all, or only trainable ones).
   * @example
   * resnet18().numParameters(); // 11689512
   */
  numParameters(trainableOnly = false): number {
    return this.parameters().filter((p) => !trainableOnly || p.requiresGrad).reduce((s, p) => s + p.numel, 0);
  }

  /**
   * Releases every parameter and buffer (the module is unusable afterwards).
   * @example
   * model.dispose();
   */
  dispose(): void {
    for (const [, t] of this.stateDict()) t.dispose();
    for (const [, b] of this.namedBuffers()) b.dispose();
  }
}

/** Any module, whatever its forward signature. */
export type AnyModule = Module<never, unknown>;

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function isClean(r: LoadReport): boolean {
  return r.missing.length === 0 && r.unexpected.length === 0 && r.mismatched.length === 0;
}

/**
 * A one-line summary of a load report.
 * @example
 * describeReport({ missing: ['fc.bias'], unexpected: [], mismatched: [] }); // "missing: fc.bias"
 */
export function describeReport(r: LoadReport): string {
  const parts: string[] = [];
  if (r.missing.length) parts.push(`missing: ${r.missing.join(', ')}`);
  if (r.unexpected.length) parts.push(`unexpected: ${r.unexpected.join(', ')}`);
  if (r.mismatched.length) {
    parts.push(`shape mismatch: ${r.mismatched.map((m) => `${m.key} expected ${shapeString(m.expected)} got ${shapeString(m.got)}`).join(', ')}`);
  }
  return parts.length ? parts.join('; ') : 'all keys match';
}

/** Copies `src` into `dst` in place, converting the dtype and moving across devices. */
function copyStateInto(dst: Tensor, src: Tensor, key: string): void {
  if (dst.numel !== src.numel) throw new Error(`loadStateDict: '${key}' has ${src.numel} elements, expected ${dst.numel}`);
  noGrad(() => {
    const view = src.reshape(dst.shape);
    copyInto(dst, view);
    if (view !== src) view.dispose();
  });
}
