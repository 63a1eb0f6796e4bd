import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { pairProbabilitiesFromReturns } from './ensemble.js';
import {
  binaryEntropy,
  disagreementScores,
  entropyScores,
  resolveQuerySelection,
  selectQueries,
  type PairProbabilities,
} from './querySelection.js';

const probs = (rows: number[][]): PairProbabilities => ({
  members: rows.length,
  candidates: rows[0]!.length,
  p: Float64Array.from(rows.flat()),
});

describe('disagreement', () => {
  it('is zero for identical members and positive otherwise', () => {
    const same = probs([
      [0.1, 0.5, 0.9],
      [0.1, 0.5, 0.9],
      [0.1, 0.5, 0.9],
    ]);
    expect(Array.from(disagreementScores(same))).toEqual([0, 0, 0]);
    const diff = probs([
      [0.1, 0.5, 0.9],
      [0.1, 0.6, 0.2],
    ]);
    const d = disagreementScores(diff);
    expect(d[0]).toBe(0);
    expect(d[1]).toBeCloseTo(0.0025, 10); // Var{0.5, 0.6} = 0.05²
    expect(d[2]).toBeCloseTo(0.1225, 10); // Var{0.9, 0.2} = 0.35²
  });

  it('from returns: identical reward models agree exactly', () => {
    const r = { left: [1, 2, 3], right: [3, 2, 1] };
    const P = pairProbabilitiesFromReturns([r, r]);
    expect(Array.from(disagreementScores(P)).every((v) => v === 0)).toBe(true);
    const P2 = pairProbabilitiesFromReturns([r, { left: [1, 2, 3], right: [3, 5, 1] }]);
    expect(disagreementScores(P2)[1]).toBeGreaterThan(0);
  });
});

describe('disagreement on log-odds (returns known)', () => {
  // candidate 0: members sure σ¹ wins but disagree by 20 nats on how much (d = 20, 30, 40 → P ≈ 1 for all);
  // candidate 1: members nearly agree near 50/50 (d = 0.1, −0.1, 0)
  const rows = [
    { left: [20, 0.1], right: [0, 0] },
    { left: [30, -0.1], right: [0, 0] },
    { left: [40, 0], right: [0, 0] },
  ];

  it('measures Var_k[d_k] = Var_k[R_k(σ¹) − R_k(σ²)] and so sees the spread that saturated probabilities hide', () => {
    const P = pairProbabilitiesFromReturns(rows);
    const d = disagreementScores(P);
    expect(d[0]).toBeCloseTo(200 / 3, 9); // Var{20, 30, 40}
    expect(d[1]).toBeCloseTo(0.02 / 3, 9); // Var{0.1, −0.1, 0}
    expect(selectQueries('disagreement', P, 1, new Rng(1))).toEqual([0]);
    // B-Pref's measure on the same predictions: P ≈ 1 for every member of candidate 0, so it ranks candidate 1 first
    const onP = disagreementScores(P, 'probability');
    expect(onP[1]).toBeGreaterThan(onP[0]!);
    expect(selectQueries('disagreement', { members: P.members, candidates: P.candidates, p: P.p }, 1, new Rng(1))).toEqual([1]);
  });

  it('refuses log-odds of the wrong shape', () => {
    const P = pairProbabilitiesFromReturns(rows);
    expect(() => disagreementScores({ ...P, logOdds: new Float64Array(1) })).toThrow(/log-odds/);
  });
});

describe('selectQueries', () => {
  // candidate 0: confident and agreed; 1: members split (0.05 vs 0.95 → mean 0.5);
  // 2: agreed 50/50 (mean 0.5, no disagreement); 3: mildly unsure (0.7)
  const P = probs([
    [0.99, 0.05, 0.5, 0.7],
    [0.99, 0.95, 0.5, 0.7],
  ]);

  it('disagreement picks the pair the members split on', () => {
    expect(selectQueries('disagreement', P, 1, new Rng(1))).toEqual([1]);
  });

  it('entropy picks a pair whose mean prediction is 50/50, and never the confident one first', () => {
    const picked = selectQueries('entropy', P, 2, new Rng(1));
    expect(new Set(picked)).toEqual(new Set([1, 2]));
    const H = entropyScores(P);
    expect(H[2]).toBeCloseTo(Math.log(2), 12);
    expect(H[0]).toBeLessThan(H[3]!);
  });

  it('random picks distinct indices, seeded, covering every candidate over draws', () => {
    const seen = new Set<number>();
    for (let s = 0; s < 50; s++) {
      const pick = selectQueries('random', P, 2, new Rng(s));
      expect(new Set(pick).size).toBe(2);
      pick.forEach((i) => seen.add(i));
    }
    expect(seen).toEqual(new Set([0, 1, 2, 3]));
    expect(selectQueries('random', P, 3, new Rng(7))).toEqual(selectQueries('random', P, 3, new Rng(7)));
  });

  it('returns the whole pool when asked for more', () => {
    expect(selectQueries('entropy', P, 10, new Rng(0)).length).toBe(4);
    expect(selectQueries('entropy', P, 0, new Rng(0))).toEqual([]);
  });

  it('breaks ties at random rather than by position', () => {
    const flat = probs([[0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]);
    const first = new Set<number>();
    for (let s = 0; s < 40; s++) first.add(selectQueries('entropy', flat, 1, new Rng(s))[0]!);
    expect(first.size).toBeGreaterThan(3);
  });
});

describe('resolveQuerySelection', () => {
  it('rejects unknown names and disagreement without an ensemble', () => {
    expect(() => resolveQuerySelection('bald', 3)).toThrow(/query-selection must be one of/);
    expect(() => resolveQuerySelection('disagreement', 1)).toThrow(/at least 2/);
    expect(resolveQuerySelection('entropy', 1)).toBe('entropy');
  });

  it('binary entropy bounds', () => {
    expect(binaryEntropy(0)).toBe(0);
    expect(binaryEntropy(1)).toBe(0);
    expect(binaryEntropy(0.5)).toBeCloseTo(Math.log(2), 12);
  });
});
