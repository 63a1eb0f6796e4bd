/**
 * A data-parallel helper thread of `rlhf pretrain text` (see gradPool.ts): holds a copy of the model, and for each
 * step reads the current weights from shared memory, computes the gradient of the mean next-token loss on its shard
 * of the batch, and writes it back to shared memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { tf, initTensors } from '../../core/tensor.js';
import { setNativeBlasThreads } from '../../core/nativeBlas.js';
import type { Gpt2Config } from '../../models/gpt2/config.js';
import { Gpt2 } from '../../models/gpt2/model.js';
import { tokenLogProbs } from '../../models/logprobs.js';

export interface GradWorkerInit {
  config: Gpt2Config;
  /** parameter names and sizes, in the order of the flat buffers */
  names: string[];
  sizes: number[];
  /** the weights (written by the main thread after every optimizer step) and this worker's gradient slot */
  params: SharedArrayBuffer;
  grads: SharedArrayBuffer;
}

export type GradWorkerRequest = { type: 'step'; x: Int32Array; y: Int32Array; rows: number; T: number } | { type: 'stop' };
export type GradWorkerReply = { type: 'ready' } | { type: 'done'; loss: number; numTensors: number } | { type: 'error'; message: string };

async function main(): Promise<void> {
  const port = parentPort!;
  const init = workerData as GradWorkerInit;
  await initTensors('wasm');
  setNativeBlasThreads(1); // the cores are taken by the data-parallel threads themselves
  const params = new Float32Array(init.params);
  const grads = new Float32Array(init.grads);
  const offsets: number[] = [];
  init.sizes.reduce((o, n) => (offsets.push(o), o + n), 0);
  const arrays = new Map(init.names.map((n, i) => [n, params.slice(offsets[i]!, offsets[i]! + init.sizes[i]!)]));
  const model = Gpt2.fromArrays(init.config, arrays);
  const vars = init.names.map((n) => model.params.get(n)!);
  port.postMessage({ type: 'ready' } satisfies GradWorkerReply);
  port.on('message', (m: GradWorkerRequest) => {
    if (m.type === 'stop') {
      model.dispose();
      port.close();
      return;
    }
    try {
      // 1) the current weights
      vars.forEach((v, i) => {
        const t = tf.tensor(params.subarray(offsets[i]!, offsets[i]! + init.sizes[i]!), v.shape, 'float32');
        v.assign(t);
        t.dispose(); // the variable holds the data now
      });
      // 2) ∇ of the mean NLL on this shard
      const { value, grads: g } = tf.variableGrads(
        () =>
          tf.tidy(() => {
            const out = model.forward(tf.tensor2d(m.x, [m.rows, m.T], 'int32'));
            return tf.neg(tf.mean(tokenLogProbs(out.logits, tf.tensor2d(m.y, [m.rows, m.T], 'int32')))) as tf.Scalar;
          }),
        vars,
      );
      const loss = value.dataSync()[0]!;
      vars.forEach((v, i) => grads.set(g[v.name]!.dataSync() as Float32Array, offsets[i]!));
      tf.dispose([value, ...Object.values(g)]);
      port.postMessage({ type: 'done', loss, numTensors: tf.memory().numTensors } satisfies GradWorkerReply);
    } catch (e) {
      port.postMessage({ type: 'error', message: (e as Error).stack ?? String(e) } satisfies GradWorkerReply);
    }
  });
}

void main();
