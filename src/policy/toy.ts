/**
 * A tiny autoregressive policy over a toy vocabulary, with a value head: the stand-in model for the optimizer
 * tests and a minimal example of the PolicyForward interface. Each step sees the previous token only:
 *   h_t = tanh(W₁ onehot(x_{t−1}) + b₁);  logits_t = W₂ h_t + b₂;  V_t = w_v · h_t + b_v
 * (position 0 sees a zero vector). Token log-probs are picked with a one-hot product, not `gather`, whose
 * gradient tfjs-wasm lacks.
 */
import { tf } from '../core/tensor.js';
import { Rng } from '../core/rng.js';
import type { PolicyForward, PolicyOutput } from './types.js';

export interface ToyPolicyOptions {
  vocab: number;
  hidden: number;
  seed: Rng;
  /** std of the output-layer init (small = near-uniform start) */
  outStd?: number;
  /** variable name prefix (tfjs variable names must be unique) */
  name?: string;
}

let counter = 0;

export class ToyPolicy {
  readonly vocab: number;
  readonly hidden: number;
  readonly w1: tf.Variable;
  readonly b1: tf.Variable;
  readonly w2: tf.Variable;
  readonly b2: tf.Variable;
  readonly wv: tf.Variable;
  readonly bv: tf.Variable;

  constructor(opts: ToyPolicyOptions, init?: ToyPolicy, trainable = true) {
    this.vocab = opts.vocab;
    this.hidden = opts.hidden;
    const V = opts.vocab;
    const H = opts.hidden;
    const rng = opts.seed;
    const p = `${opts.name ?? 'toy'}${counter++}/`;
    const mk = (name: string, shape: number[], std: number, from?: tf.Variable): tf.Variable =>
      tf.tidy(() => tf.variable(from ? from.clone() : tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1), std), shape), trainable, p + name)); // tidy frees the initial value
    this.w1 = mk('w1', [V, H], 1 / Math.sqrt(V), init?.w1);
    this.b1 = mk('b1', [H], 0, init?.b1);
    this.w2 = mk('w2', [H, V], opts.outStd ?? 0.1, init?.w2);
    this.b2 = mk('b2', [V], 0, init?.b2);
    this.wv = mk('wv', [H, 1], 0.1, init?.wv);
    this.bv = mk('bv', [1], 0, init?.bv);
  }

  /** A frozen copy (non-trainable variables with the same values): the reference policy π_ref. */
  frozenCopy(): ToyPolicy {
    return new ToyPolicy({ vocab: this.vocab, hidden: this.hidden, seed: new Rng(0), name: 'toyref' }, this, false);
  }

  get variables(): tf.Variable[] {
    return [this.w1, this.b1, this.w2, this.b2, this.wv, this.bv];
  }

  /** h for every position from the previous token: [B, T, H]. */
  private hiddenStates(ids: tf.Tensor2D): tf.Tensor3D {
    const [B, T] = ids.shape;
    const x = tf.oneHot(ids, this.vocab).toFloat(); // [B, T, V]
    const prev = tf.concat([tf.zeros([B, 1, this.vocab]), tf.slice(x, [0, 0, 0], [B, T - 1, this.vocab])], 1); // [B, T, V]
    const h = tf.tanh(tf.add(tf.matMul(tf.reshape(prev, [B * T, this.vocab]), this.w1), this.b1)); // [B·T, H]
    return tf.reshape(h, [B, T, this.hidden]);
  }

  /** PolicyForward: logprobs, values and entropy, all [B, T]. */
  readonly forward: PolicyForward = (ids, _mask) =>
    tf.tidy(() => {
      const [B, T] = ids.shape;
      const h = tf.reshape(this.hiddenStates(ids), [B * T, this.hidden]); // [B·T, H]
      const logits = tf.add(tf.matMul(h, this.w2), this.b2); // [B·T, V]
      const logp = tf.logSoftmax(logits); // [B·T, V]
      const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.reshape(ids, [B * T]), this.vocab).toFloat()), 1); // [B·T]
      const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)); // [B·T]
      const values = tf.add(tf.matMul(h, this.wv), this.bv); // [B·T, 1]
      const out: PolicyOutput = {
        logprobs: tf.reshape(picked, [B, T]) as tf.Tensor2D,
        values: tf.reshape(values, [B, T]) as tf.Tensor2D,
        entropy: tf.reshape(entropy, [B, T]) as tf.Tensor2D,
      };
      return out as unknown as tf.TensorContainerObject;
    }) as unknown as PolicyOutput;

  /** Next-token probability table P[prev, next] ([V·V], row-major), for sampling in plain JS. */
  probabilityTable(): Float32Array {
    return tf.tidy(() => {
      const h = tf.tanh(tf.add(tf.matMul(tf.eye(this.vocab), this.w1), this.b1)); // [V, H]
      return tf.softmax(tf.add(tf.matMul(h, this.w2), this.b2)).dataSync() as Float32Array; // [V, V]
    });
  }

  /** Samples `length` tokens after each query's last token. Returns [B·length] ids. */
  sample(queries: Int32Array, B: number, Tq: number, length: number, rng: Rng): Int32Array {
    const P = this.probabilityTable();
    const out = new Int32Array(B * length);
    for (let b = 0; b < B; b++) {
      let prev = queries[b * Tq + Tq - 1]!;
      for (let t = 0; t < length; t++) {
        prev = rng.categorical(P, prev * this.vocab, this.vocab);
        out[b * length + t] = prev;
      }
    }
    return out;
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}
