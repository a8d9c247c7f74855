// CUDA tensors in @graft/core: moving data, every op family and autograd on the GPU against the CPU
// path, a small CNN's forward and backward, one ResNet-20 SGD step, optimizers on GPU parameters, and
// device-mismatch errors. The GPU suites are skipped (with the reason) where there is no usable CUDA
// device; the last suite checks the errors such a machine gives.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { capabilities, cudaMemoryStats } from '@graft/native';
import {
  Adam, AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, SGD, Sequential, Tensor, cat,
  clipGradNorm, cudaDeviceAvailable, functional as F, getCudaConvPrecision, loadPretrained, noGrad, parseDevice, randn,
  resnet20, setCudaConvPrecision, setCudaMatmulPrecision, tensor,
  tensorToRecord, tidy, where, zeros, type AnyModule, type DType,
} from '@graft/core';

const caps = capabilities();
const hasCuda = cudaDeviceAvailable();
const why = hasCuda ? '' : ` (skipped: ${caps.cudaCompiled ? `no CUDA device: ${caps.cudaUnavailableReason}` : caps.cudaUnavailableReason})`;
const WEIGHTS = fileURLToPath(new URL('../../../weights/resnet20-fmnist04-supervised.safetensors', import.meta.url));

/** |gpu - cpu| <= atol + rtol*|cpu| element by element, naming the worst element. */
function expectNear(gpu: Tensor, cpu: Tensor, rtol: number, atol: number, label: string): void {
  expect(gpu.device, `${label}: device`).toMatch(/^cuda:\d+$/);
  expect(cpu.device).toBe('cpu');
  expect([...gpu.shape], `${label}: shape`).toEqual([...cpu.shape]);
  const a = gpu.dataSync(), b = cpu.dataSync();
  let worst = -1, excess = 0;
  for (let i = 0; i < b.length; i++) {
    const e = Math.abs(a[i] - b[i]) - (atol + rtol * Math.abs(b[i]));
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i]) || e > excess) [worst, excess] = [i, Number.isNaN(e) ? Infinity : e];
  }
  if (worst >= 0) expect.fail(`${label}: element ${worst} is ${a[worst]} on the GPU, ${b[worst]} on the CPU (rtol ${rtol}, atol ${atol})`);
}

