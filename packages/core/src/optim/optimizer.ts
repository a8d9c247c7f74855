/**
 * Optimizer base: parameter groups with per-group hyperparameters (PyTorch's `param_groups`),
 * per-parameter state, `zeroGrad()`, and a state dict that round-trips through checkpoints.
 * Updates run in place on the parameters' storage through the native fused kernels, on the CPU or,
 * for parameters on a GPU, through the CUDA kernels with the state kept on the device.
 */
import { cudaAlloc, cudaDownload, cudaUpload, type DeviceBuffer, type DeviceSlice } from '@graft/native';
import { cudaIndex } from '../tensor/storage.js';
import type { Tensor } from '../tensor/tensor.js';
import { storageSlice } from '../tensor/transfer.js';

/** Hyperparameters are numbers or flags. */
export type Hyper = Record<string, number | boolean>;

/** A group given to a constructor: its parameters and any hyperparameters that differ from the defaults. */
export type ParamGroupInput<O extends Hyper> = { params: Iterable<Tensor> } & Partial<O>;

/** A live parameter group: its parameters and every hyperparameter (schedulers change `lr` here). */
export type ParamGroup<O extends Hyper> = { params: Tensor[] } & O;

/** Per-parameter state: float32 buffers (momentum, moments) and numbers (step). */
export type ParamState = Record<string, Float32Array | number>;

/** A snapshot of an optimizer, with parameters referred to by their index across groups. */
export interface OptimizerStateDict {
  /** State of parameter i (only parameters that have state). */
  state: Record<number, ParamState>;
  /** Each group's hyperparameters and the indices of its parameters. */
  paramGroups: Array<Record<string, number | boolean | number[]>>;
}

/**
 * Base class of optimizers.
 * @example
 * class PlainSGD extends Optimizer<{ lr: number }> {
 *   constructor(params: Iterable<Tensor>, lr: number) { super('PlainSGD', params, { lr }); }
 *   protected update(p: Tensor, g: Float32Array, group: ParamGroup<{ lr: number }>): void { ... }
 * }
 */
export abstract class Optimizer<O extends Hyper> {
  readonly paramGroups: ParamGroup<O>[] = [];
  /** State per parameter, created on its first update. */
  readonly state = new Map<Tensor, ParamState>();
  readonly defaults: Readonly<O>;
  protected readonly name: string;
  /**
   * Device copies of the float32 state of parameters on a GPU. While a parameter has them they are
   * the live state and its host arrays in `state` are stale; `stateDict()` downloads them first.
   */
  private readonly deviceState = new Map<Tensor, Map<string, DeviceBuffer>>();

  protected constructor(name: string, params: Iterable<Tensor> | Iterable<ParamGroupInput<O>>, defaults: O) {
    this.name = name;
    this.defaults = { ...defaults };
    this.checkHyper(defaults);
    const list = [...(params as Iterable<Tensor | ParamGroupInput<O>>)];
    const groups = list.length > 0 && isGroup(list[0]) ? (list as ParamGroupInput<O>[]) : [{ params: list as Tensor[] } as unknown as ParamGroupInput<O>];
    for (const g of groups) this.addParamGroup(g);
  }

  /**
   * Adds a group (e.g. a new head trained with a larger learning rate).
   * @example
   * opt.addParamGroup({ params: model.headParameters(), lr: 0.01 });
   */
  addParamGroup(input: ParamGroupInput<O>): void {
    const params = [...input.params];
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    params.forEach((p, i) => {
      if (p.dtype !== 'float32') throw new Error(`${this.name}: parameter ${i} of a group is ${p.dtype}, not float32`);
      if (!p.isContiguous()) throw new Error(`${this.name}: parameter ${i} of a group is not packed`);
      if (seen.has(p)) throw new Error(`${this.name}: a parameter appears in more than one group`);
      seen.add(p);
    });
    const group = { ...this.defaults } as O;
    for (const key of Object.keys(input) as (keyof O & string)[]) {
      if ((key as string) === 'params') continue;
      if (!(key in this.defaults)) throw new Error(`${this.name}: unknown option '${key}' in a parameter group`);
      group[key] = input[key] as O[typeof key];
    }
    this.checkHyper(group);
    this.paramGroups.push({ params, ...group } as ParamGroup<O>);
  }

