/**
 * Conditional VAE (Kingma & Welling 2014; Sohn et al. 2015) for 28×28 images and 10 classes:
 *   encoder  q(z|x,y):  [x, onehot(y)] (784+10) → 400 relu → (μ, log σ²) (16 + 16)
 *   decoder  p(x|z,y):  [z, onehot(y)] (16+10)  → 400 relu → 784 Bernoulli logits
 * Loss per image (negative ELBO): −log p(x|z,y) + KL(q(z|x,y) ‖ N(0, I)), with
 *   −log p(x|z,y) = Σ_pixels softplus(l) − x·l      (binary cross-entropy with logits, x ∈ [0,1])
 *   KL = −½ Σ_j (1 + log σ²_j − μ²_j − σ²_j)
 * The [x, onehot(y)] and [z, onehot(y)] concatenations are computed as sums of block products (x W_x + y W_y + b):
 * the same layer, without tfjs-wasm's slow axis-1 Concat.
 */
import { tf } from '../../core/tensor.js';
import { Rng } from '../../core/rng.js';
import { ConfigError } from '../../core/errors.js';
import { type Params, dense, denseBlockParams, denseBlocks, denseParams } from './nn.js';
import { NUM_CLASSES } from './data.js';

export interface VaeShape {
  /** pixels per image (784 for 28×28) */
  inputDim: number;
  /** hidden units of encoder and decoder (400) */
  hidden: number;
  /** latent size z (16) */
  zDim: number;
}

export const DEFAULT_VAE_SHAPE: VaeShape = { inputDim: 784, hidden: 400, zDim: 16 };

export class CondVae {
  readonly shape: VaeShape;
  readonly params: Params = {};

  constructor(shape: VaeShape, rng: Rng) {
    for (const k of ['inputDim', 'hidden', 'zDim'] as const)
      if (!(Number.isInteger(shape[k]) && shape[k] > 0)) throw new ConfigError(`vae.${k}`, `vae.${k} must be a positive integer, got ${shape[k]}`);
    this.shape = shape;
    const { inputDim, hidden, zDim } = shape;
    denseBlockParams(this.params, 'enc1', { x: inputDim, y: NUM_CLASSES }, hidden, rng);
    denseParams(this.params, 'enc_mu', hidden, zDim, rng);
    denseParams(this.params, 'enc_logvar', hidden, zDim, rng);
    denseBlockParams(this.params, 'dec1', { z: zDim, y: NUM_CLASSES }, hidden, rng);
    denseParams(this.params, 'dec_out', hidden, inputDim, rng);
  }

  get variables(): tf.Variable[] {
    return Object.values(this.params);
  }

  /** q(z|x,y): returns μ and log σ², each [B, zDim]. */
  encode(x: tf.Tensor2D, y: tf.Tensor2D): { mu: tf.Tensor2D; logvar: tf.Tensor2D } {
    const h = denseBlocks(this.params, 'enc1', { x, y }, 'relu'); // [B, hidden]
    return { mu: dense(this.params, 'enc_mu', h), logvar: dense(this.params, 'enc_logvar', h) }; // [B, zDim] each
  }

  /** p(x|z,y): Bernoulli logits [B, inputDim]. */
  decodeLogits(z: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
    const h = denseBlocks(this.params, 'dec1', { z, y }, 'relu'); // [B, hidden]
    return dense(this.params, 'dec_out', h); // [B, inputDim]
  }

  /** Mean image σ(logits) in [0, 1], [B, inputDim]. */
  decode(z: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.sigmoid(this.decodeLogits(z, y)));
  }

  /**
   * Negative ELBO averaged over the batch (a scalar), with z = μ + σ ⊙ ε and ε given (from our Rng, [B, zDim]).
   * Returns the parts too, for logging.
   *
   * `exact: false` skips computing the reconstruction term's value (its gradient is unchanged): in tfjs-wasm the
   * softplus/log kernels are scalar and ~20× slower than sigmoid, and a training step that does not read the loss
   * only needs ∂/∂l = σ(l) − x. The returned `loss` and `recon` are then NaN.
   */
  loss(x: tf.Tensor2D, y: tf.Tensor2D, eps: tf.Tensor2D, opts: { exact?: boolean } = {}): { loss: tf.Scalar; recon: tf.Scalar; kl: tf.Scalar } {
    const b = x.shape[0];
    const { mu, logvar } = this.encode(x, y); // [B, zDim]
    const z = mu.add(eps.mul(tf.exp(logvar.mul(0.5)))) as tf.Tensor2D; // z = μ + σ ε, [B, zDim]
    const logits = this.decodeLogits(z, y); // [B, inputDim]
    const recon = bernoulliNll(logits, x, opts.exact ?? true).div(b) as tf.Scalar; // Σ softplus(l) − x l
    const kl = tf.sum(tf.exp(logvar).add(mu.square()).sub(logvar).sub(1)).mul(0.5).div(b) as tf.Scalar; // ½ Σ (σ² + μ² − log σ² − 1)
    return { loss: recon.add(kl) as tf.Scalar, recon, kl };
  }
}

/**
 * −log p(x|l) = Σ softplus(l) − x·l for Bernoulli logits l [B, D] and targets x ∈ [0, 1], with the gradient written
 * out: ∂/∂l = σ(l) − x (one sigmoid and one subtraction instead of autograd's chain through softplus, mul and sub).
 * With `exact` false the value is not computed (NaN); the gradient is the same.
 */
export function bernoulliNll(logits: tf.Tensor2D, x: tf.Tensor2D, exact = true): tf.Scalar {
  const f = tf.customGrad(((l: tf.Tensor, save: tf.GradSaveFunc) => {
    save([l]);
    const value = exact ? tf.sum(tf.softplus(l).sub(l.mul(x))) : tf.scalar(Number.NaN);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.sigmoid(saved[0]!).sub(x).mul(dy) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(logits) as tf.Scalar;
}

/** Standard normal ε [rows, cols] drawn from our Rng (so training is reproducible for a seed). */
export function normalTensor(rng: Rng, rows: number, cols: number): tf.Tensor2D {
  return tf.tensor2d(rng.normalArray(rows * cols), [rows, cols]);
}
