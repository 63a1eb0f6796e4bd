/**
 * Preference losses on predicted returns, written once, each in a tensor form (tfjs, for models trained by autodiff)
 * and a typed-array form (for the small models of line, adder and the gridworld, whose gradients are written out).
 *
 * Bradley–Terry (comparisons; ties are μ = ½):
 *   P(σ¹ ≻ σ²) = σ(R¹ − R²);   loss = −Σ [μ log P + (1−μ) log(1−P)]
 * per pair, with d = R¹ − R²:  ℓ(d, μ) = softplus(d) − μ d = max(d, 0) − μ d + log(1 + e^−|d|),   ∂ℓ/∂d = σ(d) − μ
 *
 * Plackett–Luce (rankings, best first):
 *   P(order) = Πᵢ exp(Rᵢ) / Σ_{j≥i} exp(Rⱼ);   loss = −Σᵢ [Rᵢ − log Σ_{j≥i} exp(Rⱼ)]
 *
 * This module loads no tfjs: the tensor forms use the methods of the tensors they are given (tfjs puts them there
 * when the caller loads it), so tfjs-free code — the typed-array domains, the browser — can import the typed-array
 * forms. Call the tensor forms inside tf.tidy or a gradient closure: they make intermediate tensors.
 */
import type { tf } from '../core/tensor.js';
import { ShapeError } from '../core/errors.js';
import { sigmoid } from '../core/math.js';

/**
 * Bradley–Terry cross-entropy with soft targets, tensor form: loss = mean[ℓ(d, μ)] (weighted: Σ wᵢ ℓᵢ / Σ w).
 * @param left  [N] predicted returns of the left segments
 * @param right [N] predicted returns of the right segments
 * @param mu    [N] targets P(left ≻ right) ∈ [0, 1]
 * @param weights optional [N] per-pair weights (e.g. bootstrap counts)
 */
export function bradleyTerryLoss(left: tf.Tensor1D, right: tf.Tensor1D, mu: tf.Tensor1D, weights?: tf.Tensor1D): tf.Scalar {
  const d = left.sub(right); // [N]
  const perPair = d.relu().sub(mu.mul(d)).add(d.abs().neg().exp().log1p()); // [N]  max(d,0) − μd + log(1 + e^−|d|)
  if (!weights) return perPair.mean<tf.Scalar>();
  return perPair.mul(weights).sum().div(weights.sum().maximum(1e-12)) as tf.Scalar;
}

/** ℓ(d, μ) = max(d, 0) − μ d + log(1 + e^−|d|): the Bradley–Terry loss of one pair whose returns differ by d. */
export function bradleyTerryTerm(d: number, mu: number): number {
  return Math.max(d, 0) - mu * d + Math.log1p(Math.exp(-Math.abs(d)));
}

/** ∂ℓ/∂d = σ(d) − μ. */
export function bradleyTerryGrad(d: number, mu: number): number {
  return sigmoid(d) - mu;
}

/**
 * Bradley–Terry cross-entropy, typed-array form: loss = Σᵢ wᵢ ℓ(dᵢ, μᵢ) / Σᵢ wᵢ (w = 1 without weights), and, when
 * `gradOut` is given, gradOut[i] = ∂loss/∂dᵢ = wᵢ (σ(dᵢ) − μᵢ) / Σw. Pairs of weight 0 contribute nothing (their d
 * is not read). With no pairs or Σw = 0 the loss and the gradient are 0.
 * @param d  [N] return differences R(left) − R(right)
 * @param mu [N] targets P(left ≻ right)
 */
export function bradleyTerryArrays(d: ArrayLike<number>, mu: ArrayLike<number>, weights?: ArrayLike<number>, gradOut?: Float64Array): number {
  const n = mu.length;
  if (d.length !== n || (weights && weights.length !== n) || (gradOut && gradOut.length !== n))
    throw new ShapeError(`bradleyTerryArrays: ${d.length} differences, ${n} targets${weights ? `, ${weights.length} weights` : ''}${gradOut ? `, ${gradOut.length} gradient slots` : ''}`);
  gradOut?.fill(0);
  let W = n;
  if (weights) {
    W = 0;
    for (let i = 0; i < n; i++) W += weights[i]!;
  }
  if (n === 0 || !(W > 0)) return 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i]! : 1;
    if (w === 0) continue;
    const di = d[i]!;
    loss += (w * bradleyTerryTerm(di, mu[i]!)) / W;
    if (gradOut) gradOut[i] = (w * bradleyTerryGrad(di, mu[i]!)) / W;
  }
  return loss;
}

/** P(left ≻ right) = σ(Rˡ − Rʳ), for plain numbers. */
export function bradleyTerryProbability(left: number, right: number): number {
  return sigmoid(left - right);
}

/**
 * Plackett–Luce negative log-likelihood of rankings (best first), tensor form: −mean over rankings of
 * Σᵢ [Rᵢ − log Σ_{j≥i} exp(Rⱼ)]. The last position contributes 0 (its choice is forced).
 * Each suffix's log-sum-exp subtracts that suffix's own maximum, so scores may span any range (subtracting only the
 * row's maximum underflows e^(Rⱼ − max) to 0 once a suffix lies ~104 below it: log 0 = −∞ loss, NaN gradients).
 * Rankings shorter than K are padded and masked. Memory is N·K² (rankings are short).
 * @param scores [N, K] predicted returns in ranked order (best first)
 * @param mask   [N, K] 1 for real entries, 0 for padding (padding must come after the real entries)
 */
export function plackettLuceLoss(scores: tf.Tensor2D, mask?: tf.Tensor2D): tf.Scalar {
  const m = mask ?? scores.onesLike(); // [N, K]
  const pos = m.onesLike().cumsum(1); // [N, K]  1, 2, …, K
  // suffix[n, i, j] = 1 when j ≥ i and entry j is real
  const suffix = pos.expandDims(1).greaterEqual(pos.expandDims(2)).toFloat().mul(m.expandDims(1)); // [N, K, K]
  const x = scores.expandDims(1).mul(suffix).add(suffix.sub(1).mul(1e30)); // [N, K, K]  Rⱼ on the suffix, −10³⁰ elsewhere
  const logTail = x.logSumExp(2); // [N, K]  log Σ_{j≥i} exp(Rⱼ) = maxᵢ + log Σ exp(Rⱼ − maxᵢ)
  return scores.sub(logTail).mul(m).sum(1).mean().neg() as tf.Scalar; // padding rows: × 0
}
