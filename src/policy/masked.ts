/**
 * Masked statistics, as TRL's `masked_mean` / `masked_var` / `masked_whiten`: padding (mask 0) takes no part.
 * Plain typed-array versions for rollout post-processing (advantages, rewards), and a tensor mean for losses.
 */
import { tf } from '../core/tensor.js';
import { ShapeError } from '../core/errors.js';

function checkSameLength(name: string, values: ArrayLike<number>, mask: ArrayLike<number> | undefined): void {
  if (mask && mask.length !== values.length) throw new ShapeError(`${name}: mask has ${mask.length} entries, values have ${values.length}`);
}

/** mean = Σ x·m / Σ m (0 when the mask is empty). */
export function maskedMean(values: ArrayLike<number>, mask?: ArrayLike<number>): number {
  checkSameLength('maskedMean', values, mask);
  let s = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const m = mask ? mask[i]! : 1;
    s += values[i]! * m;
    n += m;
  }
  return n > 0 ? s / n : 0;
}

/**
 * var = Σ m (x − mean)² / Σ m, times the Bessel correction Σm / (Σm − 1) when `unbiased` (TRL's default).
 * 0 when fewer than two entries are unmasked.
 */
export function maskedVar(values: ArrayLike<number>, mask?: ArrayLike<number>, unbiased = true): number {
  checkSameLength('maskedVar', values, mask);
  const mean = maskedMean(values, mask);
  let s = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const m = mask ? mask[i]! : 1;
    const d = values[i]! - mean;
    s += m * d * d;
    n += m;
  }
  if (n === 0) return 0;
  const v = s / n;
  if (!unbiased) return v;
  return n > 1 ? (v * n) / (n - 1) : 0;
}

/**
 * whiten(x) = (x − mean) / sqrt(var + 1e-8) over unmasked entries; with shiftMean false the mean is added back
 * (TRL whitens rewards that way: scale only). Masked entries become 0.
 */
export function maskedWhiten(values: ArrayLike<number>, mask?: ArrayLike<number>, shiftMean = true): Float32Array {
  const mean = maskedMean(values, mask);
  const invStd = 1 / Math.sqrt(maskedVar(values, mask) + 1e-8);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    if (mask && mask[i] === 0) continue;
    const w = (values[i]! - mean) * invStd; // (x − μ) / σ
    out[i] = shiftMean ? w : w + mean;
  }
  return out;
}

/** Tensor masked mean Σ x·m / max(Σ m, 1e-8): a scalar, differentiable in x. */
export function tfMaskedMean(x: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sum(tf.mul(x, mask)), tf.maximum(tf.sum(mask), 1e-8)) as tf.Scalar);
}
