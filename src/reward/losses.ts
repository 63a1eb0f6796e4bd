/**
 * Preference losses on predicted returns. Pure functions of tensors; call them inside tf.tidy / a gradient closure.
 */
import { tf } from '../core/tensor.js';

/**
 * Bradley–Terry cross-entropy with soft targets (ties are μ = ½):
 *   P(σˡ ≻ σʳ) = sigmoid(Rˡ − Rʳ);  loss = −mean[ μ log P + (1−μ) log(1−P) ]
 * computed stably as  mean[ max(d,0) − μ d + log(1 + exp(−|d|)) ],  d = Rˡ − Rʳ.
 * @param left  [N] predicted returns of the left segments
 * @param right [N] predicted returns of the right segments
 * @param mu    [N] targets P(left ≻ right) ∈ [0, 1]
 * @param weights optional [N] per-pair weights (e.g. bootstrap counts); the mean is weighted
 */
export function bradleyTerryLoss(left: tf.Tensor1D, right: tf.Tensor1D, mu: tf.Tensor1D, weights?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const d = tf.sub(left, right); // [N]
    const perPair = tf.add(tf.sub(tf.relu(d), tf.mul(mu, d)), tf.log1p(tf.exp(tf.neg(tf.abs(d))))); // [N]
    if (!weights) return tf.mean(perPair) as tf.Scalar;
    return tf.div(tf.sum(tf.mul(perPair, weights)), tf.maximum(tf.sum(weights), 1e-12)) as tf.Scalar;
  });
}

/** P(left ≻ right) = sigmoid(Rˡ − Rʳ), for plain numbers. */
export function bradleyTerryProbability(left: number, right: number): number {
  const d = left - right;
  return d >= 0 ? 1 / (1 + Math.exp(-d)) : Math.exp(d) / (1 + Math.exp(d));
}

/**
 * Plackett–Luce negative log-likelihood of rankings (best first):
 *   P(order) = Πᵢ exp(Rᵢ) / Σ_{j≥i} exp(Rⱼ);  loss = −mean over rankings of Σᵢ [Rᵢ − log Σ_{j≥i} exp(Rⱼ)]
 * The last position contributes 0 (its choice is forced). Rankings shorter than K are padded and masked.
 * @param scores [N, K] predicted returns in ranked order (best first)
 * @param mask   [N, K] 1 for real entries, 0 for padding (padding must come after the real entries)
 */
export function plackettLuceLoss(scores: tf.Tensor2D, mask?: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const m = mask ?? tf.onesLike(scores);
    // subtract the row max so exp() cannot overflow: log Σ exp(R) = max + log Σ exp(R − max)
    // the max over the real entries only: padding is pushed far below (a 0 from padding would be no bound at all for
    // very negative scores, and exp would underflow to 0 → log 0)
    const rowMax = tf.max(tf.add(tf.mul(scores, m), tf.mul(tf.sub(1, m), -1e30)), 1, true); // [N, 1]
    const shifted = tf.mul(tf.sub(scores, rowMax), m); // [N, K]  (the max cancels in each term, so its gradient is 0; padding → 0 so exp cannot overflow)
    const e = tf.mul(tf.exp(shifted), m); // [N, K], padding → 0
    const tailSums = tf.cumsum(e, 1, false, true); // [N, K]  Σ_{j≥i} exp(R_j − max)
    const logTail = tf.log(tf.add(tailSums, tf.sub(1, m))); // padding → log 1 = 0
    const terms = tf.mul(tf.sub(shifted, logTail), m); // [N, K]
    return tf.neg(tf.mean(tf.sum(terms, 1))) as tf.Scalar;
  });
}
