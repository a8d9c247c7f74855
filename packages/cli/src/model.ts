/**
 * Models as the CLI builds them: a CIFAR-style ResNet by name, weights loaded by name (a file that
 * does not fit lists the mismatched tensors), the device check, and frozen batch-norm statistics.
 */
import { existsSync } from 'node:fs';
import { BatchNorm2d, Module, loadPretrained, manualSeed, resnet20, resnet32, resnet56, type ResNet, type Tensor } from '@graft/core';
import { capabilities } from '@graft/native';
import { UsageError } from './parse.js';

/** Architectures the CLI trains. */
export type ModelName = 'resnet20' | 'resnet32' | 'resnet56';

const BUILDERS: Record<ModelName, typeof resnet20> = { resnet20, resnet32, resnet56 };

/**
 * A fresh ResNet for 1x28x28 images with a seeded initialisation.
 * @example
 * const model = buildModel('resnet20', 5, 0);
 */
export function buildModel(name: ModelName, numClasses: number, seed: number): ResNet {
  const build = BUILDERS[name];
  if (!build) throw new UsageError(`--model must be one of ${Object.keys(BUILDERS).join(', ')}, got '${name}'`);
  manualSeed(seed);
  return build({ inChannels: 1, numClasses });
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
 * Checks --device against this build: 'cpu' and 'auto' run on the CPU; 'cuda' or 'cuda:N' need a
 * CUDA device, and @graft/core's models run on the CPU in this build, so those are refused clearly.
 * @example
 * resolveDevice('auto'); // 'cpu'
 */
export function resolveDevice(flag: string | undefined): 'cpu' {
  const device = flag ?? 'auto';
  if (device === 'cpu' || device === 'auto') return 'cpu';
  if (!/^cuda(:\d+)?$/.test(device)) throw new UsageError(`--device must be cpu, cuda, cuda:N or auto, got '${device}'`);
  const caps = capabilities();
  if (!caps.cudaCompiled || caps.cudaDevices.length === 0) {
    throw new Error(`--device ${device}: no CUDA device available (${caps.cudaCompiled ? caps.cudaUnavailableReason || 'none found' : 'the native addon was built without CUDA'}); use --device cpu`);
  }
  throw new Error(`--device ${device}: training models on CUDA is not available in @graft/core of this build; use --device cpu`);
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
