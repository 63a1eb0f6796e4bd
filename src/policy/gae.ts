/**
 * Generalized Advantage Estimation (Schulman et al. 2016, "High-Dimensional Continuous Control Using GAE"),
 * written as its backward recursion on plain typed arrays: per-sample sequences are short (a few dozen tokens or
 * steps), and tensor dispatch would cost more than the arithmetic.
 *
 *   delta[t] = r[t] + γ · V[t+1] · (1 − done[t]) − V[t]
 *   A[t]     = delta[t] + γ λ (1 − done[t]) · A[t+1]
 *   R̂[t]     = A[t] + V[t]                                   (the value target, "returns")
 *
 * Masked positions (mask 0: padding) are skipped: they get A = R̂ = 0 and the recursion passes over them, so a
 * real step's V[t+1] is the value of the next real step. For right-padded sequences (the usual case: responses)
 * this is exactly TRL's `compute_advantages` (values and rewards zeroed under the mask, V after the end = 0).
 */
import { ShapeError } from '../core/errors.js';

export interface GaeOptions {
  /** γ ∈ [0, 1], discount */
  gamma: number;
  /** λ ∈ [0, 1], bias–variance trade-off: 0 = one-step TD, 1 = Monte-Carlo return minus V */
  lambda: number;
  /** [B·T] 1 for real steps, 0 for padding; default all real */
  mask?: ArrayLike<number>;
  /** [B·T] 1 when the episode ends at step t (no bootstrap from t+1); default none */
  dones?: ArrayLike<number>;
  /** [B] V(s_T), the bootstrap value after the last step of each row (0 for finished episodes); default 0 */
  lastValues?: ArrayLike<number>;
}

export interface GaeResult {
  /** [B·T] A[t] */
  advantages: Float32Array;
  /** [B·T] R̂[t] = A[t] + V[t] */
  returns: Float32Array;
}

/**
 * GAE over a batch of B rows of T steps, row-major [B, T] in flat arrays.
 * @param rewards [B·T] r[t]
 * @param values  [B·T] V[t] = V(s_t), the value of the state in which step t's action was taken
 */
export function gae(rewards: ArrayLike<number>, values: ArrayLike<number>, B: number, T: number, opts: GaeOptions): GaeResult {
  const n = B * T;
  if (rewards.length !== n) throw new ShapeError(`gae: rewards has ${rewards.length} entries, expected B·T = ${B}·${T} = ${n}`);
  if (values.length !== n) throw new ShapeError(`gae: values has ${values.length} entries, expected B·T = ${n}`);
  if (opts.mask && opts.mask.length !== n) throw new ShapeError(`gae: mask has ${opts.mask.length} entries, expected ${n}`);
  if (opts.dones && opts.dones.length !== n) throw new ShapeError(`gae: dones has ${opts.dones.length} entries, expected ${n}`);
  if (opts.lastValues && opts.lastValues.length !== B) throw new ShapeError(`gae: lastValues has ${opts.lastValues.length} entries, expected B = ${B}`);
  const { gamma, lambda, mask, dones, lastValues } = opts;
  const advantages = new Float32Array(n);
  const returns = new Float32Array(n);
  for (let b = 0; b < B; b++) {
    let nextValue = lastValues ? lastValues[b]! : 0; // V[t+1] of the next real step
    let lastGaeLam = 0; // A[t+1]
    for (let t = T - 1; t >= 0; t--) {
      const i = b * T + t;
      if (mask && mask[i] === 0) continue; // padding: A = R̂ = 0, recursion passes over it
      const notDone = dones ? 1 - dones[i]! : 1;
      const delta = rewards[i]! + gamma * nextValue * notDone - values[i]!; // δ = r + γ V' (1 − done) − V
      lastGaeLam = delta + gamma * lambda * notDone * lastGaeLam; // A = δ + γλ (1 − done) A'
      advantages[i] = lastGaeLam;
      returns[i] = lastGaeLam + values[i]!; // R̂ = A + V
      nextValue = values[i]!;
    }
  }
  return { advantages, returns };
}

/** Discounted returns-to-go G[t] = r[t] + γ G[t+1] over [B, T] rows (masked steps get 0 and are passed over). */
export function discountedReturns(rewards: ArrayLike<number>, B: number, T: number, gamma: number, mask?: ArrayLike<number>): Float32Array {
  if (rewards.length !== B * T) throw new ShapeError(`discountedReturns: rewards has ${rewards.length} entries, expected ${B * T}`);
  const out = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    let g = 0;
    for (let t = T - 1; t >= 0; t--) {
      const i = b * T + t;
      if (mask && mask[i] === 0) continue;
      g = rewards[i]! + gamma * g; // G = r + γ G'
      out[i] = g;
    }
  }
  return out;
}
