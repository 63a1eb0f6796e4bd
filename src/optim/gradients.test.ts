import { beforeAll, describe, expect, it } from 'vitest';
import { initTensors, tf } from '../core/tensor.js';
import { clipByNorm, clipByValue } from './clip.js';
import { clipAndApply, clipByGlobalNorm, disposeGrads, globalNorm, gradientStep } from './gradients.js';
import { TensorAdam } from './tensorAdam.js';

beforeAll(async () => {
  await initTensors();
});

describe('clipping tensors by global norm', () => {
  it('g ← g · min(1, c / ‖g‖) over all tensors together', () => {
    const g = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) }; // ‖g‖ = 5
    expect(globalNorm(g)).toBeCloseTo(5, 5);
    const c = clipByGlobalNorm(g, 1);
    expect(c.norm).toBeCloseTo(5, 5);
    expect(c.owned).toBe(true);
    expect(Array.from(c.grads.a!.dataSync())).toEqual([expect.closeTo(0.6, 5), 0]);
    expect(Array.from(c.grads.b!.dataSync())).toEqual([0, expect.closeTo(0.8, 5)]);
    const u = clipByGlobalNorm(g, 10); // under the bound: the same tensors, nothing new to dispose
    expect(u.owned).toBe(false);
    expect(u.grads).toBe(g);
    expect(() => clipByGlobalNorm(g, 0)).toThrow(/max gradient norm/);
    disposeGrads(g);
    disposeGrads(c.grads);
  });

  it('clipAndApply applies the clipped gradient, returns the norm before clipping, and leaves nothing behind', () => {
    const w = tf.variable(tf.tensor1d([0, 0]));
    const sgd = tf.train.sgd(1);
    const g = { [w.name]: tf.tensor1d([3, 4]) };
    const n0 = tf.memory().numTensors;
    expect(clipAndApply(sgd, g, 1)).toBeCloseTo(5, 5);
    expect(tf.memory().numTensors).toBe(n0);
    expect(Array.from(w.dataSync())).toEqual([expect.closeTo(-0.6, 5), expect.closeTo(-0.8, 5)]);
    expect(clipAndApply(sgd, g, null)).toBeNaN(); // no clipping, not measured
    expect(Array.from(w.dataSync())).toEqual([expect.closeTo(-3.6, 5), expect.closeTo(-4.8, 5)]);
    disposeGrads(g);
    tf.dispose([w]);
    sgd.dispose();
  });

  it('TensorAdam scales clipped gradients on the way in: the same weights as scaled tensor copies, none allocated', () => {
    const init = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
    const grad = Float32Array.from({ length: 1000 }, (_, i) => 3 * Math.cos(i * 0.7));
    const a = tf.variable(tf.tensor1d(init));
    const b = tf.variable(tf.tensor1d(init));
    const optA = new TensorAdam([a], { lr: 0.01 });
    const optB = new TensorAdam([b], { lr: 0.01 });
    const gA = { [a.name]: tf.tensor1d(grad) };
    const gB = { [b.name]: tf.tensor1d(grad) };
    for (let k = 0; k < 3; k++) {
      const n0 = tf.memory().numTensors;
      const normA = clipAndApply(optA, gA, 0.5); // scaled inside TensorAdam
      expect(tf.memory().numTensors).toBe(n0);
      const c = clipByGlobalNorm(gB, 0.5); // scaled copies, applied as they are
      optB.applyGradients(c.grads);
      if (c.owned) disposeGrads(c.grads);
      expect(normA).toBeCloseTo(c.norm, 4);
    }
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(() => clipAndApply(optA, gA, 0)).toThrow(/max gradient norm/);
    disposeGrads(gA);
    disposeGrads(gB);
    tf.dispose([a, b]);
  });

  it('gradientStep: loss, gradients, clip-and-apply, no tensors left', () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const opt = new TensorAdam([w], { lr: 0.1 });
    const loss = () => tf.sum(tf.square(w)) as tf.Scalar; // ∇ = 2w = [2, 4]
    gradientStep(loss, opt, { variables: [w] }); // warm-up
    const n0 = tf.memory().numTensors;
    const out = gradientStep(loss, opt, { variables: [w], maxGradNorm: 1 });
    expect(tf.memory().numTensors).toBe(n0);
    expect(out.loss).toBeGreaterThan(0);
    expect(out.gradNorm).toBeGreaterThan(1);
    w.dispose();
  });
});

describe('clipping typed arrays', () => {
  it('by value clamps each element; by norm scales the whole vector', () => {
    const g = Float32Array.of(3, -4, 0.5);
    clipByValue(g, 1);
    expect(Array.from(g)).toEqual([1, -1, 0.5]);
    const h = Float64Array.of(3, 4);
    expect(clipByNorm(h, 1)).toBeCloseTo(5, 12);
    expect(Array.from(h)).toEqual([expect.closeTo(0.6, 12), expect.closeTo(0.8, 12)]);
    const k = Float64Array.of(0.3, 0.4);
    expect(clipByNorm(k, 1)).toBeCloseTo(0.5, 12);
    expect(Array.from(k)).toEqual([0.3, 0.4]);
  });
});
