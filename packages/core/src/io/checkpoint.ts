/**
 * Training checkpoints: the model's state dict, the optimizer's state, a scheduler's state, the
 * random generator's state and the step, in one safetensors file written atomically (temp file +
 * fsync + rename). Tensors are named `model.<key>` and `optimizer.<param index>.<buffer>`; the rest
 * is JSON in the metadata entry `graft.checkpoint`.
 */
import type { Module, LoadReport } from '../nn/module.js';
import { defaultGenerator, type GeneratorState } from '../nn/init.js';
import type { Optimizer, OptimizerStateDict, Hyper, ParamState } from '../optim/optimizer.js';
import { readSafetensors, writeSafetensors, type TensorRecord } from './safetensors.js';
import { recordToTensor, tensorToRecord } from './tensors.js';

/** A JSON value (scheduler state, user data). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What {@link saveCheckpoint} writes. */
export interface CheckpointContents {
  model: Module<never, unknown>;
  optimizer?: Optimizer<Hyper>;
  /** Scheduler state (a schedule that is a pure function of the step needs only the step). */
  scheduler?: Json;
  /** The step (optimizer updates so far). */
  step: number;
  /** Anything else worth keeping (epoch, best metric, config). */
  extra?: Json;
  /** Random generator state; default: the module-level generator's. */
  rng?: GeneratorState;
}

/** What {@link loadCheckpoint} returns. */
export interface LoadedCheckpoint {
  step: number;
  scheduler: Json;
  extra: Json;
  rng: GeneratorState | null;
  /** How the model's state dict matched (empty lists when strict). */
  report: LoadReport;
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /** Restore the optimizer's state into this optimizer. */
  optimizer?: Optimizer<Hyper>;
  /** Model keys must match exactly (default true). */
  strict?: boolean;
  /** Restore the module-level generator from the saved RNG state (default true). */
  restoreRng?: boolean;
}

const META_KEY = 'graft.checkpoint';
const FORMAT = 1;

interface CheckpointMeta {
  format: number;
  step: number;
  scheduler: Json;
  extra: Json;
  rng: GeneratorState | null;
  optimizer: { paramGroups: OptimizerStateDict['paramGroups']; scalars: Record<string, Record<string, number>> } | null;
}

/**
 * Saves a checkpoint atomically.
 * @example
 * await saveCheckpoint('run/ckpt.safetensors', { model, optimizer: opt, step, scheduler: { name: 'cosine' } });
 */
export async function saveCheckpoint(file: string, c: CheckpointContents): Promise<void> {
  if (!Number.isSafeInteger(c.step) || c.step < 0) throw new Error(`saveCheckpoint: step must be an integer >= 0, got ${c.step}`);
  const records = new Map<string, TensorRecord>();
  for (const [k, t] of c.model.stateDict()) records.set(`model.${k}`, tensorToRecord(t));
  let optimizer: CheckpointMeta['optimizer'] = null;
  if (c.optimizer !== undefined) {
    const sd = c.optimizer.stateDict();
    const scalars: Record<string, Record<string, number>> = {};
    for (const [i, s] of Object.entries(sd.state)) {
      for (const [name, v] of Object.entries(s)) {
        if (v instanceof Float32Array) records.set(`optimizer.${i}.${name}`, { dtype: 'F32', shape: [v.length], data: v });
        else (scalars[i] ??= {})[name] = v;
      }
    }
    optimizer = { paramGroups: sd.paramGroups, scalars };
  }
  const meta: CheckpointMeta = {
    format: FORMAT, step: c.step, scheduler: c.scheduler ?? null, extra: c.extra ?? null,
    rng: c.rng ?? defaultGenerator().getState(), optimizer,
  };
  await writeSafetensors(file, records, { [META_KEY]: JSON.stringify(meta), format: 'pt' });
}

/**
 * Loads a checkpoint into `model` (and the optimizer, when given); returns the step and the rest.
 * Everything is read and checked before the model or optimizer changes.
 * @example
 * const { step } = await loadCheckpoint('run/ckpt.safetensors', model, { optimizer: opt });
 */
export async function loadCheckpoint(
  file: string, model: Module<never, unknown>, options: LoadCheckpointOptions = {},
): Promise<LoadedCheckpoint> {
  const { tensors, metadata } = await readSafetensors(file);
  const meta = parseMeta(metadata[META_KEY], file);
  const modelState = new Map<string, ReturnType<typeof recordToTensor>>();
  const optState: Record<number, ParamState> = {};
  for (const [name, r] of tensors) {
    if (name.startsWith('model.')) modelState.set(name.slice(6), recordToTensor(r));
    else if (name.startsWith('optimizer.')) {
      const m = /^optimizer\.(\d+)\.(\w+)$/.exec(name);
      if (m === null || r.dtype !== 'F32') throw new Error(`loadCheckpoint '${file}': unexpected optimizer tensor '${name}' (${r.dtype})`);
      (optState[Number(m[1])] ??= {})[m[2]] = r.data as Float32Array;
    } else throw new Error(`loadCheckpoint '${file}': unexpected tensor '${name}'`);
  }
  try {
    let optimizerState: OptimizerStateDict | null = null;
    if (options.optimizer !== undefined) {
      if (meta.optimizer === null) throw new Error(`loadCheckpoint '${file}': the checkpoint holds no optimizer state`);
      for (const [i, s] of Object.entries(meta.optimizer.scalars)) Object.assign((optState[Number(i)] ??= {}), s);
      optimizerState = { state: optState, paramGroups: meta.optimizer.paramGroups };
      options.optimizer.checkStateDict(optimizerState);
    }
    const report = model.loadStateDict(modelState, { strict: options.strict ?? true });
    if (optimizerState !== null) options.optimizer?.loadStateDict(optimizerState);
    if ((options.restoreRng ?? true) && meta.rng !== null) defaultGenerator().setState(meta.rng);
    return { step: meta.step, scheduler: meta.scheduler, extra: meta.extra, rng: meta.rng, report };
  } finally {
    for (const t of modelState.values()) t.dispose();
  }
}

function parseMeta(text: string | undefined, file: string): CheckpointMeta {
  if (text === undefined) throw new Error(`loadCheckpoint '${file}': not a Graft checkpoint (no '${META_KEY}' metadata)`);
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (e) {
    throw new Error(`loadCheckpoint '${file}': '${META_KEY}' metadata is not valid JSON (${(e as Error).message})`);
  }
  const m = meta as Partial<CheckpointMeta>;
  if (typeof meta !== 'object' || meta === null || m.format !== FORMAT || !Number.isSafeInteger(m.step)) {
    throw new Error(`loadCheckpoint '${file}': '${META_KEY}' metadata is not a format-${FORMAT} checkpoint header`);
  }
  return {
    format: FORMAT, step: m.step as number, scheduler: m.scheduler ?? null, extra: m.extra ?? null,
    rng: m.rng ?? null, optimizer: m.optimizer ?? null,
  };
}
