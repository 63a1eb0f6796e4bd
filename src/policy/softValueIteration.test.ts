import { describe, expect, it } from 'vitest';
import { softValueIteration, mdpFromDense, validateMdp, optimalReturn, cumulativePolicy, type TabularMdp } from './softValueIteration.js';
import { Gridworld } from '../domains/gridworld/env.js';

/** A 2×2 grid, deterministic moves (up, right, down, left, stay), as a dense [A, S, S] tensor. */
function tinyDense(): { P: number[]; S: number; A: number; step: (s: number, a: number) => number } {
  const N = 2;
  const S = 4;
  const A = 5;
  const moves = [
    [0, 1],
    [1, 0],
    [0, -1],
    [-1, 0],
    [0, 0],
  ];
  const step = (s: number, a: number) => {
    const x = Math.min(N - 1, Math.max(0, (s % N) + moves[a]![0]!));
    const y = Math.min(N - 1, Math.max(0, Math.floor(s / N) + moves[a]![1]!));
    return y * N + x;
  };
  const P = new Array<number>(A * S * S).fill(0);
  for (let a = 0; a < A; a++) for (let s = 0; s < S; s++) P[(a * S + s) * S + step(s, a)] = 1;
  return { P, S, A, step };
}

function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
}

describe('soft value iteration', () => {
  it('equals brute-force enumeration of action sequences on a deterministic 2×2 grid', () => {
    // With γ = 1 and deterministic moves, unrolling V_k = (1/α) logsumexp_a(α(r(s) + V_{k−1}(s'))) from V₀ = log(A)/α
    // gives V_H(s) = (1/α) log Σ over all A^(H+1) sequences of exp(α Σ_{t<H} r(s_t)).
    const { P, S, A, step } = tinyDense();
    const reward = [-1, 0.5, -2, 1.5];
    const alpha = 0.7;
    const H = 4;
    const mdp = mdpFromDense(P, A, S);
    expect(mdp.width).toBe(1);
    const res = softValueIteration(mdp, reward, { horizon: H, temperature: alpha, discount: 1 });
    for (let s0 = 0; s0 < S; s0++) {
      const terms: number[] = [];
      const seqs = A ** (H + 1);
      for (let code = 0; code < seqs; code++) {
        let s = s0;
        let ret = 0;
        let c = code;
        for (let t = 0; t < H; t++) {
          ret += reward[s]!;
          s = step(s, c % A);
          c = Math.floor(c / A);
        }
        terms.push(alpha * ret);
      }
      expect(res.v[s0]).toBeCloseTo(logSumExp(terms) / alpha, 9);
    }
  });

  it('matches a direct recursive evaluation on a slippery grid with discount, per state and action', () => {
    const env = new Gridworld({ size: 3, starts: [[0, 0]], goals: [[2, 2]], slip: 0.2, rewardEps: 1e-3 });
    const mdp = env.mdp;
    validateMdp(mdp);
    const r = Array.from(env.trueReward);
    const alpha = 2;
    const gamma = 0.9;
    const H = 5;
    // Q_k(s, a) by plain recursion over a dense transition function (no sparse table, no buffers)
    const dense = (s: number, a: number): Map<number, number> => {
      const m = new Map<number, number>();
      for (let j = 0; j < mdp.width; j++) {
        const p = mdp.prob[(s * mdp.numActions + a) * mdp.width + j]!;
        if (p > 0) m.set(mdp.next[(s * mdp.numActions + a) * mdp.width + j]!, p);
      }
      return m;
    };
    const memo = new Map<string, number>();
    const Q = (k: number, s: number, a: number): number => {
      if (k === 0) return 0;
      const key = `${k},${s},${a}`;
      const hit = memo.get(key);
      if (hit !== undefined) return hit;
      let ev = 0;
      for (const [s2, p] of dense(s, a)) ev += p * (logSumExp([0, 1, 2, 3, 4].map((b) => alpha * Q(k - 1, s2, b))) / alpha);
      const q = r[s]! + gamma * ev;
      memo.set(key, q);
      return q;
    };
    const res = softValueIteration(mdp, r, { horizon: H, temperature: alpha, discount: gamma, timeDependent: true });
    for (const s of [0, 4, 5, 8])
      for (let a = 0; a < 5; a++) {
        expect(res.q[s * 5 + a]).toBeCloseTo(Q(H, s, a), 9);
      }
    // the policy is softmax(α Q_H), rows sum to 1; the time-dependent policy at t = H−1 is softmax(α Q_1)
    for (let s = 0; s < 9; s++) {
      const row = Array.from(res.policy.subarray(s * 5, s * 5 + 5));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      const z = logSumExp([0, 1, 2, 3, 4].map((a) => alpha * Q(H, s, a)));
      row.forEach((p, a) => expect(p).toBeCloseTo(Math.exp(alpha * Q(H, s, a) - z), 9));
    }
    const last = res.policies!.subarray((H - 1) * 45, H * 45);
    const z4 = logSumExp([0, 1, 2, 3, 4].map((a) => alpha * Q(1, 4, a)));
    expect(last[4 * 5 + 0]).toBeCloseTo(Math.exp(alpha * Q(1, 4, 0) - z4), 9);
  });

  it('accepts a state-action reward and rejects bad shapes and configs', () => {
    const { P, S, A } = tinyDense();
    const mdp = mdpFromDense(P, A, S);
    const rsa = new Float64Array(S * A).fill(0);
    rsa[0 * A + 1] = 1; // moving right from state 0 is rewarded
    const res = softValueIteration(mdp, rsa, { horizon: 1, temperature: 1, discount: 1 });
    expect(res.q[1]).toBeCloseTo(1 + Math.log(5), 12); // Q₁ = r + V₀, V₀ = (1/α) log Σₐ e⁰ = log A
    expect(() => softValueIteration(mdp, [1, 2], { horizon: 1, temperature: 1, discount: 1 })).toThrow(/S = 4 or S·A = 20/);
    expect(() => softValueIteration(mdp, [0, 0, 0, 0], { horizon: 0, temperature: 1, discount: 1 })).toThrow(/horizon/);
    expect(() => softValueIteration(mdp, [0, 0, 0, 0], { horizon: 1, temperature: 0, discount: 1 })).toThrow(/temperature/);
    expect(() => softValueIteration(mdp, [0, 0, 0, 0], { horizon: 1, temperature: 1, discount: 2 })).toThrow(/discount/);
    const broken: TabularMdp = { ...mdp, prob: mdp.prob.map((p) => p * 0.5) };
    expect(() => validateMdp(broken)).toThrow(/sums to 0.5/);
  });

  it('a large α approaches the hard optimum: the 5×5 policy walks straight to the goal', () => {
    const env = new Gridworld({ size: 5, starts: [[0, 0]], goals: [[4, 4]], slip: 0, rewardEps: 1e-6 });
    const res = softValueIteration(env.mdp, env.trueReward, { horizon: 30, temperature: 50, discount: 1 });
    // from (0,0) only "up" and "right" are on a shortest path
    const p0 = res.policy.subarray(0, 5);
    expect(p0[0]! + p0[1]!).toBeGreaterThan(0.999);
    // the best true return Σ_{t=1..30} r(s_t) from (0,0): 7 steps off the goal, then 23 on it
    const best = optimalReturn(env.mdp, env.trueReward, 30)[0]!;
    expect(best).toBeCloseTo(7 * Math.log(1e-6) + 23 * Math.log(1 + 1e-6), 9);
    const cdf = cumulativePolicy(res.policy, 25, 5);
    expect(cdf[4]).toBe(1);
  });
});
