/**
 * REINFORCE with a baseline (Williams 1992) for softmax policies, on plain arrays — the one implementation the
 * domains that learn by REINFORCE use (the line's policy MLP, the digits' latent policy):
 *
 *   ∇J = E[(G − b) ∇ log π(a|s)],   Gₜ = Σ_{t′≥t} γ^{t′−t} r_{t′},   b a baseline (less variance, no bias)
 *
 * For the logits z of π = softmax(z), ∇_z log π(a) = e_a − π. The loss minimised,
 *   L = −(1/T) Σₜ [Aₜ log π(aₜ|sₜ) + c_H H(π(·|sₜ))],   Aₜ = Gₜ − b,   H(π) = −Σ_a π_a log π_a,
 * has at one state s, visited n times with advantage sums c_a = Σ_{t: sₜ=s, aₜ=a} Aₜ, the gradient
 *   ∂L/∂z_a = −(c_a − π_a Σ_b c_b) / T + (c_H n / T) π_a (log π_a + H).
 * A domain folds its steps per state, calls softmaxReinforceGrad, and backpropagates ∂L/∂z through its own model
 * (the line: an MLP and Adam; the digits: a table of logits, plain gradient steps).
 */
import { ConfigError, ShapeError } from '../core/errors.js';

/** Gₜ = rₜ + γ Gₜ₊₁ (G_T = 0): the discounted return from each step of one episode, in double precision. */
export function returnsToGo(rewards: ArrayLike<number>, gamma: number, out: Float64Array = new Float64Array(rewards.length)): Float64Array {
  if (out.length !== rewards.length) throw new ShapeError(`returnsToGo: ${rewards.length} rewards but ${out.length} output slots`);
  let g = 0;
  for (let t = rewards.length - 1; t >= 0; t--) {
    g = rewards[t]! + gamma * g; // G = r + γ G′
    out[t] = g;
  }
  return out;
}

/**
 * Moving-average baselines, one per key (one key for a single baseline; one per class in the digits domain):
 *   b ← b + η (x − b)
 * The values live in the array the caller passes (its precision and its checkpoint).
 */
export class MovingBaseline {
  constructor(
    /** η ∈ (0, 1]: the weight of the newest value (η = 1 − decay) */
    readonly rate: number,
    /** b per key */
    readonly values: Float32Array | Float64Array = new Float64Array(1),
  ) {
    if (!(rate > 0 && rate <= 1)) throw new ConfigError('baselineRate', `baseline rate η must be in (0, 1], got ${rate}`);
  }

  get(key = 0): number {
    return this.at(key);
  }

  /** Folds in a new value x (e.g. a return); returns the baseline before the update. */
  update(x: number, key = 0): number {
    const b = this.at(key);
    this.values[key] = b + this.rate * (x - b); // b ← b + η (x − b)
    return b;
  }

  private at(key: number): number {
    const b = this.values[key];
    if (b === undefined) throw new ShapeError(`MovingBaseline: key ${key} out of range [0, ${this.values.length})`);
    return b;
  }
}

/**
 * ∂L/∂z at one state for a softmax policy over K actions (see the header), written into out[0..K):
 *   out_a = −(c_a − π_a Σ_b c_b) / T  [+ (c_H n / T) π_a (log π_a + H)]
 * @param c   [K] advantage sums of the actions taken at this state, c_a = Σ_{t: aₜ=a} Aₜ
 * @param pi  [K] π(·|s)
 * @param T   the normaliser of L (the episode's length; 1 for a single action)
 * @param entropy the bonus c_H and the state's visit count n; absent (or c_H = 0) for no entropy bonus
 */
export function softmaxReinforceGrad(c: ArrayLike<number>, pi: ArrayLike<number>, T: number, out: Float32Array | Float64Array, entropy?: { coef: number; visits: number }): void {
  const K = pi.length;
  if (c.length !== K || out.length < K) throw new ShapeError(`softmaxReinforceGrad: ${c.length} advantage sums and ${out.length} output slots for ${K} actions`);
  let csum = c[0]!;
  for (let a = 1; a < K; a++) csum += c[a]!; // Σ_b c_b
  let H = 0;
  for (let a = 0; a < K; a++) {
    const pa = pi[a]!;
    if (pa > 0) H -= pa * Math.log(pa);
  }
  const cH = entropy?.coef ?? 0;
  for (let a = 0; a < K; a++) {
    const pa = pi[a]!;
    let g = -(c[a]! - csum * pa) / T;
    if (cH > 0 && pa > 0) g += ((cH * entropy!.visits) / T) * pa * (Math.log(pa) + H);
    out[a] = g;
  }
}
