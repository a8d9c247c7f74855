import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bfloat16ToFloat, floatToBfloat16, floatToHalf, fromFloat32, halfToFloat, toFloat32,
} from '../src/io/dtypes.js';
import {
  parseSafetensors, readSafetensors, recordToFloat32, serializeSafetensors, writeSafetensors,
  type TensorRecord,
} from '../src/io/safetensors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'graft-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Builds a file from a raw header object (or string) and a data area. */
function rawFile(header: unknown, data: Uint8Array | number, lengthOverride?: bigint): Uint8Array {
  const json = header instanceof Uint8Array ? header
    : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const bytes = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + bytes.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes, 8 + json.length);
  return out;
}

function allDtypes(): Record<string, TensorRecord> {
  return {
    f32: { dtype: 'F32', shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 0, 1e-8, -1e30) },
    f16: { dtype: 'F16', shape: [3], data: Uint16Array.of(0x3c00, 0xc000, 0x0001) },
    bf16: { dtype: 'BF16', shape: [2], data: Uint16Array.of(0x3f80, 0xc040) },
    f64: { dtype: 'F64', shape: [1, 1], data: Float64Array.of(Math.PI) },
    i64: { dtype: 'I64', shape: [2], data: BigInt64Array.of(-5n, 2n ** 40n) },
    i32: { dtype: 'I32', shape: [3, 1], data: Int32Array.of(7, -7, 2 ** 31 - 1) },
    u8: { dtype: 'U8', shape: [1], data: Uint8Array.of(255) },
    bool: { dtype: 'BOOL', shape: [2], data: Uint8Array.of(1, 0) },
    empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
    scalar: { dtype: 'F32', shape: [], data: Float32Array.of(42) },
  };
}

describe('safetensors round trip', () => {
  it('writes and reads every dtype, metadata, zero-size and scalar tensors', async () => {
    const file = path.join(dir, 'all.safetensors');
    const tensors = allDtypes();
    await writeSafetensors(file, tensors, { format: 'pt', note: 'é' });
    const back = await readSafetensors(file);
    expect(back.metadata).toEqual({ format: 'pt', note: 'é' });
    expect([...back.tensors.keys()]).toEqual(Object.keys(tensors));
    for (const [name, r] of Object.entries(tensors)) {
      const got = back.tensors.get(name)!;
      expect(got.dtype).toBe(r.dtype);
      expect(got.shape).toEqual(r.shape);
      expect(got.data).toEqual(r.data);
    }
    // Header padded to 8 bytes: every tensor's data is aligned in the file.
    const bytes = readFileSync(file);
    expect(Number(bytes.readBigUInt64LE(0)) % 8).toBe(0);
    // No temporary file left behind.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('parses bytes in memory the same way', () => {
    const bytes = serializeSafetensors(allDtypes());
    const back = parseSafetensors(bytes);
    expect(back.tensors.get('i64')!.data).toEqual(BigInt64Array.of(-5n, 2n ** 40n));
    expect(back.metadata).toEqual({});
  });

  it('reads a file written by the reference layout (unpadded header, odd offsets)', () => {
    const data = new Uint8Array(6);
    new DataView(data.buffer).setUint16(0, 0x3c00, true);
    new DataView(data.buffer).setFloat32(2, 2.5, true);
    const header = { a: { dtype: 'F16', shape: [1], data_offsets: [0, 2] }, b: { dtype: 'F32', shape: [1], data_offsets: [2, 6] } };
    const back = parseSafetensors(rawFile(header, data));
    expect(recordToFloat32(back.tensors.get('a')!)).toEqual(Float32Array.of(1));
    expect(recordToFloat32(back.tensors.get('b')!)).toEqual(Float32Array.of(2.5));
  });
});

describe('float16 / bfloat16 conversion', () => {
  it('decodes special values exactly', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(bfloat16ToFloat(0xc040)).toBe(-3);
  });

  it('round-trips every half and bfloat16 bit pattern through float32', () => {
    const bad: string[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const f = halfToFloat(h);
      const hh = floatToHalf(f);
      if (Number.isNaN(f) ? !Number.isNaN(halfToFloat(hh)) : hh !== h) bad.push(`half ${h}`);
      const b = bfloat16ToFloat(h);
      const bb = floatToBfloat16(b);
      if (Number.isNaN(b) ? !Number.isNaN(bfloat16ToFloat(bb)) : bb !== h) bad.push(`bf16 ${h}`);
    }
    expect(bad).toEqual([]);
  });

  it('rounds to nearest even, overflows to infinity, underflows to zero', () => {
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie -> even (down)
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(floatToHalf(65520)).toBe(0x7c00);
    expect(floatToHalf(2 ** -26)).toBe(0);
    expect(floatToHalf(3 * 2 ** -26)).toBe(0x0001);
    expect(floatToBfloat16(1 + 2 ** -8)).toBe(0x3f80);
    expect(floatToBfloat16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    const v = Float32Array.of(0.1, -2, 1e5);
    // bfloat16 keeps 8 significant bits: relative error <= 2^-9.
    const back = toFloat32('BF16', fromFloat32('BF16', v));
    for (let i = 0; i < v.length; i++) expect(Math.abs(back[i] - v[i])).toBeLessThanOrEqual(Math.abs(v[i]) * 2 ** -9);
  });
});

