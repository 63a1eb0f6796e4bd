import { describe, expect, it } from 'vitest';
import { Adam, TabularBTTrainer, TabularStateReward, bradleyTerryTabular, comparisonAccuracy, countComparisons, logSoftmax, returnDifferences, softmax } from './tabular.js';

describe('tabular state reward', () => {
  it('reward is log softmax of the logits', () => {
    const m = new TabularStateReward(3, [0, Math.log(2), Math.log(3)]);
    const r = m.reward();
    expect(Array.from(r).map(Math.exp)).toEqual([1 / 6, 2 / 6, 3 / 6].map((x) => expect.closeTo(x, 7)));
    expect(Array.from(m.distribution()).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(logSoftmax([1000, 1000])[0]).toBeCloseTo(-Math.LN2, 12); // no overflow
    expect(softmax([0, 0, 0, 0])[2]).toBe(0.25);
    expect(() => new TabularStateReward(3, [1, 2])).toThrow(/2 initial logits for 3 states/);
  });

  it('countComparisons stores c_left − c_right per labelled pair and drops skips', () => {
    // two pairs of length-3 segments in rows of stride 4 (the 4th entry is ignored)
    const left = Int32Array.from([0, 1, 1, 9, 2, 2, 2, 9, 0, 0, 0, 9]);
    const right = Int32Array.from([1, 2, 0, 9, 2, 2, 2, 9, 3, 3, 3, 9]);
    const c = countComparisons(left, right, 3, 3, 4, 10, [1, 0.5, Number.NaN]);
    expect(c.mu.length).toBe(2);
    expect(Array.from(c.mu)).toEqual([1, 0.5]);
    // pair 0: left {0:1, 1:2}, right {1:1, 2:1, 0:1} → D = {1: +1, 2: −1}; pair 1: identical segments → no entries
    expect(Array.from(c.rowPtr)).toEqual([0, 2, 2]);
    expect(Array.from(c.cols)).toEqual([1, 2]);
    expect(Array.from(c.vals)).toEqual([1, -1]);
    expect(Array.from(returnDifferences(c, [0, 5, 2, 0, 0, 0, 0, 0, 0, 0]))).toEqual([3, 0]);
  });

  it('loss and gradient match hand values and finite differences', () => {
    // two states, one pair with D = (+2, −2) (left visited state 0 twice more), μ = 1
    const c = countComparisons(Int32Array.from([0, 0]), Int32Array.from([1, 1]), 1, 2, 2, 2, [1]);
    const theta = [0.3, -0.2];
    const grad = new Float64Array(2);
    const loss = bradleyTerryTabular(theta, c, grad);
    // r = log softmax θ; d = 2 (r₀ − r₁) = 2 (θ₀ − θ₁) = 1; loss = log(1 + e^−1)
    expect(loss).toBeCloseTo(Math.log1p(Math.exp(-1)), 12);
    // ∂loss/∂θ₀ = (sigmoid(1) − 1) · 2 · (1 − p₀ − (−p₀))... = (σ(1) − 1)·2 by symmetry of D; check numerically too
    expect(grad[0]).toBeCloseTo((1 / (1 + Math.exp(-1)) - 1) * 2, 12);
    expect(grad[1]).toBeCloseTo(-grad[0]!, 12);

    // a random 6-state problem with ties and weights vs central differences
    const S = 6;
    const L = Int32Array.from([0, 1, 2, 3, 0, 0, 5, 5, 4, 2, 1, 1]);
    const R = Int32Array.from([5, 4, 3, 2, 1, 1, 0, 2, 2, 3, 3, 3]);
    const cc = countComparisons(L, R, 3, 4, 4, S, [1, 0.5, 0]);
    cc.weight.set([1, 2, 0.5]);
    const th = [0.1, -0.4, 0.7, 0, 0.25, -1];
    const g = new Float64Array(S);
    bradleyTerryTabular(th, cc, g);
    const h = 1e-6;
    for (let k = 0; k < S; k++) {
      const up = th.slice();
      const dn = th.slice();
      up[k]! += h;
      dn[k]! -= h;
      const fd = (bradleyTerryTabular(up, cc, new Float64Array(S)) - bradleyTerryTabular(dn, cc, new Float64Array(S))) / (2 * h);
      expect(g[k]).toBeCloseTo(fd, 7);
    }
    // without the loss (inside the optimisation loop) the gradient is the same
    const g2 = new Float64Array(S);
    expect(Number.isNaN(bradleyTerryTabular(th, cc, g2, undefined, false))).toBe(true);
    expect(Array.from(g2)).toEqual(Array.from(g));
  });

  it('accuracy counts sign agreement on non-tie pairs (d = 0 counts ½)', () => {
    const c = countComparisons(Int32Array.from([0, 1, 0]), Int32Array.from([1, 0, 0]), 3, 1, 1, 2, [1, 1, 0.5]);
    // r = (1, 0): pair 0 d = +1 (left, right answer), pair 1 d = −1 (wrong), pair 2 is a tie and ignored
    expect(comparisonAccuracy(c, [1, 0])).toBe(0.5);
    expect(comparisonAccuracy(c, [0, 0])).toBe(0.5);
    expect(Number.isNaN(comparisonAccuracy(countComparisons(new Int32Array(0), new Int32Array(0), 0, 1, 1, 2, []), [0, 0]))).toBe(true);
  });

  it('Adam matches a hand-computed first step and PyTorch-style bias correction', () => {
    const adam = new Adam(2, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    const theta = Float32Array.from([1, -1]);
    adam.step(theta, [0.5, -2]);
    // first step: m̂ = g, v̂ = g², update = lr · g / (|g| + ε) = ±lr
    expect(theta[0]).toBeCloseTo(0.9, 6);
    expect(theta[1]).toBeCloseTo(-0.9, 6);
    adam.step(theta, [0.5, -2]);
    expect(theta[0]).toBeCloseTo(0.8, 5);
    expect(adam.t).toBe(2);
    expect(() => new Adam(2, { lr: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 })).toThrow(/learning rate/);
  });

  it('the trainer learns which state the teacher prefers', () => {
    // segments of length 1 in a 4-state world: the teacher prefers state 3 over everything
    const n = 60;
    const L = new Int32Array(n);
    const R = new Int32Array(n);
    const mu = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      L[i] = i % 4;
      R[i] = (i * 7 + 1) % 4;
      mu[i] = L[i] === R[i] ? 0.5 : L[i] === 3 ? 1 : R[i] === 3 ? 0 : 0.5;
    }
    const model = new TabularStateReward(4);
    const trainer = new TabularBTTrainer(model, new Adam(4, { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8 }), 200);
    const stats = trainer.fit(countComparisons(L, R, n, 1, 1, 4, mu));
    expect(stats.loss).toBeLessThan(stats.lossBefore);
    const p = model.distribution();
    expect(p[3]).toBeGreaterThan(5 * Math.max(p[0]!, p[1]!, p[2]!));
    expect(stats.accuracy).toBe(1);
  });
});
