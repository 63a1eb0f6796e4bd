/**
 * Soft (maximum-entropy) value iteration on a tabular MDP, finite horizon, in plain typed arrays.
 *
 *   Q₀ = 0;  for k = 1..H:  V_{k−1}(s) = (1/α) log Σₐ exp(α Q_{k−1}(s, a))
 *                           Q_k(s, a) = r(s[, a]) + γ Σ_{s'} P(s' | s, a) V_{k−1}(s')
 *   π(a | s) = softmax_a(α Q_H(s, a))
 *
 * α is the inverse temperature (α → ∞ is hard value iteration; the seed calls it softmax_temp). The policy is the
 * stationary one from Q_H, as in the gridworld seed; `timeDependent` also returns πₜ = softmax(α Q_{H−t}) for each
 * step t = 0..H−1 (the exact finite-horizon optimum). The MDP is sparse: each (s, a) has at most `width` successors,
 * so one backup costs O(S·A·width) instead of O(S²·A) — a 10×10 grid has 3 successors per pair, not 100.
 */
import { ConfigError, ShapeError } from '../core/errors.js';

/** A tabular MDP with sparse transitions: the successors of (s, a) are next[(s·A + a)·K + j], j < K, with prob[…]. */
export interface TabularMdp {
  numStates: number;
  numActions: number;
  /** K: successors stored per (s, a); unused slots have probability 0 */
  width: number;
  /** [S, A, K] successor states */
  next: Int32Array;
  /** [S, A, K] transition probabilities, each (s, a) row sums to 1 */
  prob: Float64Array;
}

/** Builds a sparse MDP from a dense transition tensor P[a][s][s'] (the seed's layout, [A, S, S]). */
export function mdpFromDense(P: ArrayLike<number>, numActions: number, numStates: number): TabularMdp {
  const S = numStates;
  const A = numActions;
  if (P.length !== A * S * S) throw new ShapeError(`mdpFromDense: expected ${A}×${S}×${S} = ${A * S * S} values, got ${P.length}`);
  let width = 1;
  for (let a = 0; a < A; a++)
    for (let s = 0; s < S; s++) {
      let nz = 0;
      for (let t = 0; t < S; t++) if (P[(a * S + s) * S + t]! > 0) nz++;
      width = Math.max(width, nz);
    }
  const next = new Int32Array(S * A * width);
  const prob = new Float64Array(S * A * width);
  for (let a = 0; a < A; a++)
    for (let s = 0; s < S; s++) {
      let j = 0;
      for (let t = 0; t < S; t++) {
        const p = P[(a * S + s) * S + t]!;
        if (p > 0) {
          next[(s * A + a) * width + j] = t;
          prob[(s * A + a) * width + j] = p;
          j++;
        }
      }
      for (; j < width; j++) next[(s * A + a) * width + j] = s;
    }
  return { numStates: S, numActions: A, width, next, prob };
}

/** Checks that every (s, a) row is a probability distribution over valid states. */
export function validateMdp(m: TabularMdp): void {
  const n = m.numStates * m.numActions * m.width;
  if (m.next.length !== n || m.prob.length !== n) throw new ShapeError(`MDP arrays must have S·A·K = ${n} entries, got ${m.next.length} and ${m.prob.length}`);
  for (let i = 0; i < m.numStates * m.numActions; i++) {
    let total = 0;
    for (let j = 0; j < m.width; j++) {
      const s2 = m.next[i * m.width + j]!;
      const p = m.prob[i * m.width + j]!;
      if (s2 < 0 || s2 >= m.numStates || !(p >= 0)) throw new ShapeError(`MDP row ${i}: successor ${s2} / probability ${p} out of range`);
      total += p;
    }
    if (Math.abs(total - 1) > 1e-9) throw new ShapeError(`MDP row (s=${Math.floor(i / m.numActions)}, a=${i % m.numActions}) sums to ${total}, not 1`);
  }
}

export interface SoftVIConfig {
  /** H: number of backups (planning horizon), ≥ 1 */
  horizon: number;
  /** α: inverse temperature of the softmax policy, > 0 (seed: softmax_temp = 1) */
  temperature: number;
  /** γ ∈ [0, 1]: discount (seed: 1) */
  discount: number;
  /** also return the per-step policies πₜ, t = 0..H−1 (default false) */
  timeDependent?: boolean;
}

export interface SoftVIResult {
  /** [S, A] Q_H */
  q: Float64Array;
  /** [S] V_H = (1/α) logsumexp(α Q_H) */
  v: Float64Array;
  /** [S, A] stationary policy softmax(α Q_H) */
  policy: Float64Array;
  /** [H, S, A] πₜ = softmax(α Q_{H−t}), only with timeDependent */
  policies?: Float64Array;
}

export function checkSoftVIConfig(c: SoftVIConfig): void {
  if (!(Number.isInteger(c.horizon) && c.horizon >= 1)) throw new ConfigError('horizon', `planning horizon must be an integer ≥ 1, got ${c.horizon}`);
  if (!(c.temperature > 0 && Number.isFinite(c.temperature))) throw new ConfigError('temperature', `temperature α must be a finite number > 0, got ${c.temperature}`);
  if (!(c.discount >= 0 && c.discount <= 1)) throw new ConfigError('discount', `discount γ must be in [0, 1], got ${c.discount}`);
}

