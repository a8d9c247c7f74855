// Every CUDA entry point that reads one buffer while writing another refuses arguments that share
// memory in a way its threads could not handle: an output that overlaps an input at an offset (a thread
// would read what another has already written). Elementwise ops accept the very same buffer (in place),
// as their CPU bindings do; losses, indexing and convolutions accept no overlap at all. Needs a GPU (or the CUDA simulator: npm run test:cuda-sim); skipped with the
// reason elsewhere.
import { afterEach, describe, expect, it } from 'vitest';
import {
  capabilities, cudaAlloc, cudaBceWithLogits, cudaBinary, cudaCast, cudaConv2dBackwardData, cudaConv2dBackwardWeight,
  cudaConv2dForward, cudaCrossEntropy, cudaDropout, cudaDropoutBackward,
  cudaIndexSelect, cudaLerp, cudaReadBytes, cudaSoftmax, cudaSoftmaxBackward, cudaUnary, cudaUnaryBackward, cudaWhere,
  cudaWriteBytes, type DeviceBuffer, type DeviceSlice,
} from '@graft/native';

const caps = capabilities();
const hasCuda = caps.cudaDevices.length > 0;
const why = hasCuda ? '' : ` (skipped: no CUDA device: ${caps.cudaUnavailableReason})`;

const made: DeviceBuffer[] = [];
function floats(values: number[]): DeviceBuffer {
  const buffer = cudaAlloc(4 * values.length);
  made.push(buffer);
  cudaWriteBytes(buffer, Float32Array.from(values));
  return buffer;
}
/** Floats [first, first + count) of a buffer. */
function part(buffer: DeviceBuffer, first: number, count: number): DeviceSlice {
  return { buffer, byteOffset: 4 * first, byteLength: 4 * count };
}
function readF32(ref: DeviceBuffer, n: number): Float32Array {
  const out = new Float32Array(n);
  cudaReadBytes(ref, out);
  return out;
}
const eight = (): DeviceBuffer => floats([1, -2, 3, -4, 5, -6, 7, -8]);

