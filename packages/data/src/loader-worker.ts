/**
 * Worker thread of {@link DataLoader}: rebuilds the transform from its spec once, then for each job
 * transforms the packed raw items with their per-sample generators and sends back the stacked batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { stack, transformItems, unpackItems, type PackedItems } from './batch.js';
import { transformFromSpec } from './transforms/compose.js';
import type { TransformSpec } from './transforms/types.js';

/** A job sent by the loader. */
export interface WorkerJob {
  id: number;
  seed: number;
  epoch: number;
  indices: Int32Array;
  items: PackedItems;
}

/** The reply: a stacked batch or the error message. */
export type WorkerReply =
  | { id: number; ok: true; images: Uint8Array | Float32Array; shape: number[] }
  | { id: number; ok: false; message: string };

const spec = (workerData as { spec: TransformSpec | null }).spec;
const transform = spec ? transformFromSpec(spec) : undefined;
const port = parentPort;
if (!port) throw new Error('loader-worker: must run as a worker thread');

port.on('message', (job: WorkerJob) => {
  let reply: WorkerReply;
  try {
    const items = transformItems(unpackItems(job.items), job.indices, transform, job.seed, job.epoch);
    const { images, shape } = stack(items, job.indices);
    reply = { id: job.id, ok: true, images, shape };
  } catch (err) {
    port.postMessage({ id: job.id, ok: false, message: (err as Error).message } satisfies WorkerReply);
    return;
  }
  port.postMessage(reply, [reply.images.buffer as ArrayBuffer]);
});
