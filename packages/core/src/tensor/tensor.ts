/**
 * Tensor: a strided view (shape, strides, offset) of a reference-counted `Storage`, with autograd
 * state. Views share storage; `dispose()` drops this tensor's hold and the memory is freed when the
 * last view (or saved autograd reference) lets go. Methods are thin: each calls the op of the same
 * name in `ops/`, which validates, dispatches to the device backend and records the gradient.
 */
import { Node } from '../autograd/graph.js';
import { backward, type BackwardOptions } from '../autograd/backward.js';
import type { DType, DTypeArrays, TypedArray } from './dtype.js';
import { contiguousStrides, isContiguous, numel, shapeString, type Shape } from './shape.js';
import { setTensorCheck, track, untrack, keep as keepTensor, type Scoped } from './scope.js';
import type { Device, Storage } from './storage.js';
import { formatTensor } from './format.js';
import * as ew from '../ops/elementwise.js';
import * as cmp from '../ops/compare.js';
import * as act from '../ops/activations.js';
import * as red from '../ops/reduce.js';
import * as sm from '../ops/softmax.js';
import * as mm from '../ops/matmul.js';
import * as vw from '../ops/views.js';
import * as ix from '../ops/indexing.js';
import * as cast from '../ops/cast.js';
import * as lp from '../ops/lerp.js';
import * as dev from '../ops/device.js';
import { readElements } from './transfer.js';
import type { ReduceOptions, SliceSpec } from '../ops/types.js';

let nextId = 1;

/** A number or a tensor: the second operand of arithmetic and comparison methods. */
export type Operand = Tensor | number;

/**
 * An n-dimensional array of one dtype on one device, with autograd.
 * Create tensors with `tensor`, `zeros`, `randn`, ... rather than the constructor.
 * @example
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * x.mul(x).sum().backward();
 * x.grad?.toArray(); // [[2, 4], [6, 8]]
 */
export class Tensor implements Scoped {
  /** A process-unique id (for debugging and maps). */
  readonly id = nextId++;
  readonly shape: readonly number[];
  private store: Storage;
  private layout: { strides: readonly number[]; offset: number };
  /** The gradient accumulated by `backward()` (leaves that require grad), owned by this tensor. */
  grad: Tensor | null = null;
  /** The node that made this tensor (null for leaves). */
  gradFn: Node | null = null;
  /** An optional name, shown by `toString()`. */
  name: string | undefined;
  /** @internal scope bookkeeping */
  scope: Set<Scoped> | null = null;
  /** @internal scope bookkeeping: true once `keep()`-ed. */
  kept = false;
  private requires = false;
  private disposed = false;
  private accumulator: Node | null = null;

  /**
   * Wraps `storage` (taking over one reference to it) as a tensor of `shape`.
   * @example
   * const t = new Tensor(Storage.alloc('float32', 6), [2, 3]);
   */
  constructor(storage: Storage, shape: Shape, strides?: readonly number[], offset = 0) {
    this.store = storage;
    this.shape = shape;
    this.layout = { strides: strides ?? contiguousStrides(shape), offset };
    track(this);
  }

  /** The memory this tensor views (shared with its views). */
  get storage(): Storage {
    return this.store;
  }

  /** Elements to step in the storage per index of each dim. */
  get strides(): readonly number[] {
    return this.layout.strides;
  }

  /** Elements from the start of the storage to element [0, ..., 0]. */
  get offset(): number {
    return this.layout.offset;
  }

  /**
   * @internal `Module.to`: moves this tensor's data (and its gradient) to `device` in place, keeping
   * the object, so optimizers and modules holding it keep working. The data becomes packed.
   */
  moveDataTo(device: Device): void {
    this.assertAlive('to');
    const view = this.detach();
    const moved = dev.toDevice(view, device);
    if (moved !== view) {
      const old = this.store;
      this.store = moved.storage.retain();
      this.layout = { strides: contiguousStrides(this.shape), offset: 0 };
      old.release();
      moved.dispose();
    }
    view.dispose();
    this.grad?.moveDataTo(device);
  }

