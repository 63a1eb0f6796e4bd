import { beforeAll, describe, expect, it } from 'vitest';
import { tf, initTensors } from '../core/tensor.js';
import { Rng } from '../core/rng.js';
import { PreferenceTrainer, resolveTrainerConfig } from './trainer.js';

beforeAll(async () => {
  await initTensors();
});

let uid = 0;

/** A linear reward R(x) = x · w over 3 features; the teacher prefers a larger x · w* with w* = (1, −2, 0.5). */
function linearProblem(n: number, seed: number) {
  const rng = new Rng(seed);
  const wStar = [1, -2, 0.5];
  const L = rng.normalArray(n * 3);
  const R = rng.normalArray(n * 3);
  const mu = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let d = 0;
    for (let j = 0; j < 3; j++) d += (L[i * 3 + j]! - R[i * 3 + j]!) * wStar[j]!;
    mu[i] = d > 0 ? 1 : 0;
  }
  const init = tf.zeros([3, 1]);
  const w = tf.variable(init, true, `lin_w_${uid++}`);
  init.dispose();
  const score = (x: tf.Tensor) => tf.reshape(tf.matMul(x as tf.Tensor2D, w), [-1]) as tf.Tensor1D; // [N]
  return { L, R, mu, w, score, wStar };
}

describe('PreferenceTrainer', () => {
  it('fits a linear reward to comparisons (direction of w recovered)', () => {
    const p = linearProblem(300, 1);
    const trainer = new PreferenceTrainer(p.score, [p.w], { lr: 0.1, steps: 80 });
    const left = tf.tensor2d(p.L, [300, 3]);
    const right = tf.tensor2d(p.R, [300, 3]);
    const stats = trainer.fitComparisons({ left, right, mu: p.mu });
    expect(stats.loss).toBeLessThan(stats.lossBefore);
    expect(stats.lossBefore).toBeCloseTo(Math.LN2, 5);
    const w = Array.from(p.w.dataSync());
    const cos = (w[0]! * 1 + w[1]! * -2 + w[2]! * 0.5) / (Math.hypot(...w) * Math.hypot(1, -2, 0.5));
    expect(cos).toBeGreaterThan(0.98);
    tf.dispose([left, right]);
    p.w.dispose();
  });

  it('fits rankings with Plackett–Luce', () => {
    const p = linearProblem(1, 2);
    const rng = new Rng(5);
    const n = 100;
    const k = 3;
    const items = rng.normalArray(n * k * 3);
    // sort each ranking's items best first under w*
    const sorted = new Float32Array(items.length);
    for (let i = 0; i < n; i++) {
      const idx = [0, 1, 2].map((j) => ({ j, r: items[(i * k + j) * 3]! * 1 - 2 * items[(i * k + j) * 3 + 1]! + 0.5 * items[(i * k + j) * 3 + 2]! }));
      idx.sort((a, b) => b.r - a.r);
      idx.forEach(({ j }, pos) => sorted.set(items.subarray((i * k + j) * 3, (i * k + j + 1) * 3), (i * k + pos) * 3));
    }
    const trainer = new PreferenceTrainer(p.score, [p.w], { lr: 0.1, steps: 40 });
    const x = tf.tensor2d(sorted, [n * k, 3]);
    const stats = trainer.fitRankings({ items: x, rankings: n, k });
    expect(stats.loss).toBeLessThan(stats.lossBefore * 0.6);
    x.dispose();
    p.w.dispose();
  });

  it('leaves the number of live tensors unchanged across fits (no leak), with minibatches', () => {
    const p = linearProblem(64, 3);
    const trainer = new PreferenceTrainer(p.score, [p.w], { lr: 0.01, steps: 5, batchSize: 16 }, new Rng(1));
    const left = tf.tensor2d(p.L, [64, 3]);
    const right = tf.tensor2d(p.R, [64, 3]);
    trainer.fitComparisons({ left, right, mu: p.mu }); // creates Adam's slots
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) trainer.fitComparisons({ left, right, mu: p.mu, weights: new Float32Array(64).fill(1) });
    trainer.adam.state();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([left, right]);
    p.w.dispose();
  });

  it('optimizer state round-trips: a restored trainer continues exactly', () => {
    const a = linearProblem(50, 4);
    const b = linearProblem(50, 4);
    const left = tf.tensor2d(a.L, [50, 3]);
    const right = tf.tensor2d(a.R, [50, 3]);
    const ta = new PreferenceTrainer(a.score, [a.w], { lr: 0.05, steps: 3 });
    const tb = new PreferenceTrainer(b.score, [b.w], { lr: 0.05, steps: 3 });
    ta.fitComparisons({ left, right, mu: a.mu });
    // copy weights and optimizer state (renamed slots) into b, then both take the same steps
    b.w.assign(a.w);
    const st = ta.adam.state();
    expect(st.t).toBe(3);
    tb.adam.setState(st);
    const live = tf.memory().numTensors;
    ta.fitComparisons({ left, right, mu: a.mu });
    tb.fitComparisons({ left, right, mu: a.mu });
    expect(Array.from(b.w.dataSync())).toEqual(Array.from(a.w.dataSync()));
    expect(tf.memory().numTensors).toBe(live);
    tf.dispose([left, right]);
    a.w.dispose();
    b.w.dispose();
  });

  it('validates its config and inputs', () => {
    expect(() => resolveTrainerConfig({ lr: -1 })).toThrow(/learning rate/);
    expect(() => resolveTrainerConfig({ steps: 1.5 })).toThrow(/steps/);
    const p = linearProblem(2, 5);
    expect(() => new PreferenceTrainer(p.score, [p.w], { batchSize: 4 })).toThrow(/need an Rng/);
    const t = new PreferenceTrainer(p.score, [p.w]);
    const x = tf.zeros([2, 3]);
    expect(() => t.fitComparisons({ left: x, right: x, mu: new Float32Array(3) })).toThrow(/2 left and 2 right inputs for 3 targets/);
    x.dispose();
    p.w.dispose();
  });
});
