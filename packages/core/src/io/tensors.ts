/**
 * Safetensors records <-> Tensors, and reading/writing whole files of tensors.
 */
import { Tensor } from '../tensor/tensor.js';
import { Storage } from '../tensor/storage.js';
import type { DType, DTypeArrays } from '../tensor/dtype.js';
import { readSafetensors, writeSafetensors, type TensorRecord } from './safetensors.js';
import { toFloat32, type Dtype } from './dtypes.js';

const TO_TENSOR: Record<Exclude<Dtype, 'F64'>, DType> = {
  F32: 'float32', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', U8: 'uint8', BOOL: 'bool',
};

const TO_FILE: Record<DType, Dtype> = {
  float32: 'F32', float16: 'F16', bfloat16: 'BF16', int64: 'I64', int32: 'I32', uint8: 'U8', bool: 'BOOL',
};

/**
 * A tensor holding a copy of a record's data. F64 (which tensors do not hold) becomes float32;
 * F16/BF16 stay as they are (convert with `.float()`).
 * @example
 * const w = recordToTensor({ dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) });
 */
export function recordToTensor(record: TensorRecord): Tensor {
  const dtype = record.dtype === 'F64' ? 'float32' : TO_TENSOR[record.dtype];
  const data = record.dtype === 'F64' ? toFloat32('F64', record.data) : record.data;
  return new Tensor(Storage.fromArray(dtype, data as DTypeArrays[DType] as never), [...record.shape]);
}

/**
 * A record holding a packed copy of a tensor's data (downloaded from its device).
 * @example
 * tensorToRecord(model.stateDict().get('fc.weight')!); // { dtype: 'F32', shape: [10, 64], data }
 */
export function tensorToRecord(t: Tensor): TensorRecord {
  // A device tensor's dataSync() is already a downloaded copy; a CPU one's may be a view of its storage.
  const data = t.device === 'cpu' ? t.dataSync<DType>().slice() : t.dataSync<DType>();
  return { dtype: TO_FILE[t.dtype], shape: [...t.shape], data } as TensorRecord;
}

/**
 * Reads a safetensors file into tensors (validated first; see `readSafetensors`).
 * @example
 * const { tensors } = await loadTensors('weights.safetensors');
 */
export async function loadTensors(file: string): Promise<{ tensors: Map<string, Tensor>; metadata: Record<string, string> }> {
  const { tensors: records, metadata } = await readSafetensors(file);
  const tensors = new Map<string, Tensor>();
  for (const [name, r] of records) tensors.set(name, recordToTensor(r));
  return { tensors, metadata };
}

/**
 * Writes tensors (a state dict, say) to a safetensors file atomically.
 * @example
 * await saveTensors('model.safetensors', model.stateDict(), { format: 'pt' });
 */
export async function saveTensors(
  file: string, tensors: Map<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>,
): Promise<void> {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  await writeSafetensors(file, new Map(entries.map(([k, t]) => [k, tensorToRecord(t)])), metadata);
}
