import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { BootstrapWeights, RewardEnsemble, centredPriors, meanAndStd, pairProbabilitiesFromReturns, poisson1, resolveEnsembleConfig } from './ensemble.js';
import { disagreementScores } from './querySelection.js';
import { Adam, TabularBTTrainer, TabularStateReward, type CountComparisons } from './tabular.js';

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

describe('centredPriors (randomized priors)', () => {
  it('members differ, their mean is exactly the single model start (0); K = 1 or σ = 0 gives zeros', () => {
    const p = centredPriors(3, 50, 2, new Rng(4));
    expect(p).toHaveLength(3);
    for (let i = 0; i < 50; i++) expect(Math.abs(p[0]![i]! + p[1]![i]! + p[2]![i]!)).toBeLessThan(1e-12);
    const { std } = meanAndStd(p);
    const meanStd = std.reduce((a, b) => a + b, 0) / std.length;
    expect(meanStd).toBeGreaterThan(0.8); // σ √((K−1)/K) ≈ 1.6 per coordinate, spread over 3 members
    expect(Array.from(centredPriors(1, 5, 2, new Rng(4))[0]!)).toEqual([0, 0, 0, 0, 0]);
    expect(centredPriors(3, 5, 0, new Rng(4)).every((a) => a.every((v) => v === 0))).toBe(true);
    expect(centredPriors(3, 5, 1, new Rng(9))).toEqual(centredPriors(3, 5, 1, new Rng(9)));
    expect(() => centredPriors(0, 5, 1, new Rng(1))).toThrow(/at least|≥ 1/);
    expect(() => centredPriors(2, 5, -1, new Rng(1))).toThrow(/ensemble-prior|prior scale/);
  });

  it('make disagreement (on P) ask about states no label has reached; identical starts cannot tell them apart', () => {
    // 4 states; one label: state 0 ≻ state 1. Candidates: A = (0 vs 1), already answered; B = (2 vs 3), never seen.
    const label: CountComparisons = { numStates: 4, rowPtr: Int32Array.from([0, 2]), cols: Int32Array.from([0, 1]), vals: Float64Array.from([1, -1]), mu: Float64Array.from([1]), weight: Float64Array.from([1]) };
    const disagreement = (sigma: number) => {
      const members = centredPriors(3, 4, sigma, new Rng(2)).map((p) => new TabularStateReward(4, p));
      for (const m of members) new TabularBTTrainer(m, new Adam(4, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 }), 300).fit(label);
      const P = pairProbabilitiesFromReturns(members.map((m) => {
        const r = m.reward();
        return { left: [r[0]!, r[2]!], right: [r[1]!, r[3]!] };
      }));
      return disagreementScores(P, 'probability');
    };
    const withPriors = disagreement(1);
    expect(withPriors[1]!).toBeGreaterThan(10 * withPriors[0]!); // the unexplored pair B is the question
    const identical = disagreement(0);
    expect(identical[0]).toBe(0);
    expect(identical[1]).toBe(0); // identical members agree everywhere, so B looks as settled as A
  });
});