  /** The element type. */
  get dtype(): DType {
    return this.storage.dtype;
  }

  /** Where the data lives. */
  get device(): Device {
    return this.storage.device;
  }

  /** Number of dims. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get numel(): number {
    return numel(this.shape);
  }

  /** Size of one dim (negative counts from the end). */
  size(dim: number): number {
    const d = dim < 0 ? dim + this.shape.length : dim;
    if (d < 0 || d >= this.shape.length) throw new Error(`size: dim ${dim} is out of range for shape ${shapeString(this.shape)}`);
    return this.shape[d];
  }

  /** Whether the elements are packed row-major (a kernel can read them as one flat run). */
  isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  /** Whether `dispose()` ran. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Whether gradients flow to this tensor. */
  get requiresGrad(): boolean {
    return this.requires;
  }

  set requiresGrad(value: boolean) {
    this.setRequiresGrad(value);
  }

  /**
   * Sets `requiresGrad` on a leaf and returns this tensor (float32 only).
   * @example
   * const w = randn([3, 3], { seed: 0 }).setRequiresGrad(true);
   */
  setRequiresGrad(value = true): this {
    if (this.gradFn !== null && !value) {
      throw new Error('requiresGrad: cannot turn it off on a tensor computed by an op; use detach()');
    }
    if (value && this.dtype !== 'float32') {
      throw new Error(`requiresGrad: only float32 tensors can require grad (this one is ${this.dtype})`);
    }
    this.requires = value;
    return this;
  }

  /** Whether this tensor was not made by a recorded op. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** @internal Makes this tensor the output of `node`. */
  setGradFn(node: Node): void {
    this.gradFn = node;
    this.requires = true;
  }

  /** @internal The node gradients for this tensor flow to (its gradFn, or its accumulator if a leaf). */
  gradEdge(): Node {
    if (this.gradFn !== null) return this.gradFn;
    this.accumulator ??= new Node('accumulateGrad', [], [], null, this);
    return this.accumulator;
  }

  /** Throws if disposed; returns this. */
  assertAlive(op: string): this {
    if (this.disposed) throw new Error(`${op}: tensor ${shapeString(this.shape)} (${this.dtype}) has been disposed`);
    return this;
  }

  /**
   * Drops this tensor's hold on its storage (and its gradient). Safe to call twice.
   * @example
   * const t = zeros([1024]); t.dispose();
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    untrack(this);
    this.storage.release();
    if (this.grad !== null) {
      this.grad.dispose();
      this.grad = null;
    }
    this.gradFn = null;
  }

  /**
   * Marks this tensor long-lived: no `tidy` scope disposes it.
   * @example
   * const w = tidy(() => randn([4, 4], { seed: 1 }).keep());
   */
  keep(): this {
    return keepTensor(this);
  }

  /**
   * A new tensor object over the same storage and layout, without autograd history.
   * @example
   * const a = x.alias(); a.dispose(); // x is still alive
   */
  alias(): Tensor {
    this.assertAlive('alias');
    return new Tensor(this.storage.retain(), this.shape, this.strides, this.offset);
  }

  /** @internal An alias that no scope tracks (autograd saved tensors). */
  ownedAlias(): Tensor {
    const t = this.alias();
    untrack(t);
    return t;
  }

  /**
   * Same data, no gradient history, requiresGrad false (shares storage).
   * @example
   * const target = prediction.detach();
   */
  detach(): Tensor {
    return this.alias();
  }

  // ---- autograd ----------------------------------------------------------------------------

  /**
   * Back-propagates from this tensor, accumulating into `.grad` of every leaf that requires grad.
   * @example
   * loss.backward();
   */
  backward(gradient?: Tensor, options?: BackwardOptions): void {
    this.assertAlive('backward');
    backward(this, gradient, options);
  }

  /**
   * Frees `.grad` (sets it to null).
   * @example
   * w.zeroGrad();
   */
  zeroGrad(): void {
    if (this.grad !== null) this.grad.dispose();
    this.grad = null;
  }

  // ---- data access -------------------------------------------------------------------------

