/**
 * MLP image classifier: x (784) → hidden relu → 10 logits. The domain's classifier uses hidden 128;
 * the simulated judge is the same architecture, wider (256) and trained on the full training set.
 */
import { tf } from '../../core/tensor.js';
import type { Rng } from '../../core/rng.js';
import { ConfigError } from '../../core/errors.js';
import { type Params, dense, denseParams } from './nn.js';
import { NUM_CLASSES, type Dataset } from './data.js';

export class Classifier {
  readonly inputDim: number;
  readonly hidden: number;
  readonly params: Params = {};

  constructor(inputDim: number, hidden: number, rng: Rng) {
    if (!(Number.isInteger(hidden) && hidden > 0)) throw new ConfigError('hidden', `classifier hidden size must be a positive integer, got ${hidden}`);
    this.inputDim = inputDim;
    this.hidden = hidden;
    denseParams(this.params, 'fc1', inputDim, hidden, rng);
    denseParams(this.params, 'fc2', hidden, NUM_CLASSES, rng);
  }

  get variables(): tf.Variable[] {
    return Object.values(this.params);
  }

  /** Logits [B, 10]. */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    return dense(this.params, 'fc2', dense(this.params, 'fc1', x, 'relu'));
  }

  /**
   * Mean cross-entropy −(1/B) Σᵢ wᵢ log softmax(f(xᵢ))[yᵢ] against one-hot targets [B, 10]
   * (optional per-example weights w [B]).
   */
  crossEntropy(x: tf.Tensor2D, targets: tf.Tensor2D, weights?: tf.Tensor1D): tf.Scalar {
    const logp = tf.logSoftmax(this.logits(x)); // [B, 10]
    const nll = tf.neg(tf.sum(logp.mul(targets), 1)); // [B]
    return (weights ? tf.mean(nll.mul(weights)) : tf.mean(nll)) as tf.Scalar;
  }

  /** Class probabilities for a set of images, in batches, as a plain array [n · 10]. */
  predictProbs(images: Float32Array, n: number, batch = 1000): Float32Array {
    const out = new Float32Array(n * NUM_CLASSES);
    for (let i = 0; i < n; i += batch) {
      const m = Math.min(batch, n - i);
      const p = tf.tidy(() => tf.softmax(this.logits(tf.tensor2d(images.subarray(i * this.inputDim, (i + m) * this.inputDim), [m, this.inputDim]))));
      out.set(p.dataSync() as Float32Array, i * NUM_CLASSES);
      p.dispose();
    }
    return out;
  }

  /** Argmax classes for a set of images. */
  predict(images: Float32Array, n: number): Uint8Array {
    const probs = this.predictProbs(images, n);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = argmax(probs, i * NUM_CLASSES, NUM_CLASSES);
    return out;
  }

  /** Fraction of a dataset classified correctly. */
  accuracy(ds: Dataset): number {
    const pred = this.predict(ds.images, ds.n);
    let ok = 0;
    for (let i = 0; i < ds.n; i++) if (pred[i] === ds.labels[i]) ok++;
    return ds.n ? ok / ds.n : 0;
  }
}

/** Index of the largest of a[offset .. offset+n). */
export function argmax(a: ArrayLike<number>, offset = 0, n = a.length - offset): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[offset + i]! > a[offset + best]!) best = i;
  return best;
}
