/**
 * `graft inspect <file.safetensors>`: tensors, dtypes, shapes, parameter count, metadata, and which
 * Graft model the file fits (a ResNet built with the file's input channels and classes, compared by
 * tensor name and shape; a file without the head fits as a backbone).
 */
import { existsSync, statSync } from 'node:fs';
import { readSafetensors, resnet18, resnet20, resnet32, resnet34, resnet50, resnet56, type ResNet, type TensorRecord } from '@graft/core';
import { jsonLine, type Command } from './types.js';

/** One tensor of the file. */
export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  elements: number;
}

/** Which model a file fits. */
export interface ModelFit {
  /** The constructor call that builds the model, e.g. "resnet20({ inChannels: 1, numClasses: 5 })". */
  model: string;
  /** Whether the file holds the head ('fc'); without it, load with { skip: 'fc' }. */
  hasHead: boolean;
}

/** What `graft inspect --json` prints. */
export interface InspectJson {
  file: string;
  tensors: TensorInfo[];
  /** Elements of every tensor. */
  totalElements: number;
  /** Elements of the learned parameters (batch-norm running statistics and counters excluded). */
  parameters: number;
  metadata: Record<string, string>;
  fits: ModelFit | null;
  /** When nothing fits: the nearest candidate and its differences. */
  nearest?: { model: string; missing: string[]; unexpected: string[]; mismatched: string[] };
}

const BUFFER = /(^|\.)(running_mean|running_var|num_batches_tracked)$/;

interface Candidate { name: string; build: (o: { inChannels: number; numClasses: number }) => ResNet }

function candidates(names: Set<string>): Candidate[] {
  if (![...names].some((n) => n.startsWith('layer1.'))) return [];
  if ([...names].some((n) => n.startsWith('layer4.'))) {
    return [{ name: 'resnet18', build: resnet18 }, { name: 'resnet34', build: resnet34 }, { name: 'resnet50', build: resnet50 }];
  }
  return [{ name: 'resnet20', build: resnet20 }, { name: 'resnet32', build: resnet32 }, { name: 'resnet56', build: resnet56 }];
}

function compare(model: ResNet, records: Map<string, TensorRecord>): { missing: string[]; unexpected: string[]; mismatched: string[] } {
  const own = model.stateDict();
  const missing: string[] = [], unexpected: string[] = [], mismatched: string[] = [];
  for (const [key, t] of own) {
    if (key.endsWith('num_batches_tracked')) continue;
    const r = records.get(key);
    if (!r) { if (!key.startsWith('fc.')) missing.push(key); continue; }
    if (r.shape.length !== t.shape.length || r.shape.some((d, i) => d !== t.shape[i])) mismatched.push(`${key} [${r.shape.join(', ')}] vs [${t.shape.join(', ')}]`);
  }
  for (const key of records.keys()) if (!own.has(key) && !key.endsWith('num_batches_tracked')) unexpected.push(key);
  return { missing, unexpected, mismatched };
}

/**
 * Finds the Graft model a state dict fits, or the nearest candidate with its differences.
 * @example
 * whichModel(tensors).fits?.model; // 'resnet20({ inChannels: 1, numClasses: 5 })'
 */
export function whichModel(records: Map<string, TensorRecord>): Pick<InspectJson, 'fits' | 'nearest'> {
  const inChannels = records.get('conv1.weight')?.shape[1] ?? 3;
  const fc = records.get('fc.weight');
  let nearest: InspectJson['nearest'];
  let nearestCount = Infinity;
  for (const c of candidates(new Set(records.keys()))) {
    const numClasses = fc?.shape[0] ?? 10;
    const model = c.build({ inChannels, numClasses });
    try {
      const diff = compare(model, records);
      const call = `${c.name}({ inChannels: ${inChannels}${fc ? `, numClasses: ${numClasses}` : ''} })`;
      const count = diff.missing.length + diff.unexpected.length + diff.mismatched.length;
      if (count === 0) return { fits: { model: call, hasHead: fc !== undefined } };
      if (count < nearestCount) { nearestCount = count; nearest = { model: call, ...diff }; }
    } finally {
      model.dispose();
    }
  }
  return nearest ? { fits: null, nearest } : { fits: null };
}

/**
 * Reads a safetensors file and describes it.
 * @example
 * const info = await inspectWeights('weights/resnet20-fmnist04-supervised.safetensors');
 */
export async function inspectWeights(file: string): Promise<InspectJson> {
  if (!existsSync(file)) throw new Error(`inspect: file ${file} not found`);
  if (!statSync(file).isFile()) throw new Error(`inspect: ${file} is not a file (expected a .safetensors file)`);
  const { tensors, metadata } = await readSafetensors(file);
  const list: TensorInfo[] = [...tensors].map(([name, r]) => ({ name, dtype: r.dtype, shape: [...r.shape], elements: r.shape.reduce((a, b) => a * b, 1) }));
  return {
    file, tensors: list,
    totalElements: list.reduce((a, t) => a + t.elements, 0),
    parameters: list.filter((t) => !BUFFER.test(t.name)).reduce((a, t) => a + t.elements, 0),
    metadata, ...whichModel(tensors),
  };
}

function text(info: InspectJson, all: boolean): string {
  const width = Math.max(...info.tensors.map((t) => t.name.length), 6);
  const shown = all ? info.tensors : info.tensors.slice(0, 40);
  const lines = [`${info.file}: ${info.tensors.length} tensors, ${info.parameters.toLocaleString('en-US')} parameters (${info.totalElements.toLocaleString('en-US')} elements with buffers)`, ''];
  lines.push(`${'name'.padEnd(width)}  dtype  shape`);
  for (const t of shown) lines.push(`${t.name.padEnd(width)}  ${t.dtype.padEnd(5)}  [${t.shape.join(', ')}]`);
  if (shown.length < info.tensors.length) lines.push(`... ${info.tensors.length - shown.length} more (--all lists every tensor)`);
  const meta = Object.entries(info.metadata);
  if (meta.length) lines.push('', 'metadata:', ...meta.map(([k, v]) => `  ${k}: ${v.length > 100 ? `${v.slice(0, 100)}...` : v}`));
  lines.push('');
  if (info.fits) lines.push(`fits ${info.fits.model}${info.fits.hasHead ? '' : " as a backbone (no head 'fc'): load with loadPretrained(model, file, { skip: 'fc' })"}`);
  else if (info.nearest) {
    const n = info.nearest;
    lines.push(`fits no Graft model; nearest ${n.model}:`, ...[...n.missing.map((k) => `  missing ${k}`), ...n.unexpected.map((k) => `  unexpected ${k}`), ...n.mismatched.map((k) => `  shape ${k}`)].slice(0, 20));
  } else lines.push('fits no Graft model (not a ResNet state dict)');
  return `${lines.join('\n')}\n`;
}

/** The `inspect` command. */
export const inspectCommand: Command = {
  spec: {
    name: 'inspect',
    summary: 'List the tensors of a safetensors file and say which Graft model it fits.',
    positionals: [{ name: 'file', description: 'a .safetensors file', required: true }],
    flags: [{ name: 'all', type: 'boolean', description: 'List every tensor (default: the first 40).' }],
    examples: ['graft inspect weights/resnet20-fmnist04-supervised.safetensors', 'graft inspect runs/quickstart-1/fine-tune.safetensors --json'],
  },
  async run(parsed, io) {
    const info = await inspectWeights(parsed.positionals[0] as string);
    io.stdout(parsed.json ? jsonLine(info) : text(info, parsed.flags['all'] === true));
    return 0;
  },
};
