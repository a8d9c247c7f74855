/**
 * Adam and AdamW (torch.optim.Adam / AdamW, 1.13) over the native fused `adamStep` kernel.
 */
import { adamStep, cudaAdamStep, type DeviceSlice } from '@graft/native';
import { storageSlice } from '../tensor/transfer.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, checkNonNegative, type ParamGroup, type ParamGroupInput } from './optimizer.js';

/** Adam/AdamW hyperparameters. */
export type AdamOptions = {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
};

abstract class AdamBase extends Optimizer<AdamOptions> {
  protected abstract readonly decoupled: boolean;

  protected checkHyper(h: AdamOptions): void {
    for (const k of ['lr', 'eps', 'weightDecay'] as const) checkNonNegative(this.name, k, h[k]);
    for (const k of ['beta1', 'beta2'] as const) {
      if (!(h[k] >= 0 && h[k] < 1)) throw new Error(`${this.name}: option '${k}' must be in [0, 1), got ${h[k]}`);
    }
  }

  protected override updateOnDevice(param: Tensor, grad: DeviceSlice, g: ParamGroup<AdamOptions>): void {
    const s = this.state.get(param) ?? { step: 0 };
    this.state.set(param, s);
    s.step = (s.step as number) + 1;
    cudaAdamStep({
      param: storageSlice(param, param.offset, param.numel), grad,
      expAvg: this.deviceBuffer(param, 'expAvg'), expAvgSq: this.deviceBuffer(param, 'expAvgSq'),
      maxExpAvgSq: g.amsgrad ? this.deviceBuffer(param, 'maxExpAvgSq') : undefined, step: s.step,
      lr: g.lr, beta1: g.beta1, beta2: g.beta2, eps: g.eps, weightDecay: g.weightDecay,
      decoupledWeightDecay: this.decoupled, amsgrad: g.amsgrad, maximize: g.maximize,
    });
  }

  protected update(param: Tensor, grad: Float32Array, g: ParamGroup<AdamOptions>): void {
    let s = this.state.get(param);
    if (s === undefined) {
      s = { step: 0, expAvg: new Float32Array(param.numel), expAvgSq: new Float32Array(param.numel) };
      this.state.set(param, s);
    }
    if (g.amsgrad && !(s.maxExpAvgSq instanceof Float32Array)) s.maxExpAvgSq = new Float32Array(param.numel);
    s.step = (s.step as number) + 1;
    adamStep({
      param: param.dataSync(), grad, expAvg: s.expAvg as Float32Array, expAvgSq: s.expAvgSq as Float32Array,
      maxExpAvgSq: g.amsgrad ? (s.maxExpAvgSq as Float32Array) : undefined, step: s.step,
      lr: g.lr, beta1: g.beta1, beta2: g.beta2, eps: g.eps, weightDecay: g.weightDecay,
      decoupledWeightDecay: this.decoupled, amsgrad: g.amsgrad, maximize: g.maximize,
    });
  }
}

type AdamInput = Iterable<Tensor> | Iterable<ParamGroupInput<AdamOptions>>;

function withDefaults(o: Partial<AdamOptions>, weightDecay: number): AdamOptions {
  return {
    lr: o.lr ?? 1e-3, beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, eps: o.eps ?? 1e-8,
    weightDecay: o.weightDecay ?? weightDecay, amsgrad: o.amsgrad ?? false, maximize: o.maximize ?? false,
  };
}

/**
 * Adam: weight decay added to the gradient (L2). Defaults lr 1e-3, betas (0.9, 0.999), eps 1e-8.
 * @example
 * const opt = new Adam(model.parameters(), { lr: 3e-4 });
 */
export class Adam extends AdamBase {
  protected readonly decoupled = false;

  constructor(params: AdamInput, options: Partial<AdamOptions> = {}) {
    super('Adam', params, withDefaults(options, 0));
  }
}

/**
 * AdamW: decoupled weight decay (`param *= 1 - lr·wd`), default weight decay 1e-2.
 * @example
 * const opt = new AdamW(model.trainableParameters(), { lr: 1e-3, weightDecay: 0.05 });
 */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;

  constructor(params: AdamInput, options: Partial<AdamOptions> = {}) {
    super('AdamW', params, withDefaults(options, 1e-2));
  }
}
