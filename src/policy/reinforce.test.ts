import { beforeAll, describe, expect, it } from 'vitest';
import { initTensors, tf } from '../core/tensor.js';
import { Rng } from '../core/rng.js';
import { KeyedBaseline, MovingAverageBaseline, reinforceAdvantages, reinforceStep, resolveReinforceConfig } from './reinforce.js';
import { clipByGlobalNorm, disposeGrads, globalNorm, GradientAccumulator } from './clip.js';

beforeAll(async () => {
  await initTensors();
});

/** log π(a) for a softmax over logits θ, picked by one-hot (no gather gradient needed). */
const logpOf = (theta: tf.Variable, actions: number[], k: number): tf.Tensor1D =>
  tf.sum(tf.mul(tf.logSoftmax(tf.reshape(theta, [1, k])), tf.oneHot(tf.tensor1d(actions, 'int32'), k).toFloat()), 1) as tf.Tensor1D;

describe('baselines', () => {
  it('moving average: b ← d b + (1 − d) mean(R); the first batch sets b without an initial value', () => {
    const b = new MovingAverageBaseline(0.9, 0);
    b.update([1, 1]);
    expect(b.value).toBeCloseTo(0.1, 12);
    b.update(1);
    expect(b.value).toBeCloseTo(0.19, 12);
    const c = new MovingAverageBaseline(0.5);
    c.update([2, 4]);
    expect(c.value).toBe(3);
    c.update([5]);
    expect(c.value).toBe(4);
  });
  it('keyed: one baseline per key', () => {
    const k = new KeyedBaseline(3, 0);
    k.update([0, 0, 2], [1, 3, 5]);
    expect(Array.from(k.values([0, 1, 2]))).toEqual([2, 0, 5]);
    expect(() => k.get(3)).toThrow(/out of range/);
  });
  it('advantages subtract the baseline and can be normalized', () => {
    expect(Array.from(reinforceAdvantages([1, 0], 0.5))).toEqual([0.5, -0.5]);
    const n = reinforceAdvantages([1, 0], 0.5, true); // std (Bessel) of ±0.5 is √0.5
    expect(n[0]).toBeCloseTo(0.5 / Math.sqrt(0.5), 5);
    expect(() => resolveReinforceConfig({ baselineDecay: 1 })).toThrow(/baselineDecay/);
  });
});

describe('reinforceStep', () => {
  it('matches the hand-computed gradient on a two-armed bandit', () => {
    // θ = [0, 0] ⇒ π = [½, ½]; actions [0, 1], R = [1, 0], b = ½ ⇒ A = [½, −½]
    // ∇ log π(a) = onehot(a) − π; ∇L = −mean(A ∇log π) = −½([¼, −¼] + [¼, −¼]) = [−¼, ¼]; SGD(1): θ = [¼, −¼]
    const theta = tf.variable(tf.zeros([2]), true, 'bandit_theta');
    const opt = tf.train.sgd(1);
    const out = reinforceStep({ logprobs: () => logpOf(theta, [0, 1], 2), returns: [1, 0], baseline: 0.5, optimizer: opt, variables: [theta] });
    expect(Array.from(theta.dataSync())).toEqual([expect.closeTo(0.25, 6), expect.closeTo(-0.25, 6)]);
    expect(out.loss).toBeCloseTo(-(0.5 * Math.log(0.5) - 0.5 * Math.log(0.5)) / 2, 6);
    expect(out.gradNorm).toBeCloseTo(Math.SQRT1_2 / 2, 5);
    theta.dispose();
  });

  it('learns the best arm of a 3-armed bandit with a moving baseline, without leaking tensors', () => {
    const rng = new Rng(5);
    const means = [0, 1, 0.2];
    const theta = tf.variable(tf.zeros([3]), true, 'bandit3_theta');
    const opt = tf.train.adam(0.1);
    const base = new MovingAverageBaseline(0.9);
    let n0 = -1;
    for (let it = 0; it < 60; it++) {
      const p = tf.tidy(() => tf.softmax(theta).dataSync());
      const actions = Array.from({ length: 16 }, () => rng.categorical(p));
      const returns = actions.map((a) => means[a]! + 0.1 * rng.normal());
      reinforceStep({ logprobs: () => logpOf(theta, actions, 3), returns, baseline: base.value, optimizer: opt, variables: [theta], maxGradNorm: 1 });
      base.update(returns);
      if (it === 1) n0 = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(n0);
    const p = tf.tidy(() => tf.softmax(theta).dataSync());
    expect(p[1]).toBeGreaterThan(0.8);
    theta.dispose();
  });
});

describe('gradient clipping and accumulation', () => {
  it('clips by global norm', () => {
    const g = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) }; // ‖g‖ = 5
    expect(globalNorm(g)).toBeCloseTo(5, 5);
    const c = clipByGlobalNorm(g, 1);
    expect(c.norm).toBeCloseTo(5, 5);
    expect(Array.from(c.grads.a!.dataSync())).toEqual([expect.closeTo(0.6, 5), 0]);
    expect(Array.from(c.grads.b!.dataSync())).toEqual([0, expect.closeTo(0.8, 5)]);
    const u = clipByGlobalNorm(g, 10); // under the bound: unchanged
    expect(Array.from(u.grads.a!.dataSync())).toEqual([3, 0]);
    disposeGrads(g);
    disposeGrads(c.grads);
    disposeGrads(u.grads);
  });
  it('accumulates the mean gradient over passes', () => {
    const w = tf.variable(tf.tensor1d([0]), true, 'acc_w');
    const acc = new GradientAccumulator([w]);
    acc.add(() => tf.sum(tf.mul(w, 2)) as tf.Scalar); // ∂/∂w = 2
    acc.add(() => tf.sum(tf.mul(w, 4)) as tf.Scalar); // ∂/∂w = 4
    expect(acc.size).toBe(2);
    const norm = acc.apply(tf.train.sgd(1));
    expect(norm).toBeCloseTo(3, 5);
    expect(w.dataSync()[0]).toBeCloseTo(-3, 5);
    w.dispose();
  });
});
