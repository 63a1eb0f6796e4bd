import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initTensors } from '../../core/tensor.js';
import { Rng } from '../../core/rng.js';
import { resolveGpt2Config } from '../../models/gpt2/config.js';
import { Gpt2 } from '../../models/gpt2/model.js';
import { GradPool } from './gradPool.js';
import { tokenLogProbs } from '../../models/logprobs.js';

beforeAll(async () => {
  await initTensors('wasm');
});

describe('GradPool (data-parallel gradients over worker_threads)', () => {
  it('combines the threads’ gradients into the full batch’s gradient', async () => {
    const config = resolveGpt2Config({ vocab_size: 40, n_positions: 16, n_embd: 16, n_layer: 1, n_head: 2 });
    const model = Gpt2.random(config, new Rng(1));
    const rng = new Rng(2);
    const B = 5;
    const T = 8;
    const x = Int32Array.from({ length: B * T }, () => rng.int(40));
    const y = Int32Array.from({ length: B * T }, () => rng.int(40));
    const vars = model.trainableVariables('full');
    const local = (xs: Int32Array, ys: Int32Array, rows: number): { loss: number; grads: tf.NamedTensorMap } => {
      const { value, grads } = tf.variableGrads(
        () => tf.tidy(() => tf.neg(tf.mean(tokenLogProbs(model.forward(tf.tensor2d(xs, [rows, T], 'int32')).logits, tf.tensor2d(ys, [rows, T], 'int32')))) as tf.Scalar),
        vars,
      );
      const loss = value.dataSync()[0]!;
      value.dispose();
      return { loss, grads };
    };
    const whole = local(x, y, B);
    const pool = await GradPool.start(model, 2);
    try {
      const split = await pool.gradients(x, y, B, T, local);
      expect(split.loss).toBeCloseTo(whole.loss, 5);
      let worst = 0;
      for (const v of vars) {
        const a = whole.grads[v.name]!.dataSync();
        const b = split.grads[v.name]!.dataSync();
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      }
      expect(worst).toBeLessThan(1e-5);
      // and it moved something: the gradients are not all zero
      expect(Math.max(...Array.from(split.grads[vars[0]!.name]!.dataSync()).map(Math.abs))).toBeGreaterThan(1e-4);
      tf.dispose([...Object.values(whole.grads), ...Object.values(split.grads)]);
      // more steps: no tensors pile up in the helper or here
      const helperBefore = [...pool.helperTensors];
      const mainBefore = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        pool.publish();
        tf.dispose(Object.values((await pool.gradients(x, y, B, T, local)).grads));
      }
      expect(pool.helperTensors).toEqual(helperBefore);
      expect(tf.memory().numTensors).toBe(mainBefore);
    } finally {
      await pool.stop();
      model.dispose();
    }
  }, 60_000);
});
