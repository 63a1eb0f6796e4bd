/**
 * Data-parallel gradients over worker_threads: tfjs-wasm runs one thread, so a second core only helps if a second
 * copy of the model computes half of each batch. The main thread keeps the master weights and the optimizer; each
 * helper thread (gradWorker.ts) holds a copy, and per step:
 *   1) main posts each helper its rows of the batch, then computes the gradient of its own rows;
 *   2) helpers read the weights from shared memory, compute ∇ of their rows' mean loss, write it to shared memory;
 *   3) main combines g = Σ_k (n_k / B)·g_k (a fixed order: deterministic for a given number of workers),
 *      steps the optimizer, and publishes the new weights to shared memory.
 * OpenBLAS is set to one thread per caller (the threads already occupy the cores).
 */
import { Worker } from 'node:worker_threads';
import { tf } from '../../core/tensor.js';
import { setNativeBlasThreads } from '../../core/nativeBlas.js';
import { RlhfError } from '../../core/errors.js';
import type { Gpt2 } from '../../models/gpt2/model.js';
import type { GradWorkerInit, GradWorkerReply, GradWorkerRequest } from './gradWorker.js';

/** Starts a worker on gradWorker.ts (through tsx's loader when running from source) or gradWorker.js (built). */
function startWorker(data: GradWorkerInit): Worker {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    const target = new URL('./gradWorker.ts', self).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(target)}); });`;
    return new Worker(code, { eval: true, workerData: data });
  }
  return new Worker(new URL('./gradWorker.js', self), { workerData: data });
}

interface Helper {
  worker: Worker;
  grads: Float32Array;
  pending: { resolve: (r: GradWorkerReply) => void; reject: (e: Error) => void } | null;
}

export class GradPool {
  private readonly helpers: Helper[] = [];
  private readonly params: Float32Array;
  private readonly names: string[];
  private readonly sizes: number[];
  private readonly offsets: number[] = [];
  /** live tensors in each helper after its last step (a leak check) */
  helperTensors: number[] = [];

  private constructor(
    private readonly model: Gpt2,
    readonly threads: number,
  ) {
    this.names = [...model.params.keys()];
    this.sizes = this.names.map((n) => model.params.get(n)!.size);
    this.sizes.reduce((o, n) => (this.offsets.push(o), o + n), 0);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    this.params = new Float32Array(new SharedArrayBuffer(total * 4));
  }

  /** Starts `threads − 1` helpers (the main thread is the first worker) with the model's current weights. */
  static async start(model: Gpt2, threads: number): Promise<GradPool> {
    const pool = new GradPool(model, threads);
    pool.publish();
    if (threads > 1) setNativeBlasThreads(1);
    const ready: Promise<GradWorkerReply>[] = [];
    for (let k = 1; k < threads; k++) {
      const grads = new Float32Array(new SharedArrayBuffer(pool.params.length * 4));
      const worker = startWorker({ config: model.config, names: pool.names, sizes: pool.sizes, params: pool.params.buffer as SharedArrayBuffer, grads: grads.buffer as SharedArrayBuffer });
      const h: Helper = { worker, grads, pending: null };
      worker.on('message', (m: GradWorkerReply) => {
        const p = h.pending;
        h.pending = null;
        if (m.type === 'error') p?.reject(new RlhfError('E_INTERNAL', `pretraining worker failed: ${m.message}`));
        else p?.resolve(m);
      });
      worker.on('error', (e) => {
        const p = h.pending;
        h.pending = null;
        p?.reject(e);
      });
      ready.push(new Promise((resolve, reject) => (h.pending = { resolve, reject })));
      pool.helpers.push(h);
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      await pool.stop();
      throw e;
    }
    return pool;
  }

  /** Copies the master weights into shared memory (call after every optimizer step). */
  publish(): void {
    this.names.forEach((n, i) => this.params.set(this.model.params.get(n)!.dataSync() as Float32Array, this.offsets[i]!));
  }

  /**
   * Gradient of the mean loss over B rows x, y [B, T] split over the threads; `local(x, y, rows)` computes the main
   * thread's share. Returns the combined gradients (the caller disposes them) and the mean loss.
   */
  async gradients(
    x: Int32Array,
    y: Int32Array,
    B: number,
    T: number,
    local: (x: Int32Array, y: Int32Array, rows: number) => { loss: number; grads: tf.NamedTensorMap },
  ): Promise<{ loss: number; grads: tf.NamedTensorMap }> {
    const K = this.helpers.length + 1;
    const rows = Array.from({ length: K }, (_, k) => Math.floor((B * (k + 1)) / K) - Math.floor((B * k) / K));
    const starts = rows.map((_, k) => Math.floor((B * k) / K));
    // 1) helpers get rows of shards 1 … K−1
    const replies = this.helpers.map((h, i) => {
      const k = i + 1;
      const slice = (a: Int32Array): Int32Array => a.slice(starts[k]! * T, (starts[k]! + rows[k]!) * T);
      const msg: GradWorkerRequest = { type: 'step', x: slice(x), y: slice(y), rows: rows[k]!, T };
      const p = new Promise<GradWorkerReply>((resolve, reject) => (h.pending = { resolve, reject }));
      h.worker.postMessage(msg);
      return p;
    });
    // 2) the main thread's shard 0
    const own = local(x.subarray(0, rows[0]! * T), y.subarray(0, rows[0]! * T), rows[0]!);
    const done = await Promise.all(replies);
    this.helperTensors = done.map((r) => (r.type === 'done' ? r.numTensors : -1));
    // 3) g = Σ_k (n_k / B) g_k, in a fixed order
    let loss = (own.loss * rows[0]!) / B;
    done.forEach((r, i) => (loss += ((r as { loss: number }).loss * rows[i + 1]!) / B));
    const grads: tf.NamedTensorMap = {};
    this.names.forEach((n, j) => {
      const v = this.model.params.get(n)!;
      const g0 = own.grads[v.name];
      grads[v.name] = tf.tidy(() => {
        let acc = g0 ? tf.mul(g0, rows[0]! / B) : tf.zeros(v.shape);
        this.helpers.forEach((h, i) => {
          const part = h.grads.subarray(this.offsets[j]!, this.offsets[j]! + this.sizes[j]!);
          acc = tf.add(acc, tf.mul(tf.tensor(part, v.shape, 'float32'), rows[i + 1]! / B));
        });
        return acc;
      });
    });
    tf.dispose(Object.values(own.grads));
    return { loss, grads };
  }

  async stop(): Promise<void> {
    for (const h of this.helpers) {
      h.worker.postMessage({ type: 'stop' } satisfies GradWorkerRequest);
      await h.worker.terminate();
    }
    this.helpers.length = 0;
  }
}
