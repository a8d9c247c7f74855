/**
 * SGD with momentum, dampening, Nesterov and weight decay (torch.optim.SGD, 1.13), over the native
 * fused `sgdStep` kernel.
 */
import { cudaSgdStep, sgdStep, type DeviceSlice } from '@graft/native';
import { storageSlice } from '../tensor/transfer.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, checkNonNegative, type ParamGroup, type ParamGroupInput } from './optimizer.js';

/** SGD hyperparameters (PyTorch's defaults except lr, which is required). */
export type SGDOptions = {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
};

/**
 * Stochastic gradient descent.
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
 * // or per-group learning rates:
 * new SGD([{ params: model.backboneParameters(), lr: 0.001 }, { params: model.headParameters() }], { lr: 0.01 });
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<SGDOptions>>, options: Partial<SGDOptions> & { lr: number }) {
    super('SGD', params, {
      lr: options.lr, momentum: options.momentum ?? 0, dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0, nesterov: options.nesterov ?? false, maximize: options.maximize ?? false,
    });
  }

  protected checkHyper(h: SGDOptions): void {
    for (const k of ['lr', 'momentum', 'dampening', 'weightDecay'] as const) checkNonNegative('SGD', k, h[k]);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new Error('SGD: nesterov needs momentum > 0 and dampening 0');
    }
  }

  protected override updateOnDevice(param: Tensor, grad: DeviceSlice, g: ParamGroup<SGDOptions>): void {
    const firstStep = g.momentum !== 0 && !(this.state.get(param)?.momentumBuffer instanceof Float32Array);
    cudaSgdStep({
      param: storageSlice(param, param.offset, param.numel), grad,
      momentumBuffer: g.momentum !== 0 ? this.deviceBuffer(param, 'momentumBuffer') : undefined,
      lr: g.lr, momentum: g.momentum, dampening: g.dampening, weightDecay: g.weightDecay,
      nesterov: g.nesterov, maximize: g.maximize, firstStep,
    });
  }

  protected update(param: Tensor, grad: Float32Array, g: ParamGroup<SGDOptions>): void {
    let state = this.state.get(param);
    let firstStep = false;
    if (g.momentum !== 0 && (state === undefined || !(state.momentumBuffer instanceof Float32Array))) {
      state = { momentumBuffer: new Float32Array(param.numel) };
      this.state.set(param, state);
      firstStep = true;
    }
    const buffer = state?.momentumBuffer;
    sgdStep({
      param: param.dataSync(), grad, momentumBuffer: g.momentum !== 0 ? (buffer as Float32Array) : undefined,
      lr: g.lr, momentum: g.momentum, dampening: g.dampening, weightDecay: g.weightDecay,
      nesterov: g.nesterov, maximize: g.maximize, firstStep,
    });
  }
}