/** Row-wise softmax(α q) of q [S, A] into out [S, A]; returns V = (1/α) logsumexp(α q) per row into v. */
function softmaxRows(q: Float64Array, S: number, A: number, alpha: number, out: Float64Array, outOffset: number, v?: Float64Array): void {
  for (let s = 0; s < S; s++) {
    const o = s * A;
    let m = -Infinity;
    for (let a = 0; a < A; a++) m = Math.max(m, q[o + a]!);
    let z = 0;
    for (let a = 0; a < A; a++) {
      const e = Math.exp(alpha * (q[o + a]! - m)); // subtract the max so exp cannot overflow
      out[outOffset + o + a] = e;
      z += e;
    }
    for (let a = 0; a < A; a++) out[outOffset + o + a]! /= z;
    if (v) v[s] = m + Math.log(z) / alpha;
  }
}

/**
 * Soft value iteration. `reward` is per state [S] (r(s), the seed's state reward) or per state-action [S, A].
 * Pass `work` (from a previous call on the same MDP) to reuse buffers across calls.
 */
export function softValueIteration(mdp: TabularMdp, reward: ArrayLike<number>, config: SoftVIConfig, work?: SoftVIResult): SoftVIResult {
  checkSoftVIConfig(config);
  const S = mdp.numStates;
  const A = mdp.numActions;
  const K = mdp.width;
  const perAction = reward.length === S * A;
  if (!perAction && reward.length !== S) throw new ShapeError(`softValueIteration: reward must have S = ${S} or S·A = ${S * A} entries, got ${reward.length}`);
  const { horizon: H, temperature: alpha, discount: gamma } = config;
  const q = work?.q.length === S * A ? work.q.fill(0) : new Float64Array(S * A); // Q₀ = 0
  const v = work?.v.length === S ? work.v : new Float64Array(S);
  const policy = work?.policy.length === S * A ? work.policy : new Float64Array(S * A);
  const policies = config.timeDependent ? new Float64Array(H * S * A) : undefined;
  const { next, prob } = mdp;
  for (let k = 1; k <= H; k++) {
    // V_{k−1}(s) = (1/α) logsumexp_a(α Q_{k−1}(s, a))
    for (let s = 0; s < S; s++) {
      const o = s * A;
      let m = -Infinity;
      for (let a = 0; a < A; a++) m = Math.max(m, q[o + a]!);
      let z = 0;
      for (let a = 0; a < A; a++) z += Math.exp(alpha * (q[o + a]! - m));
      v[s] = m + Math.log(z) / alpha;
    }
    // Q_k(s, a) = r + γ Σ_{s'} P(s'|s, a) V_{k−1}(s')
    for (let s = 0; s < S; s++) {
      for (let a = 0; a < A; a++) {
        const i = s * A + a;
        let ev = 0;
        for (let j = 0; j < K; j++) ev += prob[i * K + j]! * v[next[i * K + j]!]!;
        q[i] = (perAction ? reward[i]! : reward[s]!) + gamma * ev;
      }
    }
    // πₜ with t = H − k acts when k backups remain
    if (policies) softmaxRows(q, S, A, alpha, policies, (H - k) * S * A);
  }
  softmaxRows(q, S, A, alpha, policy, 0, v);
  return { q, v, policy, ...(policies ? { policies } : {}) };
}

/**
 * Hard (α → ∞) finite-horizon value iteration of the expected return Σ_{t=1..H} r(s_t) of the states reached after each
 * step: W_0 = 0, W_k(s) = maxₐ Σ_{s'} P(s'|s,a) (r(s') + γ W_{k−1}(s')). Returns W_H [S]: the best achievable return
 * from each start state (used to show the optimum beside the learning curves).
 */
export function optimalReturn(mdp: TabularMdp, reward: ArrayLike<number>, horizon: number, discount = 1): Float64Array {
  const S = mdp.numStates;
  const A = mdp.numActions;
  const K = mdp.width;
  let w = new Float64Array(S);
  let w2 = new Float64Array(S);
  for (let k = 1; k <= horizon; k++) {
    for (let s = 0; s < S; s++) {
      let best = -Infinity;
      for (let a = 0; a < A; a++) {
        const i = s * A + a;
        let e = 0;
        for (let j = 0; j < K; j++) {
          const s2 = mdp.next[i * K + j]!;
          e += mdp.prob[i * K + j]! * (reward[s2]! + discount * w[s2]!);
        }
        if (e > best) best = e;
      }
      w2[s] = best;
    }
    [w, w2] = [w2, w];
  }
  return w;
}

/** Cumulative rows of a policy [S, A] (for fast categorical sampling with one uniform); the last entry is exactly 1. */
export function cumulativePolicy(policy: Float64Array, S: number, A: number, out: Float64Array = new Float64Array(S * A)): Float64Array {
  for (let s = 0; s < S; s++) {
    let c = 0;
    for (let a = 0; a < A; a++) {
      c += policy[s * A + a]!;
      out[s * A + a] = c;
    }
    out[s * A + A - 1] = 1;
  }
  return out;
}