  /**
   * The elements in row-major order. A packed CPU tensor returns a view of its storage (no copy):
   * use it while the tensor lives, or copy it (`.slice()`); once the storage is freed its memory may
   * back another tensor (see @graft/native's buffer cache). A strided view returns a packed copy; a
   * CUDA tensor returns a new array downloaded from the device.
   * @example
   * zeros([2, 2]).dataSync(); // Float32Array(4)
   */
  dataSync<D extends DType = 'float32'>(): DTypeArrays[D] {
    this.assertAlive('dataSync');
    // A device tensor is downloaded (waiting for its queued work): always a new array.
    if (this.device !== 'cpu') return readElements(this) as DTypeArrays[D];
    if (this.isContiguous()) {
      return (this.storage.data as TypedArray).subarray(this.offset, this.offset + this.numel) as DTypeArrays[D];
    }
    const packed = vw.contiguous(this, true);
    const copy = (packed.storage.data as TypedArray).slice(0, packed.numel) as DTypeArrays[D];
    packed.dispose();
    return copy;
  }

  /**
   * The value of a one-element tensor (int64 values as numbers).
   * @example
   * tensor([3]).item(); // 3
   */
  item(): number {
    this.assertAlive('item');
    if (this.numel !== 1) throw new Error(`item: the tensor has ${this.numel} elements (shape ${shapeString(this.shape)}), not 1`);
    return cast.elementAt(this, 0);
  }

  /**
   * Nested arrays of numbers (booleans for 'bool'; float16/bfloat16 decoded).
   * @example
   * tensor([[1, 2]]).toArray(); // [[1, 2]]
   */
  toArray(): NestedArray {
    this.assertAlive('toArray');
    return cast.toNested(this);
  }

  /**
   * PyTorch-like printing: `tensor([[1.0000, 2.0000]], requires_grad=True)`.
   * @example
   * console.log(String(ones([2])));
   */
  toString(): string {
    if (this.disposed) return `tensor(<disposed>, shape=${shapeString(this.shape)}, dtype=${this.dtype})`;
    return formatTensor(this);
  }

  /** `console.log(t)` in Node prints the same text as `toString()`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // ---- conversions -------------------------------------------------------------------------

  /**
   * As another dtype (float16/bfloat16 are decoded), or on another device ('cpu', 'cuda', 'cuda:N'):
   * a copy, or this tensor when nothing changes. Moving is differentiable.
   * @example
   * const g = x.to('cuda'); const labels = y.to('int32');
   */
  to(target: DType | Device): Tensor {
    return dev.isDeviceName(target) ? dev.toDevice(this, target) : cast.toDType(this, target as DType);
  }

  /**
   * This tensor on CUDA device `index` (default 0).
   * @example
   * const g = x.cuda();
   */
  cuda(index = 0): Tensor {
    return dev.toDevice(this, `cuda:${index}`);
  }

  /**
   * This tensor on the CPU (itself when it is there already).
   * @example
   * const values = logits.cpu().toArray();
   */
  cpu(): Tensor {
    return dev.toDevice(this, 'cpu');
  }

  /** As float32 (decodes float16/bfloat16, converts integers). */
  float(): Tensor {
    return cast.toDType(this, 'float32');
  }

  /** As int32. */
  int(): Tensor {
    return cast.toDType(this, 'int32');
  }

  /** As int64. */
  long(): Tensor {
    return cast.toDType(this, 'int64');
  }

  /** A packed copy with its own storage (differentiable). */
  clone(): Tensor {
    return vw.contiguous(this, true);
  }

  /** This tensor if packed, else a packed copy (differentiable). `force` always copies. */
  contiguous(force = false): Tensor {
    return vw.contiguous(this, force);
  }

  // ---- views -------------------------------------------------------------------------------

  /** Same data in a new shape (one dim may be -1); copies only when the layout requires it. */
  reshape(...shape: ShapeArgs): Tensor {
    return vw.reshape(this, flatShape(shape));
  }

  /** Same data in a new shape; throws if that needs a copy. */
  view(...shape: ShapeArgs): Tensor {
    return vw.view(this, flatShape(shape));
  }

