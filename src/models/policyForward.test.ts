import { beforeAll, describe, expect, it } from 'vitest';
import { initTensors, tf } from '../core/tensor.js';
import { Rng } from '../core/rng.js';
import { Gpt2 } from './gpt2/model.js';
import { resolveGpt2Config } from './gpt2/config.js';
import { causalLmPolicyForward, stopGradient } from './policyForward.js';

beforeAll(async () => {
  await initTensors();
});

describe('stopGradient', () => {
  it('passes values through and blocks gradients', () => {
    const v = tf.variable(tf.tensor1d([1, 2]), true, 'sg_v');
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.add(tf.mul(stopGradient(tf.mul(v, 3)), 1), tf.mul(v, 2))) as tf.Scalar, [v]);
    expect(value.dataSync()[0]).toBeCloseTo(9 + 6, 5);
    expect(Array.from(grads[v.name]!.dataSync())).toEqual([2, 2]); // only the path without the stop
    tf.dispose([value, ...Object.values(grads)]);
    v.dispose();
  });
});

describe('causalLmPolicyForward', () => {
  it('aligns log π(x_t|x_<t) and V(x_<t) at index t, and the response hint changes nothing it returns', () => {
    const m = Gpt2.random(resolveGpt2Config({ vocab_size: 11, n_positions: 16, n_embd: 8, n_layer: 1, n_head: 2, eos_token_id: 10, bos_token_id: 10 }), new Rng(1));
    m.addValueHead(new Rng(2));
    const idsA = [3, 1, 4, 1, 5, 9];
    const ids = tf.tensor2d(idsA, [1, 6], 'int32');
    const mask = tf.ones([1, 6]) as tf.Tensor2D;
    const f = causalLmPolicyForward(m, { adapters: false, entropy: true });
    const full = f(ids, mask); // all positions 1..5
    const hint = f(ids, mask, 3); // only the last 3
    const out = m.forward(ids, mask);
    const logits = out.logits.arraySync()[0]!; // [6, V]
    const values = out.values!.arraySync()[0]!;
    const lp = full.logprobs.arraySync()[0]!;
    const vp = full.values.arraySync()[0]!;
    for (let t = 1; t < 6; t++) {
      const z = logits[t - 1]!;
      const lse = Math.log(z.reduce((a, b) => a + Math.exp(b), 0));
      expect(lp[t]).toBeCloseTo(z[idsA[t]!]! - lse, 4);
      expect(vp[t]).toBeCloseTo(values[t - 1]!, 5);
    }
    const lpH = hint.logprobs.arraySync()[0]!;
    for (let t = 3; t < 6; t++) expect(lpH[t]).toBeCloseTo(lp[t]!, 5);
    expect(lpH[1]).toBe(0);
    expect(full.entropy!.shape).toEqual([1, 6]);
    // temperature: log softmax(z / T)
    const hot = causalLmPolicyForward(m, { adapters: false, temperature: 2 })(ids, mask);
    const lpT = hot.logprobs.arraySync()[0]!;
    for (let t = 1; t < 6; t++) {
      const z = logits[t - 1]!.map((v) => v / 2);
      expect(lpT[t]).toBeCloseTo(z[idsA[t]!]! - Math.log(z.reduce((a, b) => a + Math.exp(b), 0)), 4);
    }
    tf.dispose([hot.logprobs, hot.values]);
    tf.dispose([ids, mask, full.logprobs, full.values, full.entropy!, hint.logprobs, hint.values, hint.entropy!, out.logits, out.values!, out.hidden]);
    m.dispose();
  });
});
