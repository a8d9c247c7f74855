/**
 * Loading pretrained weights by name: torchvision / timm / Graft safetensors files into a model.
 */
import type { Tensor } from '../tensor/tensor.js';
import { readSafetensors } from '../io/safetensors.js';
import { recordToTensor } from '../io/tensors.js';
import { describeReport, type AnyModule, type LoadReport } from '../nn/module.js';
import { matchesName, type NamePattern } from '../nn/pattern.js';

/** Options of {@link loadPretrained}. */
export interface LoadPretrainedOptions {
  /** Throw (loading nothing) if any key is missing, unexpected or of another shape. Default true. */
  strict?: boolean;
  /** Model keys to leave as they are (and not report), e.g. 'fc' for a new head. */
  skip?: NamePattern | NamePattern[];
}

/** What {@link loadPretrained} did. */
export interface PretrainedReport extends LoadReport {
  /** Keys loaded. */
  loaded: string[];
  /** Keys skipped by `skip` (in the model or in the file). */
  skipped: string[];
}

const IGNORED = /(^|\.)num_batches_tracked$/;

/**
 * Loads a safetensors state dict into `model` by parameter name. `num_batches_tracked` counters
 * are ignored; a `module.` prefix (DataParallel) is stripped; F16/BF16/F64 tensors are converted to
 * the model's dtype. With `strict` (the default) any missing, unexpected or shape-mismatched key
 * throws naming them all and nothing is loaded.
 * @example
 * const model = resnet18({ numClasses: 5 });
 * const report = await loadPretrained(model, 'resnet18.safetensors', { skip: 'fc' });
 * report.loaded.length; // 120
 */
export async function loadPretrained(
  model: AnyModule, file: string, options: LoadPretrainedOptions = {},
): Promise<PretrainedReport> {
  const { tensors: records } = await readSafetensors(file);
  const skip = options.skip === undefined ? [] : Array.isArray(options.skip) ? options.skip : [options.skip];
  const skipped = (name: string): boolean => skip.some((p) => matchesName(p, name));
  const names = [...records.keys()];
  const strip = names.length > 0 && names.every((n) => n.startsWith('module.'));
  const own = model.stateDict();
  const source = new Map<string, Tensor>();
  const report: PretrainedReport = { missing: [], unexpected: [], mismatched: [], loaded: [], skipped: [] };
  try {
    for (const [rawName, record] of records) {
      const name = strip ? rawName.slice('module.'.length) : rawName;
      if (IGNORED.test(name)) continue;
      if (skipped(name)) {
        report.skipped.push(name);
        continue;
      }
      const dst = own.get(name);
      if (dst === undefined) report.unexpected.push(name);
      else if (dst.shape.length !== record.shape.length || dst.shape.some((d, i) => d !== record.shape[i])) {
        report.mismatched.push({ key: name, expected: [...dst.shape], got: [...record.shape] });
      } else source.set(name, recordToTensor(record));
    }
    for (const key of own.keys()) {
      if (IGNORED.test(key) || source.has(key) || report.mismatched.some((m) => m.key === key)) continue;
      if (skipped(key)) {
        if (!report.skipped.includes(key)) report.skipped.push(key);
      } else report.missing.push(key);
    }
    const clean = report.missing.length + report.unexpected.length + report.mismatched.length === 0;
    if ((options.strict ?? true) && !clean) {
      throw new Error(`loadPretrained '${file}': ${model.constructor.name} does not match: ${describeReport(report)}`);
    }
    model.loadStateDict(source, { strict: false });
    report.loaded = [...source.keys()];
    return report;
  } finally {
    for (const t of source.values()) t.dispose();
  }
}
