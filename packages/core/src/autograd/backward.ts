/**
 * The backward pass: reverse topological walk from the output, one gradient per node, accumulation
 * into leaf `.grad`, intermediate gradients freed as soon as they are consumed.
 */
import { Node, noGrad } from './graph.js';
import type { Tensor } from '../tensor/tensor.js';
import { shapeString, sameShape } from '../tensor/shape.js';
import { untrack } from '../tensor/scope.js';
import { add } from '../ops/elementwise.js';
import { addInPlace } from '../ops/inplace.js';
import { onesLike } from '../ops/creation.js';

/** Options of {@link backward}. */
export interface BackwardOptions {
  /** Keep the graph (saved tensors) so backward can run through it again. Default false. */
  retainGraph?: boolean;
}

/** Nodes reachable from `root`, in reverse topological order (outputs first). */
function topoOrder(root: Node): Node[] {
  const order: Node[] = [];
  const visited = new Set<Node>();
  const stack: [Node, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.next.length) {
      top[1] = i + 1;
      const child = node.next[i];
      if (child !== null && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order.reverse();
}

/** A gradient the engine may write in place: packed, not shared, not a broadcast view. */
function exclusive(t: Tensor): boolean {
  return t.storage.refCount === 1 && t.isContiguous() && t.offset === 0 && t.numel === t.storage.length;
}

/** Sums gradients arriving at the same node, freeing the inputs. */
function sumGrads(existing: Tensor, g: Tensor): Tensor {
  if (exclusive(existing)) {
    addInPlace(existing, g);
    g.dispose();
    return existing;
  }
  const sum = add(existing, g);
  existing.dispose();
  g.dispose();
  return sum;
}

/** Adds `g` into `leaf.grad` (taking ownership of `g`). */
function accumulateLeaf(leaf: Tensor, g: Tensor): void {
  if (leaf.isDisposed) {
    // Nobody can read this gradient any more; keeping it would leak it.
    g.dispose();
    return;
  }
  if (leaf.grad === null || leaf.grad.isDisposed) {
    const owned = exclusive(g) ? g : g.contiguous(true);
    if (owned !== g) g.dispose();
    untrack(owned);
    leaf.grad = owned;
  } else {
    addInPlace(leaf.grad, g);
    g.dispose();
  }
}

/**
 * Computes d(root)/d(leaf) for every leaf that requires grad and adds it into `leaf.grad`.
 * `gradient` (dL/d(root)) defaults to 1 for a one-element root.
 * @example
 * const loss = x.mul(x).sum(); backward(loss); x.grad; // 2x
 */
export function backward(root: Tensor, gradient?: Tensor, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new Error('backward: the tensor does not require grad (no input had requiresGrad, or it was made under noGrad)');
  }
  if (gradient === undefined && root.numel !== 1) {
    throw new Error(`backward: a gradient must be given for a non-scalar output of shape ${shapeString(root.shape)}`);
  }
  if (gradient !== undefined && !sameShape(gradient.shape, root.shape)) {
    throw new Error(`backward: gradient shape ${shapeString(gradient.shape)} does not match the output shape ${shapeString(root.shape)}`);
  }
  noGrad(() => {
    const seed = gradient === undefined ? onesLike(root) : gradient.contiguous(true);
    const rootNode = root.gradEdge();
    if (rootNode.released) {
      seed.dispose();
      throw new Error('backward: the graph was already freed by an earlier backward(); pass { retainGraph: true } to run it twice');
    }
    runGraph(rootNode, seed, options.retainGraph === true);
  });
}

function runGraph(rootNode: Node, seed: Tensor, retain: boolean): void {
  const order = topoOrder(rootNode);
  const grads = new Map<Node, Tensor>([[rootNode, seed]]);
  try {
    for (const node of order) {
      const gy = grads.get(node);
      grads.delete(node);
      if (gy === undefined) continue;
      if (node.leaf !== null) {
        accumulateLeaf(node.leaf, gy);
        continue;
      }
      if (node.backwardFn === null) {
        gy.dispose();
        throw new Error(`backward: the graph through '${node.name}' was already freed; pass { retainGraph: true } to run it twice`);
      }
      const outs = node.backwardFn(gy, node.saved);
      gy.dispose();
      for (let i = 0; i < node.next.length; i++) {
        const g = outs[i];
        const target = node.next[i];
        if (g == null) continue;
        if (target === null) {
          g.dispose();
          continue;
        }
        const want = node.inputShapes[i];
        if (want != null && !sameShape(g.shape, want)) {
          g.dispose();
          throw new Error(`backward: '${node.name}' returned a gradient of shape ${shapeString(g.shape)} for input ${i} of shape ${shapeString(want)}`);
        }
        const prev = grads.get(target);
        grads.set(target, prev === undefined ? g : sumGrads(prev, g));
      }
      if (!retain) node.release();
    }
  } finally {
    for (const g of grads.values()) g.dispose();
    if (!retain) for (const node of order) node.release();
  }
}