/** max |gpu - cpu| / max |cpu| over a whole tensor: the "relative to the tensor" error of a training step. */
function relativeToTensor(gpu: Tensor, cpu: Tensor): number {
  const a = gpu.dataSync(), b = cpu.dataSync();
  let diff = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

// Float32 kernels on both devices with different summation orders (double accumulators on both for
// reductions and norms): 1e-5 relative, 1e-6 absolute near zero. Conv/matmul sums of up to a few
// hundred products in float32 in another order: 1e-4 relative, 1e-5 absolute.
const F32 = { rtol: 1e-5, atol: 1e-6 };
const GEMM = { rtol: 1e-4, atol: 1e-5 };

describe.skipIf(!hasCuda)(`tensors on a GPU${why}`, () => {
  it('move every dtype there and back, strided views included', () => {
    const cases: [DType, number[]][] = [
      ['float32', [1.5, -2, 3e-9, NaN, Infinity, 7]], ['int32', [1, -2, 2 ** 31 - 1, 0, 5, 6]],
      ['int64', [1, -2, 2 ** 40, 0, 5, 6]], ['uint8', [0, 1, 255, 7, 8, 9]], ['bool', [1, 0, 1, 1, 0, 0]],
      ['float16', [1, 0.5, -2, 65504, 0, 3]], ['bfloat16', [1, 0.5, -2, 1e30, 0, 3]],
    ];
    for (const [dtype, values] of cases) {
      const x = tensor(values, { dtype }).reshape(2, 3);
      const g = x.to('cuda');
      expect(g.device).toBe('cuda:0');
      expect(g.dtype).toBe(dtype);
      expect(g.toArray(), dtype).toEqual(x.toArray());
      expect(g.T.cpu().toArray(), `${dtype} transposed`).toEqual(x.T.toArray());
      expect(g.T.dataSync(), `${dtype} dataSync of a view`).toEqual(x.T.contiguous().dataSync());
      expect(g.select(0, 1).select(0, 2).item(), `${dtype} item at an offset`).toEqual(x.select(0, 1).select(0, 2).item());
    }
    const y = tensor([[1, 2], [3, 4]], { device: 'cuda' });
    expect(y.device).toBe('cuda:0');
    expect(String(y)).toBe("tensor([[1., 2.],\n        [3., 4.]], device='cuda:0')");
    expect(y.cuda()).toBe(y);
    expect(y.to('cuda:0')).toBe(y);
    expect(zeros([3], { device: 'cuda' }).to('int32').toArray()).toEqual([0, 0, 0]);
    expectNear(randn([5], { seed: 3, device: 'cuda' }), randn([5], { seed: 3 }), 1e-6, 0, 'randn on both devices');
  });

  it('frees device memory deterministically on dispose and keeps it flat across tidy steps', () => {
    const before = cudaMemoryStats().liveBytes;
    const x = zeros([1024, 256], { device: 'cuda' });
    expect(cudaMemoryStats().liveBytes).toBeGreaterThan(before);
    x.dispose();
    expect(cudaMemoryStats().liveBytes).toBe(before);
    const w = randn([64, 64], { seed: 1, device: 'cuda', requiresGrad: true }).keep();
    const step = (): void => tidy(() => {
      w.matmul(w).relu().sum().backward();
      w.zeroGrad();
    });
    step();
    const settled = cudaMemoryStats().liveBytes;
    for (let i = 0; i < 5; i++) step();
    expect(cudaMemoryStats().liveBytes).toBe(settled);
    w.dispose();
  });

  it('refuses ops that mix devices, naming the op and both devices', () => {
    const a = tensor([1, 2, 3]), b = tensor([1, 2, 3], { device: 'cuda' });
    expect(() => a.add(b)).toThrow('add: tensors are on different devices (cpu, cuda:0)');
    expect(() => b.mul(a)).toThrow('mul: tensors are on different devices (cuda:0, cpu)');
    expect(() => a.reshape(1, 3).matmul(b.reshape(3, 1))).toThrow('matmul: tensors are on different devices (cpu, cuda:0)');
    expect(() => cat([a, b])).toThrow(/cat: tensors are on different devices \(cpu, cuda:0\)/);
    const x = randn([1, 2, 5, 5], { seed: 0 }), w = randn([3, 2, 3, 3], { seed: 1, device: 'cuda' });
    expect(() => F.conv2d(x, w)).toThrow(/conv2d: tensors are on different devices \(cpu, cuda:0\)/);
    expect(() => F.crossEntropy(randn([2, 3], { seed: 2, device: 'cuda' }), tensor([0, 1], { dtype: 'int32' })))
      .toThrow(/tensors are on different devices \(cuda:0, cpu\)/);
  });
});

/** Runs `f` on CPU inputs and on GPU copies, checks outputs and the gradients of every input. */
function parity(label: string, inputs: Tensor[], f: (...xs: Tensor[]) => Tensor, tol = F32): void {
  tidy(() => {
    const cpu = inputs.map((x) => x.detach().setRequiresGrad(x.dtype === 'float32'));
    const gpu = inputs.map((x) => x.to('cuda').detach().setRequiresGrad(x.dtype === 'float32'));
    const [yc, yg] = [f(...cpu), f(...gpu)];
    expectNear(yg, yc, tol.rtol, tol.atol, `${label} forward`);
    if (!yc.requiresGrad) return;
    const weights = randn(yc.shape, { seed: 99 });
    yc.mul(weights).sum().backward();
    yg.mul(weights.to('cuda')).sum().backward();
    cpu.forEach((x, i) => {
      if (x.grad !== null) expectNear(gpu[i].grad as Tensor, x.grad, tol.rtol, tol.atol, `${label} grad of input ${i}`);
    });
  });
}

describe.skipIf(!hasCuda)(`ops and autograd on a GPU agree with the CPU${why}`, () => {
  const x = (shape: number[], seed: number): Tensor => randn(shape, { seed });
  it('elementwise, broadcasting, comparisons, where, activations', () => {
    parity('add/mul/div broadcast', [x([3, 1, 5], 1), x([4, 5], 2)], (a, b) => a.add(b).mul(b).div(b.abs().add(1)));
    parity('pow/maximum/minimum', [x([7, 3], 3), x([3], 4)], (a, b) => a.abs().add(0.5).pow(b).maximum(b).minimum(a.neg()));
    parity('unary chain', [x([11, 13], 5)], (a) => a.tanh().add(a.sigmoid()).add(a.gelu()).add(a.silu()).add(a.relu()).add(a.exp().log()));
    parity('clamp/leakyRelu/sqrt', [x([5, 7], 6)], (a) => a.clamp(-0.5, 0.7).add(a.leakyRelu(0.1)).add(a.abs().sqrt()));
    parity('where + comparisons', [x([4, 6], 7), x([6], 8)], (a, b) => where(a.gt(b), a, b.mul(2)).add(a.le(0)));
    parity('lerp', [x([3, 4], 9), x([3, 4], 10)], (a, b) => a.lerp(b, 0.3));
  });
  it('views, copies and casts', () => {
    parity('transpose/slice/contiguous', [x([4, 6, 5], 11)], (a) => a.transpose(0, 2).slice(1, 1, 5, 2).contiguous().mul(3));
    parity('expand/cat/split', [x([2, 1, 3], 12), x([2, 4, 3], 13)], (a, b) => cat([a.expand(2, 4, 3), b], 1).split(3, 1)[1].exp());
    parity('int roundtrip', [x([9], 14)], (a) => a.mul(10).to('int32').to('float32'));
  });
  it('reductions, softmax, matmul and indexing', () => {
    parity('sum/mean/max/var', [x([5, 7, 3], 15)], (a) => a.sum(1).add(a.mean([0, 2]).sum()).add(a.max(2).sum()).add(a.var(1).mean()));
    parity('argmax', [x([6, 10], 16)], (a) => a.argmax(1).to('float32'));
    parity('softmax/logSoftmax', [x([4, 9, 3], 17)], (a) => a.softmax(1).add(a.logSoftmax(-1).mul(0.1)));
    parity('batched matmul', [x([3, 17, 33], 18), x([33, 9], 19)], (a, b) => a.matmul(b), GEMM);
    parity('indexSelect/gather', [x([7, 5], 20)], (a) => a.indexSelect(0, tensor([6, 0, 6, 2], { dtype: 'int32' }).to(a.device))
      .gather(1, tensor([[0, 4], [1, 1], [3, 2], [4, 4]], { dtype: 'int32' }).to(a.device)));
  });
  it('losses, normalization, pooling, dropout and convolutions', () => {
    const targets = tensor([1, 0, 4, 2, 2, 3], { dtype: 'int32' });
    parity('crossEntropy (smoothing)', [x([6, 5], 21)], (a) => F.crossEntropy(a, targets.to(a.device), { labelSmoothing: 0.1 }));
    const withIgnored = tensor([1, 0, 4, 2, -1, 3], { dtype: 'int32' }), classWeights = tensor([0.5, 2, 1, 0.25, 3]);
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      parity(`nllLoss (weights, ignoreIndex, ${reduction})`, [x([6, 5], 37)], (a) => F.nllLoss(a.logSoftmax(1), withIgnored.to(a.device),
        { weight: classWeights.to(a.device), ignoreIndex: -1, reduction }));
    }
    parity('nllLoss (plain)', [x([6, 5], 38)], (a) => F.nllLoss(a.logSoftmax(1), targets.to(a.device)));
    parity('bce with logits', [x([6, 5], 22), x([6, 5], 23).sigmoid()], (a, t) => F.binaryCrossEntropyWithLogits(a, t.detach()));
    parity('mse', [x([6, 5], 24), x([6, 5], 25)], (a, b) => F.mseLoss(a, b));
    parity('layerNorm', [x([4, 3, 8], 26), x([8], 27), x([8], 28)], (a, g, b) => F.layerNorm(a, [8], g, b));
    parity('batchNorm (training)', [x([5, 3, 4, 4], 29), x([3], 30), x([3], 31)], (a, g, b) => F.batchNorm(a, null, null, g, b, { training: true }));
    parity('max/avg/adaptive pools', [x([2, 3, 9, 9], 32)], (a) => F.maxPool2d(a, 3, { stride: 2, padding: 1 }).add(F.avgPool2d(a, 3, { stride: 2, padding: 1 }))
      .sum().add(F.adaptiveAvgPool2d(a, [2, 3]).sum()));
    parity('dropout (seeded: the same mask)', [x([8, 33], 33)], (a) => F.dropout(a, 0.3, { seed: 42 }));
    parity('conv2d stride/pad/groups', [x([2, 4, 9, 8], 34), x([6, 2, 3, 3], 35), x([6], 36)],
      (a, w, b) => F.conv2d(a, w, b, { stride: 2, padding: 1, groups: 2 }), GEMM);
  });

  it('nllLoss leaves its targets on the GPU: a bad target is a NaN loss there, an error on the CPU', () => {
    const logp = randn([3, 4], { seed: 39 }).logSoftmax(1), bad = tensor([1, 7, 2], { dtype: 'int32' });
    expect(() => F.nllLoss(logp, bad)).toThrow(/nllLoss: target 7 at sample 1 is outside \[0, 4\)/);
    const [lg, bg] = [logp.to('cuda'), bad.to('cuda')];
    const none = F.nllLoss(lg, bg, { reduction: 'none' }).toArray() as number[];
    expect(Number.isNaN(none[1])).toBe(true);
    expect(none[0]).toBeCloseTo(-(logp.toArray() as number[][])[0][1], 6);
    expect(Number.isNaN(F.nllLoss(lg, bg).item())).toBe(true);
    // An ignored sample adds exactly 0, even where its row's log-probability of class 0 is -inf.
    const minusInf = tensor([[-Infinity, 0], [0, -Infinity]]).to('cuda');
    expect(F.nllLoss(minusInf, tensor([-100, 0], { dtype: 'int32' }).to('cuda'), { reduction: 'sum' }).item()).toBe(0);
    [logp, bad, lg, bg, minusInf].forEach((t) => t.dispose());
  });

  it('convolutions on tensor cores follow setCudaConvPrecision', () => {
    const inputs = [x([2, 8, 9, 9], 37), x([16, 8, 3, 3], 38)];
    const conv = (a: Tensor, w: Tensor): Tensor => F.conv2d(a, w, null, { padding: 1 });
    try {
      for (const [precision, tol] of [['tf32', { rtol: 1e-2, atol: 2e-2 }], ['bf16', { rtol: 5e-2, atol: 1.5e-1 }]] as const) {
        setCudaConvPrecision(precision);
        expect(getCudaConvPrecision()).toBe(precision);
        parity(`conv2d ${precision}`, inputs, conv, tol);
        // Rounded inputs: not the float32 result bit for bit, so the setting did reach the kernels.
        const [a, w] = inputs.map((t) => t.to('cuda'));
        const rounded = conv(a, w).toArray() as number[];
        setCudaConvPrecision('float32');
        expect(conv(a, w).toArray()).not.toEqual(rounded);
        [a, w].forEach((t) => t.dispose());
      }
    } finally {
      setCudaConvPrecision('float32');
    }
  });
});