  /** Validates hyperparameters; throws naming the optimizer and the option. */
  protected abstract checkHyper(h: O): void;

  /** Updates one parameter in place from its (packed) gradient. */
  protected abstract update(param: Tensor, grad: Float32Array, group: ParamGroup<O>): void;

  /**
   * Updates one parameter on a GPU in place from its packed gradient (a byte range of device memory);
   * state buffers come from {@link deviceBuffer}. Optimizers without a CUDA step refuse GPU parameters.
   */
  protected updateOnDevice(param: Tensor, grad: DeviceSlice, group: ParamGroup<O>): void {
    void grad;
    void group;
    throw new Error(`${this.name}: has no CUDA step; parameter [${param.shape.join(', ')}] is on ${param.device}`);
  }

  /**
   * The device copy of the float32 state `name` of a GPU parameter, uploaded from the host array in
   * `state` on first use (zeros when the host has none yet).
   */
  protected deviceBuffer(param: Tensor, name: string): DeviceBuffer {
    let buffers = this.deviceState.get(param);
    const device = cudaIndex(param.device);
    const existing = buffers?.get(name);
    if (existing !== undefined && existing.device === device) return existing;
    if (existing !== undefined) this.pullDeviceState(param);  // the parameter moved to another GPU
    buffers = this.deviceState.get(param) ?? new Map<string, DeviceBuffer>();
    this.deviceState.set(param, buffers);
    const s = this.state.get(param) ?? {};
    this.state.set(param, s);
    const host = s[name] instanceof Float32Array ? s[name] : new Float32Array(param.numel);
    s[name] = host;
    const buffer = cudaAlloc(param.numel * 4, device);
    cudaUpload(buffer, host);
    buffers.set(name, buffer);
    return buffer;
  }

  /** Downloads a parameter's device state into its host arrays and frees the device copies. */
  private pullDeviceState(param: Tensor): void {
    const buffers = this.deviceState.get(param);
    if (buffers === undefined) return;
    const s = this.state.get(param);
    for (const [name, buffer] of buffers) {
      const host = s?.[name];
      if (host instanceof Float32Array) cudaDownload(buffer, host);
      buffer.dispose();
    }
    this.deviceState.delete(param);
  }

