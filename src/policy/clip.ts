/**
 * Gradient utilities shared by the optimizers: clipping by global norm (as torch.nn.utils.clip_grad_norm_ and
 * tf.clip_by_global_norm), computing gradients for an explicit variable list, and accumulating gradients over
 * several backward passes (one per episode) before one optimizer step.
 */
import { tf } from '../core/tensor.js';
import { ConfigError } from '../core/errors.js';

/** ‖g‖ = sqrt(Σ_i ‖g_i‖²) over every gradient tensor. */
export function globalNorm(grads: tf.NamedTensorMap): number {
  const list = Object.values(grads);
  if (list.length === 0) return 0;
  return tf.tidy(() => {
    const sq = list.map((g) => tf.sum(tf.square(g)));
    return Math.sqrt(tf.addN(sq).dataSync()[0]!);
  });
}

/**
 * Clips gradients by their global norm: g ← g · min(1, maxNorm / (‖g‖ + 1e-6)).
 * Returns new tensors (the caller disposes both the input and the output maps) and the norm before clipping.
 * maxNorm = Infinity returns copies unchanged.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): { grads: tf.NamedTensorMap; norm: number } {
  if (!(maxNorm > 0)) throw new ConfigError('maxGradNorm', `max gradient norm must be > 0 (Infinity = no clipping), got ${maxNorm}`);
  const norm = globalNorm(grads);
  const scale = Number.isFinite(maxNorm) ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
  const out: tf.NamedTensorMap = {};
  for (const [name, g] of Object.entries(grads)) out[name] = tf.tidy(() => (scale === 1 ? tf.clone(g) : tf.mul(g, scale)));
  return { grads: out, norm };
}

/** Disposes every tensor of a gradient map. */
export function disposeGrads(grads: tf.NamedTensorMap): void {
  for (const g of Object.values(grads)) g.dispose();
}

/**
 * One optimizer step on `loss()`: gradients with respect to `variables` (default: every trainable variable),
 * optional clipping by global norm, then `optimizer.applyGradients`. Set `apply` false to compute the loss and
 * norm without changing the variables. Leaves no tensors behind.
 */
export function gradientStep(
  loss: () => tf.Scalar,
  optimizer: tf.Optimizer,
  opts: { variables?: tf.Variable[]; maxGradNorm?: number | null; apply?: boolean } = {},
): { loss: number; gradNorm: number } {
  const { value, grads } = tf.variableGrads(loss, opts.variables);
  try {
    const lossValue = value.dataSync()[0]!;
    let gradNorm: number;
    if (opts.maxGradNorm != null && Number.isFinite(opts.maxGradNorm)) {
      const clipped = clipByGlobalNorm(grads, opts.maxGradNorm);
      gradNorm = clipped.norm;
      if (opts.apply !== false) optimizer.applyGradients(clipped.grads);
      disposeGrads(clipped.grads);
    } else {
      gradNorm = globalNorm(grads);
      if (opts.apply !== false) optimizer.applyGradients(grads);
    }
    return { loss: lossValue, gradNorm };
  } finally {
    value.dispose();
    disposeGrads(grads);
  }
}

/**
 * Sums gradients over several backward passes (e.g. one per episode) and applies their mean in one step.
 * Call `add(loss)` per pass, then `apply(optimizer)`; the accumulator is empty again afterwards.
 */
export class GradientAccumulator {
  private sums: tf.NamedTensorMap = {};
  private count = 0;
  constructor(private readonly variables?: tf.Variable[]) {}

  /** Adds ∇loss to the running sum; returns the loss value. */
  add(loss: () => tf.Scalar): number {
    const { value, grads } = tf.variableGrads(loss, this.variables);
    const v = value.dataSync()[0]!;
    value.dispose();
    for (const [name, g] of Object.entries(grads)) {
      const prev = this.sums[name];
      if (prev) {
        this.sums[name] = tf.add(prev, g);
        prev.dispose();
        g.dispose();
      } else {
        this.sums[name] = g;
      }
    }
    this.count++;
    return v;
  }

  /** Number of passes accumulated since the last apply. */
  get size(): number {
    return this.count;
  }

  /** Applies the mean gradient (clipped by global norm when maxGradNorm is set); returns its norm before clipping. */
  apply(optimizer: tf.Optimizer, maxGradNorm: number | null = null): number {
    if (this.count === 0) return 0;
    const mean: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(this.sums)) mean[name] = tf.tidy(() => tf.div(g, this.count));
    disposeGrads(this.sums);
    this.sums = {};
    this.count = 0;
    let norm: number;
    if (maxGradNorm != null && Number.isFinite(maxGradNorm)) {
      const clipped = clipByGlobalNorm(mean, maxGradNorm);
      norm = clipped.norm;
      optimizer.applyGradients(clipped.grads);
      disposeGrads(clipped.grads);
    } else {
      norm = globalNorm(mean);
      optimizer.applyGradients(mean);
    }
    disposeGrads(mean);
    return norm;
  }

  /** Drops the accumulated gradients without applying them. */
  reset(): void {
    disposeGrads(this.sums);
    this.sums = {};
    this.count = 0;
  }
}