// Convolutions before batch norm have no bias: its exact gradient is 0, and Adam would turn the
// rounding noise left in its place into full-size steps of either sign on each device.
function smallCnn(): AnyModule {
  return new Sequential(
    new Conv2d(1, 8, 3, { padding: 1, bias: false }), new BatchNorm2d(8), new ReLU(), new MaxPool2d(2),
    new Conv2d(8, 16, 3, { padding: 1, stride: 2, bias: false }), new BatchNorm2d(16), new ReLU(), new AdaptiveAvgPool2d(1),
    new Flatten(), new Linear(16, 5),
  ) as unknown as AnyModule;
}

/** Two models with the same weights: `make()` twice and a state-dict copy; the second moved to the GPU. */
function twin<M extends AnyModule>(make: () => M): [M, M] {
  const cpu = make(), gpu = make();
  gpu.loadStateDict(cpu.stateDict());
  const params = gpu.parameters();
  gpu.to('cuda');
  gpu.parameters().forEach((p, i) => expect(p).toBe(params[i]));  // moved in place
  return [cpu, gpu];
}

function forwardLoss(model: AnyModule, x: Tensor, y: Tensor): Tensor {
  return F.crossEntropy((model as unknown as { forward(x: Tensor): Tensor }).forward(x), y);
}

