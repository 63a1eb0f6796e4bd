import { beforeAll, describe, expect, it } from 'vitest';
import { initTensors, tf } from '../core/tensor.js';
import { Rng } from '../core/rng.js';
import { parseSafetensors, serializeSafetensors } from '../core/safetensors.js';
import { Adam } from './adam.js';
import { TensorAdam } from './tensorAdam.js';

beforeAll(async () => {
  await initTensors('wasm');
});

/** A small problem with two variables: L = Σ (w ⊙ w − target)² + Σ (b − 1)², its gradient not constant. */
function problem(seed: number) {
  const rng = new Rng(seed);
  const wInit = rng.normalArray(20);
  const bInit = rng.normalArray(4);
  const target = tf.tensor(rng.normalArray(20), [5, 4]);
  const make = () => {
    const w = tf.variable(tf.tensor(wInit, [5, 4]));
    const b = tf.variable(tf.tensor(bInit, [4]));
    const loss = (): tf.Scalar => tf.add(tf.sum(tf.square(tf.sub(tf.mul(w, w), target))), tf.sum(tf.square(tf.sub(b, 1)))) as tf.Scalar;
    return { w, b, loss, dispose: () => tf.dispose([w, b]) };
  };
  return { make, dispose: () => target.dispose() };
}

describe('TensorAdam', () => {
  it('follows tf.train.adam step for step (same ε), and leaks no tensors across steps', () => {
    const p = problem(3);
    const a = p.make();
    const b = p.make();
    const ours = new TensorAdam([a.w, a.b], { lr: 0.05, eps: 1e-7 });
    const ref = tf.train.adam(0.05, 0.9, 0.999, 1e-7);
    ours.minimize(a.loss);
    ref.minimize(b.loss, false, [b.w, b.b]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      ours.minimize(a.loss);
      expect(tf.memory().numTensors).toBe(before);
      ref.minimize(b.loss, false, [b.w, b.b]);
    }
    const x = [...a.w.dataSync(), ...a.b.dataSync()];
    const y = [...b.w.dataSync(), ...b.b.dataSync()];
    let worst = 0;
    x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - y[i]!))));
    expect(worst).toBeLessThan(1e-4); // tfjs computes in float32, we in float64
    expect(Math.abs(a.b.dataSync()[0]! - b.b.dataSync()[0]!)).toBeLessThan(1e-4);
    expect(ours.t).toBe(21);
    ref.dispose();
    a.dispose();
    b.dispose();
    p.dispose();
  });

  it('is the typed-array Adam: the same numbers give bit-identical weights and moments', () => {
    const rng = new Rng(4);
    const init = Float32Array.from(rng.normalArray(30));
    const grads = Array.from({ length: 6 }, () => Float32Array.from(rng.normalArray(30)));
    const v = tf.variable(tf.tensor(init, [30]));
    const tensorAdam = new TensorAdam([v], { lr: 0.02, weightDecay: 0.1 });
    const typed = new Adam(30, { lr: 0.02, weightDecay: 0.1 });
    const theta = init.slice();
    for (const g of grads) {
      const gt = tf.tensor(g, [30]);
      tensorAdam.step([gt]);
      gt.dispose();
      typed.step(theta, g);
    }
    expect(Array.from(v.dataSync())).toEqual(Array.from(theta));
    expect(Array.from(tensorAdam.m[0]!)).toEqual(Array.from(typed.m));
    v.dispose();
  });

  it('resumes exactly: save after k steps (safetensors bytes), restore into fresh variables and optimizer, continue = uninterrupted, bitwise', () => {
    const p = problem(5);
    const K = 4;
    const N = 10;
    // uninterrupted
    const a = p.make();
    const oa = new TensorAdam([a.w, a.b], { lr: 0.03 });
    for (let i = 0; i < N; i++) oa.minimize(a.loss);
    // interrupted after K steps: weights and optimizer state go through a safetensors file
    const b = p.make();
    const ob = new TensorAdam([b.w, b.b], { lr: 0.03 });
    for (let i = 0; i < K; i++) ob.minimize(b.loss);
    const bytes = serializeSafetensors({
      ...ob.toArrays('optimizer'),
      w: { shape: b.w.shape, data: b.w.dataSync() as Float32Array },
      b: { shape: b.b.shape, data: b.b.dataSync() as Float32Array },
    });
    b.dispose();
    const file = parseSafetensors(bytes, 'checkpoint');
    const c = p.make();
    c.w.assign(tf.tensor(file.tensors.get('w')!.data, c.w.shape));
    c.b.assign(tf.tensor(file.tensors.get('b')!.data, c.b.shape));
    const oc = new TensorAdam([c.w, c.b], { lr: 0.03 }); // new variables: other names, matched by position
    oc.fromArrays('optimizer', file.tensors, 'checkpoint');
    expect(oc.t).toBe(K);
    for (let i = K; i < N; i++) oc.minimize(c.loss);
    expect(Array.from(c.w.dataSync())).toEqual(Array.from(a.w.dataSync()));
    expect(Array.from(c.b.dataSync())).toEqual(Array.from(a.b.dataSync()));
    expect(Array.from(oc.v[0]!)).toEqual(Array.from(oa.v[0]!));
    a.dispose();
    c.dispose();
    p.dispose();
  });

  it('applies gradients by variable name (the GradientApplier contract) and skips variables without one', () => {
    const w = tf.variable(tf.ones([3]));
    const u = tf.variable(tf.ones([2]));
    const opt = new TensorAdam([w, u], { lr: 0.1 });
    const g = tf.tensor1d([1, -1, 0]);
    opt.applyGradients({ [w.name]: g });
    expect(Array.from(w.dataSync())).toEqual([expect.closeTo(0.9, 6), expect.closeTo(1.1, 6), 1]);
    expect(Array.from(u.dataSync())).toEqual([1, 1]);
    const stray = tf.variable(tf.zeros([1]));
    expect(() => opt.applyGradients({ [stray.name]: g })).toThrow(/not one of its 2 variables/);
    tf.dispose([w, u, g, stray]);
  });

  it('AdamW decays only the variables `decays` selects', () => {
    const w = tf.variable(tf.ones([2, 2]));
    const b = tf.variable(tf.ones([2]));
    const opt = new TensorAdam([w, b], { lr: 0.1, weightDecay: 0.5, decays: (v) => v.rank === 2 });
    opt.step([tf.zeros([2, 2]), tf.zeros([2])]);
    expect(w.dataSync()[0]).toBeCloseTo(1 - 0.1 * 0.5, 6);
    expect(b.dataSync()[0]).toBe(1);
    tf.dispose([w, b]);
  });

  it('a matmul after a step sees the new weights (no stale packed-weight cache on wasm)', () => {
    const w = tf.variable(tf.ones([3, 4]));
    const x = tf.ones([2, 3]);
    const before = tf.matMul(x, w).dataSync()[0]!;
    const opt = new TensorAdam([w], { lr: 0.5 });
    const g = tf.ones([3, 4]);
    opt.step([g]);
    const after = tf.matMul(x, w).dataSync()[0]!;
    const fused = tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, activation: 'relu' }).dataSync()[0]!;
    expect(before).toBe(3);
    expect(after).toBeCloseTo(3 * 0.5, 4); // w = 1 − 0.5 · m̂/√v̂ = 0.5
    expect(fused).toBeCloseTo(1.5, 4);
    tf.dispose([w, x, g]);
  });

  it('rejects a checkpoint made for other variables', () => {
    const w = tf.variable(tf.ones([3]));
    const opt = new TensorAdam([w], { lr: 0.1 });
    const other = new TensorAdam([tf.variable(tf.ones([4]))], { lr: 0.1 });
    const arrays = new Map(Object.entries(other.toArrays('optimizer')));
    expect(() => opt.fromArrays('optimizer', arrays, 'run/checkpoint.safetensors')).toThrow(/run\/checkpoint.safetensors: optimizer state "optimizer.m0" is 4 values, expected 3/);
    tf.dispose([w, ...other.variables]);
  });
});
