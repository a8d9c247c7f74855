/**
 * Moving tensors between devices: `x.to('cuda')`, `x.to('cpu')`, `x.cuda()`, `x.cpu()`. The copy is
 * differentiable (the gradient moves back to the source device), like PyTorch's `Tensor.to`.
 */
import { record } from '../autograd/graph.js';
import { backendFor } from '../tensor/backend.js';
import { parseDevice, type Device } from '../tensor/storage.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from './creation.js';

/**
 * `x` on `device` (x itself when it is already there): a packed copy with x's dtype and shape.
 * @throws Error "to: cannot use device 'cuda': Graft was built without CUDA ..." or "... no CUDA device: ...".
 * @example
 * const g = toDevice(x, 'cuda'); // on a GPU machine
 * const back = toDevice(g, 'cpu');
 */
export function toDevice(x: Tensor, device: Device | string): Tensor {
  x.assertAlive('to');
  const target = parseDevice(device, 'to');
  if (x.device === target) return x;
  const out = empty(x.shape, { dtype: x.dtype, device: target });
  backendFor(target).copy(x, out);
  const source = x.device;
  return record('to', out, [x], (gy) => [toDevice(gy, source)]);
}

/**
 * Whether a string names a device ('cpu', 'cuda', 'cuda:N') rather than a dtype.
 * @example
 * isDeviceName('cuda:0'); // true
 */
export function isDeviceName(name: string): boolean {
  return name === 'cpu' || /^cuda(:\d+)?$/.test(name);
}