describe.skipIf(!hasCuda)(`models on a GPU${why}`, () => {
  it('a small CNN: forward, backward and running statistics agree with the CPU', () => {
    const [cpu, gpu] = twin(smallCnn);
    const x = randn([6, 1, 28, 28], { seed: 5 }), y = tensor([0, 1, 2, 3, 4, 0], { dtype: 'int32' });
    tidy(() => {
      const lc = forwardLoss(cpu, x, y), lg = forwardLoss(gpu, x.to('cuda'), y.to('cuda'));
      expectNear(lg, lc, 1e-5, 1e-6, 'loss');
      lc.backward();
      lg.backward();
    });
    const named = [...gpu.stateDict()];
    [...cpu.stateDict()].forEach(([name, t], i) => {
      const g = named[i][1];
      if (t.dtype === 'float32') expectNear(g, t, GEMM.rtol, GEMM.atol, `state ${name}`);
      else expect(g.cpu().toArray(), name).toEqual(t.toArray());
      if (t.grad !== null) expectNear(g.grad as Tensor, t.grad, 1e-4, 1e-5, `grad ${name}`);
    });
  });

  it('ResNet-20: one SGD step leaves weights within 1e-4 of the CPU step (relative to each tensor)', async () => {
    const make = (): AnyModule => resnet20({ inChannels: 1, numClasses: 5 }) as unknown as AnyModule;
    const [cpu, gpu] = [make(), make()];
    await loadPretrained(cpu, WEIGHTS, { skip: 'fc' });
    gpu.loadStateDict(cpu.stateDict());
    const optGpu = new SGD(gpu.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });  // built before .to
    gpu.to('cuda');
    const optCpu = new SGD(cpu.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
    const x = randn([8, 1, 28, 28], { seed: 11 }), y = tensor([0, 1, 2, 3, 4, 4, 3, 2], { dtype: 'int32' });
    const [xg, yg] = [x.to('cuda'), y.to('cuda')];
    for (const [model, opt, xs, ys] of [[cpu, optCpu, x, y], [gpu, optGpu, xg, yg]] as const) {
      tidy(() => {
        forwardLoss(model, xs, ys).backward();
        noGrad(() => opt.step());
        opt.zeroGrad();
      });
    }
    const gpuState = [...gpu.stateDict()];
    let worst = 0;
    [...cpu.stateDict()].forEach(([name, t], i) => {
      if (t.dtype !== 'float32') return;
      const err = relativeToTensor(gpuState[i][1], t);
      worst = Math.max(worst, err);
      expect(err, name).toBeLessThanOrEqual(1e-4);
    });
    console.log(`ResNet-20 SGD step: worst weight difference ${worst.toExponential(2)} of the tensor's largest weight`);
    // Saving a GPU model downloads its tensors.
    expect(tensorToRecord(gpu.stateDict().get('fc.weight') as Tensor).shape).toEqual([5, 64]);
  });

  it('Adam and clipGradNorm on GPU parameters follow the CPU; stateDict downloads the moments', () => {
    const [cpu, gpu] = twin(smallCnn);
    const [oc, og] = [new Adam(cpu.parameters(), { lr: 1e-2 }), new Adam(gpu.parameters(), { lr: 1e-2 })];
    const x = randn([4, 1, 12, 12], { seed: 8 }), y = tensor([0, 1, 2, 3], { dtype: 'int32' });
    for (let step = 0; step < 3; step++) {
      const norms: number[] = [];
      for (const [model, opt, xs, ys] of [[cpu, oc, x, y], [gpu, og, x.to('cuda'), y.to('cuda')]] as const) {
        tidy(() => {
          forwardLoss(model, xs, ys).backward();
          norms.push(clipGradNorm(model.parameters(), 0.5));
          noGrad(() => opt.step());
          opt.zeroGrad();
        });
      }
      expect(Math.abs(norms[1] - norms[0])).toBeLessThanOrEqual(1e-4 * norms[0]);
    }
    gpu.parameters().forEach((p, i) => expect(relativeToTensor(p, cpu.parameters()[i])).toBeLessThanOrEqual(1e-4));
    const [sc, sg] = [oc.stateDict(), og.stateDict()];
    const first = sc.state[0].expAvg as Float32Array, firstGpu = sg.state[0].expAvg as Float32Array;
    expect(firstGpu.length).toBe(first.length);
    first.forEach((v, i) => expect(Math.abs(firstGpu[i] - v)).toBeLessThanOrEqual(1e-4 * Math.abs(v) + 1e-6));
  });
});