describe('safetensors rejects corrupt and hostile files', () => {
  const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['shorter than the prefix', new Uint8Array(5), /shorter than the 8-byte header length/],
    ['huge header length', rawFile(ok, 8, 2n ** 63n), /exceeds the 100000000-byte limit/],
    ['header past the end', rawFile(ok, 8, 1000n), /exceeds the \d+ bytes after the prefix/],
    ['empty header', rawFile('', 0), /too short/],
    ['invalid UTF-8', rawFile(Uint8Array.of(0x7b, 0xff, 0x7d), 0), /not valid UTF-8/],
    ['not JSON', rawFile('{"w": [', 8), /not valid JSON/],
    ['not starting with {', rawFile(' {}', 0), /does not start with/],
    ['JSON array', rawFile('[1, 2]', 0), /does not start with|not a JSON object/],
    ['entry not an object', rawFile({ w: 3 }, 0), /tensor 'w': entry is not an object/],
    ['unknown dtype', rawFile({ w: { dtype: 'F8', shape: [2], data_offsets: [0, 2] } }, 2), /tensor 'w': unknown dtype "F8"/],
    ['negative dim', rawFile({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, 8), /tensor 'w': shape \[-2\]/],
    ['fractional dim', rawFile({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 6] } }, 6), /tensor 'w': shape/],
    ['shape not an array', rawFile({ w: { dtype: 'F32', shape: 2, data_offsets: [0, 8] } }, 8), /tensor 'w': shape 2/],
    ['offsets reversed', rawFile({ w: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, 8), /tensor 'w': data_offsets \[8,0\]/],
    ['offsets missing', rawFile({ w: { dtype: 'F32', shape: [2] } }, 8), /tensor 'w': data_offsets undefined/],
    ['size mismatch', rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), /tensor 'w': dtype F32 x shape \[3\] needs 12 bytes/],
    ['overflowing shape', rawFile({ w: { dtype: 'F32', shape: [2 ** 52, 2 ** 52], data_offsets: [0, 8] } }, 8), /needs \d+ bytes/],
    ['past the data area', rawFile({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8), /tensor 'w': data_offsets \[0, 16\] go past the 8-byte data area/],
    ['overlap', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /overlap the previous tensor/],
    ['gap', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /tensor 'a': gap of 4 unused bytes/],
    ['trailing bytes', rawFile(ok, 12), /4 bytes at the end of the data area belong to no tensor/],
    ['metadata not strings', rawFile({ ...ok, __metadata__: { a: 1 } }, 8), /'__metadata__' entry 'a' is not a string/],
    ['metadata not an object', rawFile({ ...ok, __metadata__: 'x' }, 8), /'__metadata__' is not an object/],
    ['bad BOOL', rawFile({ b: { dtype: 'BOOL', shape: [1], data_offsets: [0, 1] } }, Uint8Array.of(7)), /tensor 'b': BOOL element 0 is 7/],
  ];

  it.each(cases)('%s (in memory and on disk)', async (label, bytes, message) => {
    expect(() => parseSafetensors(bytes, 'mem.safetensors')).toThrow(/safetensors 'mem\.safetensors'/);
    expect(() => parseSafetensors(bytes, 'mem.safetensors')).toThrow(message);
    const file = path.join(dir, `${label.replace(/\W+/g, '-')}.safetensors`);
    writeFileSync(file, bytes);
    await expect(readSafetensors(file)).rejects.toThrow(file);
    await expect(readSafetensors(file)).rejects.toThrow(message);
  });

  it('a prototype-polluting name is just a tensor name', () => {
    const back = parseSafetensors(rawFile({ ['__proto__']: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, 1));
    expect(back.tensors.get('__proto__')!.shape).toEqual([1]);
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
  });

  it('refuses bad records on write and leaves no partial file', async () => {
    const file = path.join(dir, 'bad-write.safetensors');
    await expect(writeSafetensors(file, { w: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }))
      .rejects.toThrow(/tensor 'w': shape \[3\] has 3 elements but data has 2/);
    expect(() => serializeSafetensors({ w: { dtype: 'F64', shape: [1], data: new Float32Array(1) } as unknown as TensorRecord }))
      .toThrow(/dtype F64 needs 8-byte elements/);
    expect(readdirSync(dir).filter((f) => f.includes('bad-write'))).toEqual([]);
  });
});
