/**
 * Models as the CLI builds them: a CIFAR-style ResNet by name, weights loaded by name (a file that
 * does not fit lists the mismatched tensors), the device check, and frozen batch-norm statistics.
 */
import { existsSync } from 'node:fs';
import { BatchNorm2d, Module, autoDevice, isDeviceName, loadPretrained, manualSeed, parseDevice, resnet20, resnet32, resnet56, type Device, type ResNet, type Tensor } from '@graft/core';
import { UsageError } from './parse.js';

/** Architectures the CLI trains. */
export type ModelName = 'resnet20' | 'resnet32' | 'resnet56';

const BUILDERS: Record<ModelName, typeof resnet20> = { resnet20, resnet32, resnet56 };

/**
 * A fresh ResNet for 1x28x28 images with a seeded initialisation, on `device` (default the CPU).
 * The weights are drawn on the host and then moved, so a seed gives the same start on every device.
 * @example
 * const model = buildModel('resnet20', 5, 0);
 * const onGpu = buildModel('resnet20', 5, 0, 'cuda:0');
 */
export function buildModel(name: ModelName, numClasses: number, seed: number, device: Device = 'cpu'): ResNet {
  const build = BUILDERS[name];
  if (!build) throw new UsageError(`--model must be one of ${Object.keys(BUILDERS).join(', ')}, got '${name}'`);
  manualSeed(seed);
  return build({ inChannels: 1, numClasses }).to(device);
}

/**
 * Loads weights into `model` by name. With `skipHead` the file's head (if any) is ignored and the model's
 * fresh head kept. A missing file or a file that does not fit says which and why.
 * @example
 * await loadWeights(model, 'weights/resnet20-fmnist04-supervised.safetensors', { skipHead: true });
 */
export async function loadWeights(model: ResNet, file: string, options: { skipHead: boolean }): Promise<void> {
  if (!existsSync(file)) throw new Error(`weights file ${file} not found`);
  try {
    await loadPretrained(model, file, options.skipHead ? { skip: 'fc' } : {});
  } catch (error) {
    throw new Error(`weights ${file} do not fit this model: ${(error as Error).message}`);
  }
}

/**
 * The device --device names: 'cpu'; 'cuda' or 'cuda:N', which must exist (else an error saying why:
 * built without CUDA, no device, or no such index); 'auto' (the default): the first CUDA device when
 * one is usable, else the CPU.
 * @example
 * resolveDevice('auto'); // 'cpu' on a machine without a GPU, 'cuda:0' with one
 */
export function resolveDevice(flag: string | undefined): Device {
  const device = flag ?? 'auto';
  if (device === 'auto') return autoDevice();
  if (!isDeviceName(device)) throw new UsageError(`--device must be cpu, cuda, cuda:N or auto, got '${device}'`);
  try {
    return parseDevice(device, `--device ${device}`);
  } catch (error) {
    throw new Error(`${(error as Error).message}; use --device cpu`);
  }
}

/**
 * A classifier whose batch-norm layers stay in evaluation mode while the rest trains: the running
 * statistics of the pretrained backbone are kept rather than re-estimated from a few target images,
 * which is what makes fine-tuning on 10 images per class work (the weights and biases still train).
 * @example
 * const trainable = new FrozenBatchNorm(model); new Trainer({ model: trainable, ... });
 */
export class FrozenBatchNorm extends Module<[Tensor], Tensor> {
  constructor(readonly model: ResNet) {
    super();
    this.registerModule('model', model);
  }

  forward(x: Tensor): Tensor {
    return this.model.forward(x);
  }

  override train(mode = true): this {
    super.train(mode);
    for (const [, m] of this.namedModules()) if (m instanceof BatchNorm2d) m.training = false;
    return this;
  }
}