// Two GPUs (or GRAFT_SIM_DEVICES=2 on the CUDA simulator, as npm run test:cuda-sim runs this file again).
describe.skipIf(!cudaDeviceAvailable(1))('two CUDA devices', () => {
  it('compute on cuda:1, refuse mixing cuda:0 and cuda:1, and copy between them', () => {
    const x = randn([4, 6], { seed: 5 }), w = randn([6, 3], { seed: 6 });
    const [x1, w1] = [x.to('cuda:1'), w.to('cuda:1')];
    expect(x1.device).toBe('cuda:1');
    const y1 = x1.matmul(w1).relu().add(1);
    expect(y1.device).toBe('cuda:1');
    expectNear(y1, x.matmul(w).relu().add(1), GEMM.rtol, GEMM.atol, 'cuda:1 result');
    const x0 = x.to('cuda:0');
    expect(() => x0.matmul(w1)).toThrow('matmul: tensors are on different devices (cuda:0, cuda:1)');
    const back = y1.to('cuda:0');
    expect(back.device).toBe('cuda:0');
    expect(back.toArray()).toEqual(y1.toArray());
    const model = new Linear(6, 3).to('cuda:1');
    expect(model.device).toBe('cuda:1');
    F.crossEntropy(model.forward(x1), tensor([0, 1, 2, 0], { dtype: 'int32', device: 'cuda:1' })).backward();
    expect(model.weight.grad?.device).toBe('cuda:1');
    [x1, w1, y1, x0, back].forEach((t) => t.dispose());
  });
});