  /** Reorders dims. */
  permute(...dims: ShapeArgs): Tensor {
    return vw.permute(this, flatShape(dims));
  }

  /** Swaps two dims. */
  transpose(dim0: number, dim1: number): Tensor {
    return vw.transpose(this, dim0, dim1);
  }

  /** Transpose of a matrix (swaps the last two dims). */
  get T(): Tensor {
    return vw.transpose(this, -2, -1);
  }

  /** Elements start, start+step, ... < end along `dim` (negative indices count from the end). */
  slice(dim: number, start?: number, end?: number, step?: number): Tensor {
    return vw.slice(this, dim, start, end, step);
  }

  /** `length` elements from `start` along `dim`. */
  narrow(dim: number, start: number, length: number): Tensor {
    return vw.narrow(this, dim, start, length);
  }

  /** The slice at `index` along `dim`, with that dim removed. */
  select(dim: number, index: number): Tensor {
    return vw.select(this, dim, index);
  }

  /** Indexing like `x[0, 1:3, ::2]`: a number selects, `[start, end, step?]` or `null` (all) slices. */
  index(...specs: SliceSpec[]): Tensor {
    return vw.index(this, specs);
  }

  /** Removes size-1 dims (all, or the given one). */
  squeeze(dim?: number): Tensor {
    return vw.squeeze(this, dim);
  }

  /** Inserts a size-1 dim at `dim`. */
  unsqueeze(dim: number): Tensor {
    return vw.unsqueeze(this, dim);
  }

  /** Broadcasts size-1 dims to `shape` (-1 keeps a size) without copying. */
  expand(...shape: ShapeArgs): Tensor {
    return vw.expand(this, flatShape(shape));
  }

  /** Broadcasts to another tensor's shape. */
  expandAs(other: Tensor): Tensor {
    return vw.expand(this, other.shape);
  }

  /** Merges dims startDim..endDim into one. */
  flatten(startDim = 0, endDim = -1): Tensor {
    return vw.flatten(this, startDim, endDim);
  }

  /** Rows (or slices along `dim`) picked by an integer index tensor. */
  indexSelect(dim: number, indices: Tensor): Tensor {
    return ix.indexSelect(this, dim, indices);
  }

  /** out[i][j] = x[i][index[i][j]] along `dim`. */
  gather(dim: number, indices: Tensor): Tensor {
    return ix.gather(this, dim, indices);
  }

  /** Splits into pieces of `size` (or the given sizes) along `dim`. */
  split(size: number | readonly number[], dim = 0): Tensor[] {
    return ix.split(this, size, dim);
  }

  /** Splits into `chunks` nearly equal pieces along `dim`. */
  chunk(chunks: number, dim = 0): Tensor[] {
    return ix.chunk(this, chunks, dim);
  }

  // ---- elementwise -------------------------------------------------------------------------

  /** this + other (broadcasting). */
  add(other: Operand): Tensor {
    return ew.add(this, other);
  }

  /** this - other. */
  sub(other: Operand): Tensor {
    return ew.sub(this, other);
  }

  /** this * other. */
  mul(other: Operand): Tensor {
    return ew.mul(this, other);
  }

  /** this / other. */
  div(other: Operand): Tensor {
    return ew.div(this, other);
  }

  /** this ** exponent. */
  pow(exponent: Operand): Tensor {
    return ew.pow(this, exponent);
  }

  /** Elementwise maximum. */
  maximum(other: Operand): Tensor {
    return ew.maximum(this, other);
  }

  /** Elementwise minimum. */
  minimum(other: Operand): Tensor {
    return ew.minimum(this, other);
  }

  /** -this. */
  neg(): Tensor {
    return ew.neg(this);
  }

  /** e^this. */
  exp(): Tensor {
    return ew.exp(this);
  }

  /** Natural log. */
  log(): Tensor {
    return ew.log(this);
  }

  /** Square root. */
  sqrt(): Tensor {
    return ew.sqrt(this);
  }

  /** |this|. */
  abs(): Tensor {
    return ew.abs(this);
  }

  /** Clamps into [min, max] (either may be omitted). */
  clamp(min?: number, max?: number): Tensor {
    return ew.clamp(this, min, max);
  }

