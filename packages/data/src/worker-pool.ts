/**
 * A fixed set of loader worker threads. Each worker holds a reference on the event loop only while it
 * has work in flight, so an idle or forgotten loader never keeps the process alive.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { TransformSpec } from './transforms/types.js';
import type { WorkerJob, WorkerReply } from './loader-worker.js';

/** The worker script: compiled JavaScript next to this file, or (tests run from source) the TypeScript file. */
function workerEntry(): { url: URL; execArgv: string[] } {
  const js = new URL('./loader-worker.js', import.meta.url);
  if (import.meta.url.endsWith('.js') || existsSync(js)) return { url: js, execArgv: [] };
  // Running from TypeScript source (the test runner's alias): compile the worker on the fly.
  const hooks = new URL('../dev/register-ts.mjs', import.meta.url);
  return { url: new URL('./loader-worker.ts', import.meta.url), execArgv: ['--import', hooks.href] };
}

type Pending = { resolve: (r: { images: Uint8Array | Float32Array; shape: number[] }) => void; reject: (e: Error) => void };

interface Slot {
  worker: Worker;
  inFlight: number;
}

/** Worker threads that transform and stack batches. */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending & { slot: Slot }>();
  private nextId = 0;
  private failure: Error | undefined;
  private closed = false;

  constructor(count: number, spec: TransformSpec | null) {
    const { url, execArgv } = workerEntry();
    for (let k = 0; k < count; k++) {
      const worker = new Worker(url, { workerData: { spec }, execArgv });
      const slot: Slot = { worker, inFlight: 0 };
      worker.unref();
      worker.on('message', (reply: WorkerReply) => this.onReply(slot, reply));
      worker.on('error', (err: Error) => this.fail(new Error(`DataLoader: worker thread failed: ${err.message}`)));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`DataLoader: worker thread exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  /** Sends one batch job to the least busy worker. */
  run(job: Omit<WorkerJob, 'id'>): Promise<{ images: Uint8Array | Float32Array; shape: number[] }> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('DataLoader: the loader is closed'));
    const slot = this.slots.reduce((best, s) => (s.inFlight < best.inFlight ? s : best));
    const id = this.nextId++;
    const promise = new Promise<{ images: Uint8Array | Float32Array; shape: number[] }>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
    });
    if (slot.inFlight++ === 0) slot.worker.ref();
    const { items } = job;
    const transfer = [items.u8.buffer, items.f32.buffer, job.indices.buffer] as ArrayBuffer[];
    slot.worker.postMessage({ ...job, id } satisfies WorkerJob, transfer);
    return promise;
  }

  private release(slot: Slot): void {
    if (--slot.inFlight === 0) slot.worker.unref();
  }

  private onReply(slot: Slot, reply: WorkerReply): void {
    const entry = this.pending.get(reply.id);
    if (!entry) return;
    this.pending.delete(reply.id);
    this.release(slot);
    if (reply.ok) entry.resolve({ images: reply.images, shape: reply.shape });
    else entry.reject(new Error(reply.message));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      this.release(entry.slot);
      entry.reject(err);
    }
  }

  /** Stops every worker; pending jobs reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('DataLoader: the loader is closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