describe('CUDA devices where none can be used', () => {
  it('setCudaConvPrecision and setCudaMatmulPrecision name a bad precision', () => {
    expect(() => setCudaConvPrecision('fp16' as never)).toThrow("setCudaConvPrecision: argument 'precision' must be 'float32', 'tf32' or 'bf16', got 'fp16'");
    expect(() => setCudaMatmulPrecision('half' as never)).toThrow(/^setCudaMatmulPrecision: argument 'precision'/);
    expect(getCudaConvPrecision()).toBe('float32');
  });

  it('parseDevice checks names everywhere', () => {
    expect(parseDevice('cpu')).toBe('cpu');
    expect(() => parseDevice('gpu', 'op')).toThrow("op: unknown device 'gpu' (expected 'cpu', 'cuda' or 'cuda:N')");
    if (hasCuda) {
      expect(parseDevice('cuda')).toBe('cuda:0');
      expect(() => parseDevice('cuda:99', 'op')).toThrow(/op: device 'cuda:99' does not exist \(\d+ CUDA devices? found\)/);
    }
  });

  it.skipIf(hasCuda)('say "built without CUDA" or "no CUDA device", naming the op', () => {
    const reason = caps.cudaCompiled ? /no CUDA device: / : /Graft was built without CUDA \(no nvcc found, or GRAFT_CUDA=OFF\)/;
    expect(cudaDeviceAvailable()).toBe(false);
    for (const [op, f] of [
      ['empty', (): unknown => zeros([2], { device: 'cuda' })],
      ['to', (): unknown => tensor([1]).to('cuda')],
      ['to', (): unknown => tensor([1]).cuda()],
      ['Linear.to', (): unknown => new Linear(2, 2).to('cuda:0')],
    ] as const) {
      expect(f).toThrow(new RegExp(`^${op.replace('.', '\\.')}: cannot use device 'cuda(:0)?': `));
      expect(f).toThrow(reason);
    }
    expect(tensor([1]).to('cpu').toArray()).toEqual([1]);
  });
});
