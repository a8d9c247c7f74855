/**
 * Memory scopes: `tidy(fn)` disposes every tensor created inside `fn` that is neither returned nor kept.
 * Tensors made outside any scope live until `dispose()` (or garbage collection, as a last resort).
 */

/** What a scope needs from a tensor. */
export interface Scoped {
  /** The scope that will dispose this tensor, or null. */
  scope: Set<Scoped> | null;
  /** Whether scopes must never dispose this tensor. */
  kept: boolean;
  readonly isDisposed: boolean;
  dispose(): void;
}

const stack: Set<Scoped>[] = [];

/**
 * Registers a new tensor with the innermost scope (no-op outside scopes); the Tensor constructor calls it.
 * @example
 * track(t);
 */
export function track(t: Scoped): void {
  const top = stack.length > 0 ? stack[stack.length - 1] : undefined;
  if (top !== undefined && !t.kept) {
    top.add(t);
    t.scope = top;
  }
}

/**
 * Removes a tensor from whatever scope holds it (disposed, kept, or owned by autograd).
 * @example
 * untrack(t);
 */
export function untrack(t: Scoped): void {
  if (t.scope !== null) {
    t.scope.delete(t);
    t.scope = null;
  }
}

/**
 * Marks a tensor as long-lived: no scope disposes it (parameters, optimizer state, results you keep).
 * @example
 * const w = tidy(() => keep(randn([3, 3], { seed: 1 })));
 */
export function keep<T extends Scoped>(t: T): T {
  untrack(t);
  t.kept = true;
  return t;
}

/** Every scoped value found in a returned value (tensors, arrays, plain objects, Maps). */
function collect(value: unknown, isTensor: (v: unknown) => v is Scoped, out: Set<Scoped>, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (isTensor(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, isTensor, out, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, isTensor, out, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value as Record<string, unknown>)) collect(v, isTensor, out, depth + 1);
  }
}

let tensorCheck: ((v: unknown) => v is Scoped) | null = null;

/**
 * Installs the check `tidy` uses to find tensors in a result (done once by the Tensor module).
 * @example
 * setTensorCheck((v): v is Scoped => v instanceof Tensor);
 */
export function setTensorCheck(check: (v: unknown) => v is Scoped): void {
  tensorCheck = check;
}

/**
 * Runs `fn` and disposes every tensor it created that is not in its result (tensors, arrays or plain
 * objects of tensors) and not kept. Returned tensors move to the enclosing scope. `fn` must be synchronous.
 * @example
 * const loss = tidy(() => model(x).sub(y).pow(2).mean()); // intermediates freed here
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Scoped>();
  stack.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    stack.pop();
    for (const t of scope) {
      t.scope = null;
      t.dispose();
    }
    throw err;
  }
  stack.pop();
  if (result instanceof Promise) {
    for (const t of scope) {
      t.scope = null;
      t.dispose();
    }
    throw new Error('tidy: the function must be synchronous (it returned a Promise); tensors it made were disposed');
  }
  const returned = new Set<Scoped>();
  if (tensorCheck !== null) collect(result, tensorCheck, returned);
  const parent = stack.length > 0 ? stack[stack.length - 1] : null;
  for (const t of scope) {
    t.scope = null;
    if (returned.has(t)) {
      if (parent !== null) {
        parent.add(t);
        t.scope = parent;
      }
    } else {
      t.dispose();
    }
  }
  return result;
}

/**
 * How many scopes are open (0 outside `tidy`).
 * @example
 * tidy(() => scopeDepth()); // 1
 */
export function scopeDepth(): number {
  return stack.length;
}