describe.skipIf(!hasCuda)(`cuda arguments that share memory${why}`, () => {
  afterEach(() => void made.splice(0).forEach((b) => b.dispose()));

  it('unary and its backward: in place works, an overlap at an offset is refused', () => {
    const b = eight();
    cudaUnary('relu', b, b);
    expect(Array.from(readF32(b, 8))).toEqual([1, 0, 3, 0, 5, 0, 7, 0]);
    expect(() => cudaUnary('neg', part(b, 0, 4), part(b, 2, 4))).toThrow(/cudaUnary: argument 'y' shares memory with 'x' at an offset/);
    const x = eight(), y = eight();
    expect(() => cudaUnaryBackward('relu', x, y, part(b, 0, 4), part(b, 1, 4))).toThrow(/cudaUnaryBackward: argument 'dx' shares memory with 'dy'/);
    expect(() => cudaUnaryBackward('relu', part(x, 0, 4), part(y, 0, 4), part(y, 4, 4), part(x, 4, 4))).not.toThrow();
  });

  it('binary and where: the contiguous output itself works, another view of it is refused', () => {
    const a = eight(), b = eight();
    cudaBinary('add', [8], a, 0, [1], b, 0, [1], a);
    expect(Array.from(readF32(a, 8))).toEqual([2, -4, 6, -8, 10, -12, 14, -16]);
    expect(() => cudaBinary('add', [4], a, 1, [1], b, 0, [1], part(a, 0, 4))).toThrow(/cudaBinary: argument 'a' shares memory with 'out' through a different view/);
    expect(() => cudaBinary('mul', [4], b, 0, [1], a, 0, [2], a)).toThrow(/argument 'b' shares memory with 'out'/);
    const cond = floats([1, 0, 1, 0]), other = floats([9, 9, 9, 9]);
    cudaWhere([4], cond, 0, [1], a, 0, [1], other, 0, [1], part(a, 0, 4));
    expect(Array.from(readF32(a, 4))).toEqual([2, 9, 6, 9]);
    expect(() => cudaWhere([4], cond, 0, [1], a, 0, [1], other, 0, [1], part(cond, 0, 4))).not.toThrow();
    expect(() => cudaWhere([4], a, 2, [1], cond, 0, [1], other, 0, [1], part(a, 0, 4))).toThrow(/cudaWhere: argument 'cond' shares memory with 'out'/);
  });

  it('cast: in place between types of one size works; a different size or an offset is refused', () => {
    const b = floats([1.5, -2.5, 3.5, 4]);
    cudaCast(b, 'float32', b, 'int32', 4);
    const ints = new Int32Array(4);
    cudaReadBytes(b, ints);
    expect(Array.from(ints)).toEqual([1, -2, 3, 4]);
    expect(() => cudaCast(b, 'int32', b, 'int64', 2)).toThrow(/cudaCast: argument 'dst' shares memory with 'src'/);
    expect(() => cudaCast(part(b, 0, 3), 'int32', part(b, 1, 3), 'float32', 3)).toThrow(/cudaCast: argument 'dst' shares memory with 'src'/);
  });

  it('lerp, softmax and dropout: in place works, an overlap at an offset is refused', () => {
    const a = eight(), b = eight(), w = floats(new Array(8).fill(0.5));
    cudaLerp(a, b, w, a);
    expect(() => cudaLerp(a, b, w, part(w, 0, 8))).not.toThrow();
    expect(() => cudaLerp(part(a, 0, 4), part(b, 0, 4), part(b, 4, 4), part(a, 2, 4))).toThrow(/cudaLerp: argument 'out' shares memory with 'a'/);
    const x = eight();
    cudaSoftmax(x, 2, 4, 1, x);
    expect(readF32(x, 8).slice(0, 4).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    expect(() => cudaSoftmax(part(x, 0, 4), 1, 4, 1, part(x, 4, 4))).not.toThrow();
    expect(() => cudaSoftmax(part(x, 0, 4), 1, 4, 1, part(x, 1, 4))).toThrow(/cudaSoftmax: argument 'y' shares memory with 'x'/);
    expect(() => cudaSoftmaxBackward(x, eight(), 2, 4, 1, part(x, 0, 8))).not.toThrow();
    expect(() => cudaSoftmaxBackward(part(x, 0, 4), eight(), 1, 4, 1, part(x, 3, 4))).toThrow(/cudaSoftmaxBackward: argument 'dx' shares memory with 'y'/);
    const mask = cudaAlloc(8);
    made.push(mask);
    const d = eight();
    cudaDropout(d, d, mask, 0.5, 1, 0);
    expect(() => cudaDropout(eight(), d, { buffer: d, byteOffset: 0, byteLength: 8 }, 0.5, 1, 0)).toThrow(/cudaDropout: argument 'mask' shares memory with 'y'/);
    expect(() => cudaDropoutBackward(d, mask, 0.5, d)).not.toThrow();
    expect(() => cudaDropoutBackward(part(d, 0, 4), mask, 0.5, part(d, 1, 4))).toThrow(/cudaDropoutBackward: argument 'dx' shares memory with 'dy'/);
  });

  it('indexing and losses: outputs must be apart from every input, even the very same buffer', () => {
    const x = eight(), idx = cudaAlloc(8);
    made.push(idx);
    cudaWriteBytes(idx, Int32Array.from([1, 0]));
    expect(() => cudaIndexSelect(x, 1, 8, 1, idx, 2, part(x, 0, 2))).toThrow(/cudaIndexSelect: argument 'y' shares memory with 'x'/);
    expect(() => cudaIndexSelect(x, 1, 8, 1, idx, 2, idx)).toThrow(/cudaIndexSelect: argument 'y' shares memory with 'index'/);
    const logits = eight(), targets = cudaAlloc(8);
    made.push(targets);
    cudaWriteBytes(targets, Int32Array.from([1, 3]));
    const losses = floats([0]);
    cudaCrossEntropy({ logits, n: 2, c: 4, targets, losses });
    expect(() => cudaCrossEntropy({ logits, n: 2, c: 4, targets, losses: part(logits, 7, 1) })).toThrow(/cudaCrossEntropy: argument 'losses' shares memory with 'logits'/);
    expect(() => cudaCrossEntropy({ logits, n: 2, c: 4, targets, losses, dlogits: logits })).toThrow(/cudaCrossEntropy: argument 'dlogits' shares memory with 'logits'/);
    const probs = floats([0, 1, 1, 0, 1, 0, 0, 1]);
    expect(() => cudaBceWithLogits({ logits, targets: probs, n: 2, c: 4, losses, dlogits: probs })).toThrow(/cudaBceWithLogits: argument 'dlogits' shares memory with 'targets'/);
    expect(() => cudaBceWithLogits({ logits, targets: probs, n: 2, c: 4, losses: part(probs, 0, 1) })).toThrow(/cudaBceWithLogits: argument 'losses' shares memory with 'targets'/);
    // Per-row losses written over the labels they are computed from.
    expect(() => cudaCrossEntropy({ logits, n: 2, c: 4, targets, losses: targets, reduction: 'none' }))
      .toThrow(/cudaCrossEntropy: argument 'losses' shares memory with 'targets'/);
  });

  it('convolutions: outputs apart from every input', () => {
    const shape = { n: 1, c: 1, h: 3, w: 3, k: 1, r: 1, s: 1 };
    const x = floats([1, 2, 3, 4, 5, 6, 7, 8, 9]), weight = floats([2]), y = floats(new Array(9).fill(0));
    cudaConv2dForward({ ...shape, x, weight, y });
    expect(Array.from(readF32(y, 9))).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(() => cudaConv2dForward({ ...shape, x, weight, y: x })).toThrow(/cudaConv2dForward: argument 'y' shares memory with 'x'/);
    expect(() => cudaConv2dBackwardData({ ...shape, dy: y, weight, dx: y })).toThrow(/cudaConv2dBackwardData: argument 'dx' shares memory with 'dy'/);
    expect(() => cudaConv2dBackwardWeight({ ...shape, x, dy: y, dw: part(x, 0, 1) })).toThrow(/cudaConv2dBackwardWeight: argument 'dw' shares memory with 'x'/);
  });
});