  private dropDeviceState(): void {
    for (const buffers of this.deviceState.values()) for (const b of buffers.values()) b.dispose();
    this.deviceState.clear();
  }
  /**
   * One optimization step over every parameter that has a gradient.
   * @example
   * loss.backward(); opt.step(); opt.zeroGrad();
   */
  step(): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        if (p.grad.numel !== p.numel) {
          throw new Error(`${this.name}: gradient of shape [${p.grad.shape.join(', ')}] does not match parameter [${p.shape.join(', ')}]`);
        }
        if (p.grad.device !== p.device) {
          throw new Error(`${this.name}: tensors are on different devices (${p.device}, ${p.grad.device}): a parameter and its gradient`);
        }
        if (p.device === 'cpu') {
          this.pullDeviceState(p);  // it trained on a GPU before
          this.update(p, p.grad.dataSync(), group);
        } else {
          this.stepOnDevice(p, p.grad, group);
        }
      }
    }
  }

  private stepOnDevice(p: Tensor, grad: Tensor, group: ParamGroup<O>): void {
    const packed = grad.isContiguous() ? grad : grad.contiguous();
    try {
      this.updateOnDevice(p, storageSlice(packed, packed.offset, packed.numel), group);
    } finally {
      if (packed !== grad) packed.dispose();
    }
  }

  /**
   * Frees the gradients of every parameter (PyTorch's `zero_grad(set_to_none=True)`).
   * @example
   * opt.zeroGrad();
   */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.zeroGrad();
  }

  /**
   * A snapshot (copies) of the hyperparameters and state, parameters numbered across groups.
   * @example
   * const saved = opt.stateDict();
   */
  stateDict(): OptimizerStateDict {
    for (const p of [...this.deviceState.keys()]) this.pullDeviceState(p);
    const state: Record<number, ParamState> = {};
    const paramGroups: OptimizerStateDict['paramGroups'] = [];
    let index = 0;
    for (const g of this.paramGroups) {
      const { params, ...hyper } = g;
      const ids: number[] = [];
      for (const p of params) {
        const s = this.state.get(p);
        if (s !== undefined) state[index] = copyState(s);
        ids.push(index++);
      }
      paramGroups.push({ ...(hyper as Hyper), params: ids });
    }
    return { state, paramGroups };
  }

  /**
   * Restores a snapshot taken from an optimizer over the same parameters (same group sizes).
   * Checks everything before changing anything.
   * @example
   * opt.loadStateDict(saved);
   */
  loadStateDict(sd: OptimizerStateDict): void {
    this.checkStateDict(sd);
    const params = this.paramGroups.flatMap((g) => g.params);
    sd.paramGroups.forEach((g, i) => {
      const group = this.paramGroups[i] as Record<string, unknown>;
      for (const [k, v] of Object.entries(g)) if (k !== 'params' && k in this.defaults) group[k] = v;
    });
    this.state.clear();
    this.dropDeviceState();  // re-uploaded from the loaded host state on the next GPU step
    for (const [key, s] of Object.entries(sd.state)) this.state.set(params[Number(key)], copyState(s));
  }

  /**
   * Throws (naming what differs) unless `sd` fits this optimizer's groups and parameters.
   * @example
   * opt.checkStateDict(saved);
   */
  checkStateDict(sd: OptimizerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${where}: the state has ${sd.paramGroups.length} parameter groups, this optimizer ${this.paramGroups.length}`);
    }
    const params = this.paramGroups.flatMap((g) => g.params);
    sd.paramGroups.forEach((g, i) => {
      const ids = g.params;
      if (!Array.isArray(ids) || ids.length !== this.paramGroups[i].params.length) {
        throw new Error(`${where}: group ${i} has ${Array.isArray(ids) ? ids.length : '?'} parameters, expected ${this.paramGroups[i].params.length}`);
      }
    });
    for (const [key, s] of Object.entries(sd.state)) {
      const p = params[Number(key)];
      if (p === undefined) throw new Error(`${where}: state for parameter ${key}, but there are ${params.length}`);
      for (const [name, v] of Object.entries(s)) {
        if (v instanceof Float32Array && v.length !== p.numel) {
          throw new Error(`${where}: '${name}' of parameter ${key} has ${v.length} elements, the parameter [${p.shape.join(', ')}] has ${p.numel}`);
        }
      }
    }
  }
}

function isGroup<O extends Hyper>(v: Tensor | ParamGroupInput<O>): v is ParamGroupInput<O> {
  return typeof v === 'object' && v !== null && 'params' in v && !('storage' in v);
}

function copyState(s: ParamState): ParamState {
  const out: ParamState = {};
  for (const [k, v] of Object.entries(s)) out[k] = v instanceof Float32Array ? v.slice() : v;
  return out;
}

/**
 * Throws unless `value` is a finite number >= 0 (learning rates, decays, momenta).
 * @example
 * checkNonNegative('SGD', 'lr', 0.1);
 */
export function checkNonNegative(optimizer: string, name: string, value: number | boolean): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${optimizer}: option '${name}' must be a finite number >= 0, got ${String(value)}`);
  }
}