  /** this + weight * (end - this), broadcasting as torch.lerp; see `functional.lerp`. */
  lerp(end: Tensor, weight: Operand): Tensor {
    return lp.lerp(this, end, weight);
  }

  /** this == other (float32 0/1 mask... see `eq` in ops). */
  eq(other: Operand): Tensor {
    return cmp.eq(this, other);
  }

  /** this != other. */
  ne(other: Operand): Tensor {
    return cmp.ne(this, other);
  }

  /** this < other. */
  lt(other: Operand): Tensor {
    return cmp.lt(this, other);
  }

  /** this <= other. */
  le(other: Operand): Tensor {
    return cmp.le(this, other);
  }

  /** this > other. */
  gt(other: Operand): Tensor {
    return cmp.gt(this, other);
  }

  /** this >= other. */
  ge(other: Operand): Tensor {
    return cmp.ge(this, other);
  }

  /** max(0, x). */
  relu(): Tensor {
    return act.relu(this);
  }

  /** x for x > 0, slope * x otherwise. */
  leakyRelu(slope = 0.01): Tensor {
    return act.leakyRelu(this, slope);
  }

  /** GELU (erf form). */
  gelu(): Tensor {
    return act.gelu(this);
  }

  /** x * sigmoid(x). */
  silu(): Tensor {
    return act.silu(this);
  }

  /** 1 / (1 + e^-x). */
  sigmoid(): Tensor {
    return act.sigmoid(this);
  }

  /** Hyperbolic tangent. */
  tanh(): Tensor {
    return act.tanh(this);
  }

  // ---- reductions --------------------------------------------------------------------------

  /** Sum over `dim` (all dims when omitted). */
  sum(dim?: number | readonly number[], options?: ReduceOptions): Tensor {
    return red.sum(this, dim, options);
  }

  /** Mean over `dim`. */
  mean(dim?: number | readonly number[], options?: ReduceOptions): Tensor {
    return red.mean(this, dim, options);
  }

  /** Maximum over `dim`. */
  max(dim?: number | readonly number[], options?: ReduceOptions): Tensor {
    return red.max(this, dim, options);
  }

  /** Minimum over `dim`. */
  min(dim?: number | readonly number[], options?: ReduceOptions): Tensor {
    return red.min(this, dim, options);
  }

  /** Index of the maximum along `dim` (flattened when omitted), int32. */
  argmax(dim?: number, options?: ReduceOptions): Tensor {
    return red.argmax(this, dim, options);
  }

  /** Index of the minimum along `dim`, int32. */
  argmin(dim?: number, options?: ReduceOptions): Tensor {
    return red.argmin(this, dim, options);
  }

  /** Variance over `dim` (unbiased by default). */
  var(dim?: number | readonly number[], options?: red.VarOptions): Tensor {
    return red.variance(this, dim, options);
  }

  /** Standard deviation over `dim` (unbiased by default). */
  std(dim?: number | readonly number[], options?: red.VarOptions): Tensor {
    return red.std(this, dim, options);
  }

  /** Softmax along `dim`. */
  softmax(dim = -1): Tensor {
    return sm.softmax(this, dim);
  }

  /** Log-softmax along `dim`. */
  logSoftmax(dim = -1): Tensor {
    return sm.logSoftmax(this, dim);
  }

  /** Matrix product (batched, broadcasting batch dims). */
  matmul(other: Tensor): Tensor {
    return mm.matmul(this, other);
  }
}

/** Nested arrays of numbers (or booleans), as `toArray()` returns them. */
export type NestedArray = number | boolean | NestedArray[];

/** A shape given as separate numbers or one array. */
export type ShapeArgs = number[] | [readonly number[]];

function flatShape(args: ShapeArgs): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : (args as number[]);
}

/**
 * Whether a value is a Tensor.
 * @example
 * isTensor(zeros([1])); // true
 */
export function isTensor(value: unknown): value is Tensor {
  return value instanceof Tensor;
}

setTensorCheck(isTensor as (v: unknown) => v is Scoped);

