import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { BootstrapWeights, RewardEnsemble, meanAndStd, poisson1, resolveEnsembleConfig } from './ensemble.js';
import { disagreementScores } from './querySelection.js';

describe('RewardEnsemble', () => {
  it('combines members: mean, std, pair probabilities', () => {
    const members = [
      { w: 1, b: 0 },
      { w: 1, b: 0 },
    ];
    const e = new RewardEnsemble(members);
    const xs = [0, 1, 2];
    const { mean, std } = e.meanAndStd((m) => xs.map((x) => m.w * x + m.b));
    expect(Array.from(mean)).toEqual([0, 1, 2]);
    expect(Array.from(std)).toEqual([0, 0, 0]);
    const P = e.pairProbabilities((m) => ({ left: xs.map((x) => m.w * x), right: xs.map(() => 1) }));
    expect(Array.from(disagreementScores(P))).toEqual([0, 0, 0]);

    const e2 = new RewardEnsemble([
      { w: 1, b: 0 },
      { w: -1, b: 0 },
    ]);
    const P2 = e2.pairProbabilities((m) => ({ left: xs.map((x) => m.w * x), right: xs.map(() => 0) }));
    const d = disagreementScores(P2);
    expect(d[0]).toBe(0); // both predict R = 0 vs 0
    expect(d[2]).toBeGreaterThan(d[1]!);
    expect(meanAndStd([[1], [3]]).std[0]).toBe(1);
  });

  it('bootstraps with Poisson(1) weights, deterministically and incrementally', () => {
    const rng = new Rng(3);
    let sum = 0;
    for (let i = 0; i < 20000; i++) sum += poisson1(rng);
    expect(sum / 20000).toBeGreaterThan(0.97);
    expect(sum / 20000).toBeLessThan(1.03);

    const a = new BootstrapWeights(3, true);
    a.grow(5, new Rng(1));
    const first = a.weights(1);
    a.grow(5, new Rng(2));
    expect(Array.from(a.weights(1).slice(0, 5))).toEqual(Array.from(first)); // old weights stay
    expect(a.count).toBe(10);
    const b = new BootstrapWeights(3, true);
    b.setState(a.state());
    expect(Array.from(b.weights(2))).toEqual(Array.from(a.weights(2)));
    const off = new BootstrapWeights(2, false);
    off.grow(4, new Rng(0));
    expect(Array.from(off.weights(0))).toEqual([1, 1, 1, 1]);
  });

  it('validates its size', () => {
    expect(() => resolveEnsembleConfig({ size: 0 })).toThrow(/reward-ensemble/);
    expect(resolveEnsembleConfig({ size: 5 }).size).toBe(5);
  });
});
