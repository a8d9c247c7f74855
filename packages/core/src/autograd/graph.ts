/**
 * Define-by-run reverse-mode autograd: each differentiable op records a `Node` holding the tensors
 * its backward needs; `backward()` walks the nodes in reverse topological order, sums the incoming
 * gradients per node and accumulates leaf gradients into `.grad`. Saved tensors hold their storage
 * alive on their own (a disposed forward tensor stays readable by its node) and are freed with the
 * graph after `backward()` unless `retainGraph` is set.
 */
import type { Tensor } from '../tensor/tensor.js';

/**
 * The gradient of an op: given dL/d(output) and the saved tensors, dL/d(input) for every input
 * (null where an input needs none). It must return new tensors (never `gy` itself; use `gy.alias()`).
 */
export type BackwardFn = (gy: Tensor, saved: readonly Tensor[]) => (Tensor | null)[];

/**
 * One recorded op in the graph (or, with `leaf` set, the accumulation into a leaf's `.grad`).
 * @example
 * const y = x.mul(2); y.gradFn?.name; // 'mul'
 */
export class Node {
  /** The op's name, e.g. 'mul' or 'conv2d'. */
  readonly name: string;
  /** For each input, the node its gradient flows to (null: no gradient needed). */
  next: (Node | null)[];
  /** Tensors kept for backward; freed by `release()`. */
  saved: Tensor[];
  /** The gradient function (null for leaves and after release). */
  backwardFn: BackwardFn | null;
  /** The leaf tensor this node accumulates into, for leaf nodes. */
  readonly leaf: Tensor | null;
  /** Whether `release()` ran. */
  released = false;
  /** The shape of each input, to check the gradients backward returns. */
  inputShapes: (readonly number[] | null)[] = [];

  constructor(name: string, next: (Node | null)[], saved: Tensor[], backwardFn: BackwardFn | null, leaf: Tensor | null) {
    this.name = name;
    this.next = next;
    this.saved = saved;
    this.backwardFn = backwardFn;
    this.leaf = leaf;
  }

  /** Frees the saved tensors and cuts the edges (the graph cannot be run through this node again). */
  release(): void {
    if (this.leaf !== null) return;
    for (const s of this.saved) s.dispose();
    this.saved = [];
    this.next = [];
    this.inputShapes = [];
    this.backwardFn = null;
    this.released = true;
  }
}

let gradEnabled = true;

/**
 * Whether ops record gradients now (false inside `noGrad`).
 * @example
 * isGradEnabled(); // true
 */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Turns gradient recording on or off; returns the previous setting. Prefer `noGrad(fn)`.
 * @example
 * const prev = setGradEnabled(false); try { evaluate(); } finally { setGradEnabled(prev); }
 */
export function setGradEnabled(enabled: boolean): boolean {
  const prev = gradEnabled;
  gradEnabled = enabled;
  return prev;
}

/**
 * Runs `fn` without recording gradients (evaluation, optimizer updates, in-place statistics).
 * @example
 * const logits = noGrad(() => model.forward(x));
 */
export function noGrad<T>(fn: () => T): T {
  const prev = setGradEnabled(false);
  try {
    return fn();
  } finally {
    setGradEnabled(prev);
  }
}

/**
 * Whether an op on these inputs must record a node.
 * @example
 * if (needsGrad(a, b)) record('mul', y, [a, b], ...);
 */
export function needsGrad(...inputs: readonly (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t != null && t.requiresGrad) return true;
  return false;
}

/**
 * Attaches a backward node to `out` when any input requires grad (and recording is on); returns `out`.
 * `saved` tensors are retained by the node until the graph is released.
 * @example
 * return record('neg', y, [x], (gy) => [gy.neg()]);
 */
export function record(
  name: string,
  out: Tensor,
  inputs: readonly (Tensor | null | undefined)[],
  backward: BackwardFn,
  saved: readonly Tensor[] = [],
): Tensor {
  if (!needsGrad(...inputs)) return out;
  const next = inputs.map((t) => (t != null && t.requiresGrad ? t.gradEdge() : null));
  const node = new Node(name, next, saved.map((s) => s.ownedAlias()), backward, null);
  node.inputShapes = inputs.map((t) => (t != null ? t.shape : null));
  out.setGradFn(node);
  return out;
}
