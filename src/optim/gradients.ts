/**
 * Gradients of tfjs variables, clipped and applied — written once for every tensor trainer (PPO, DPO, the text
 * reward model, GPT pretraining):
 *
 *   ‖g‖ = sqrt(Σ_v ‖g_v‖²);   g ← g · min(1, c / (‖g‖ + 10⁻⁶))        (torch.nn.utils.clip_grad_norm_)
 *
 * then `optimizer.applyGradients(g)`. The caller keeps ownership of the gradients it passes (dispose them after).
 */
import { tf } from '../core/tensor.js';
import { ConfigError } from '../core/errors.js';
import type { GradientApplier } from './tensorAdam.js';

/** ‖g‖ = sqrt(Σ_v ‖g_v‖²) over every gradient tensor. */
export function globalNorm(grads: tf.NamedTensorMap): number {
  const list = Object.values(grads);
  if (list.length === 0) return 0;
  return tf.tidy(() => Math.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g)))).dataSync()[0]!));
}

/**
 * Clips by global norm: g ← g · min(1, maxNorm / (‖g‖ + 10⁻⁶)). Returns the norm before clipping and the gradients
 * to apply: new tensors when they were scaled (`owned` true: the caller disposes them), else the input map itself.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): { grads: tf.NamedTensorMap; norm: number; owned: boolean } {
  if (!(maxNorm > 0)) throw new ConfigError('maxGradNorm', `max gradient norm must be > 0 (Infinity or null = no clipping), got ${maxNorm}`);
  const norm = globalNorm(grads);
  const scale = Number.isFinite(maxNorm) ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
  if (scale === 1) return { grads, norm, owned: false };
  const out: tf.NamedTensorMap = {};
  for (const [name, g] of Object.entries(grads)) out[name] = tf.mul(g, scale);
  return { grads: out, norm, owned: true };
}

/**
 * The one clip-and-apply: clips `grads` by global norm and applies them. Returns the norm before clipping; maxNorm
 * null applies them as they are without measuring (NaN; one sync point less), ∞ measures without clipping. Leaves
 * no tensors behind besides the caller's `grads`.
 */
export function clipAndApply(optimizer: GradientApplier, grads: tf.NamedTensorMap, maxNorm: number | null): number {
  if (maxNorm === null) {
    optimizer.applyGradients(grads);
    return Number.NaN;
  }
  if (!(maxNorm > 0)) throw new ConfigError('maxGradNorm', `max gradient norm must be > 0 (Infinity or null = no clipping), got ${maxNorm}`);
  if (optimizer.applyScaledGradients) {
    // the optimizer scales on the way in: no scaled copies of the gradients on the tensor heap
    const norm = globalNorm(grads);
    const scale = Number.isFinite(maxNorm) ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
    if (scale === 1) optimizer.applyGradients(grads);
    else optimizer.applyScaledGradients(grads, scale);
    return norm;
  }
  const clipped = clipByGlobalNorm(grads, maxNorm);
  try {
    optimizer.applyGradients(clipped.grads);
  } finally {
    if (clipped.owned) disposeGrads(clipped.grads);
  }
  return clipped.norm;
}

/** Disposes every tensor of a gradient map. */
export function disposeGrads(grads: tf.NamedTensorMap): void {
  for (const g of Object.values(grads)) g.dispose();
}

/**
 * One optimizer step on `loss()`: gradients with respect to `variables` (default: every trainable variable), then
 * clipAndApply (maxGradNorm null or absent: no clipping). Leaves no tensors behind. Returns the loss and the
 * gradient norm before clipping.
 */
export function gradientStep(loss: () => tf.Scalar, optimizer: GradientApplier, opts: { variables?: tf.Variable[]; maxGradNorm?: number | null } = {}): { loss: number; gradNorm: number } {
  const { value, grads } = tf.variableGrads(loss, opts.variables);
  try {
    const lossValue = value.dataSync()[0]!;
    return { loss: lossValue, gradNorm: clipAndApply(optimizer, grads, opts.maxGradNorm ?? Infinity) };
  } finally {
    value.dispose();
    disposeGrads(grads);
  }
}
