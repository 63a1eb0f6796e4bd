/**
 * Building blocks shared by the transformer models (GPT-2 today; Llama-family models reuse the embedding lookup,
 * the attention masks and the variable helper): each a small function with its equation, and where autograd would
 * be wasteful on wasm, its gradient written out.
 */
import { tf } from '../core/tensor.js';

/** additive attention bias for masked keys: exp(−1e9) underflows to 0 in float32 */
export const NEG = -1e9;

/** A tf.Variable holding `data` (the temporary tensor is released, so only the variable stays alive). */
export function variableFrom(data: Float32Array, shape: number[], trainable = true): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(data, shape, 'float32'), trainable));
}

type CustomFn = Parameters<typeof tf.customGrad>[0];

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/**
 * gelu_new with its derivative written out (autograd of the tanh formula runs ~18 elementwise passes backward):
 *   y = ½x(1 + t), t = tanh(u), u = c(x + a x³)
 *   dy/dx = ½(1 + t) + ½x(1 − t²)·c(1 + 3a x²)
 */
export function geluNew(x: tf.Tensor): tf.Tensor2D {
  const f = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    const x2 = tf.mul(xi, xi);
    const t = tf.tanh(tf.mul(tf.mul(xi, tf.add(tf.mul(x2, GELU_A), 1)), GELU_C)); // tanh(c(x + a x³))
    save([xi, t]);
    return {
      value: tf.mul(tf.mul(xi, tf.add(t, 1)), 0.5),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ts] = saved as [tf.Tensor, tf.Tensor];
        const sech2 = tf.sub(1, tf.mul(ts, ts)); // 1 − t²
        const dudx = tf.add(tf.mul(tf.mul(xs, xs), 3 * GELU_A * GELU_C), GELU_C); // c(1 + 3a x²)
        const d = tf.add(tf.add(ts, 1), tf.mul(tf.mul(xs, sech2), dudx)); // 2·dy/dx
        return [tf.mul(d, tf.mul(dy as tf.Tensor, 0.5))];
      },
    };
  }) as unknown as CustomFn);
  return f(x) as tf.Tensor2D;
}

/**
 * LayerNorm over the last axis, y = x̂γ + β with x̂ = (x − μ)·r, r = 1/√(σ² + ε); backward written out:
 *   dβ = Σ_rows dy;  dγ = Σ_rows dy·x̂;  dx = r·(g − mean(g) − x̂·mean(g·x̂)),  g = dy·γ
 * x [N, C], γ and β [C].
 */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor2D {
  const f = tf.customGrad(((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const mean = tf.mean(xi, -1, true); // [N, 1]
    const xc = tf.sub(xi, mean); // [N, C]
    const r = tf.rsqrt(tf.add(tf.mean(tf.mul(xc, xc), -1, true), eps)); // [N, 1] (biased variance, as torch)
    const xhat = tf.mul(xc, r); // [N, C]
    save([xhat, r, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xh, rs, gs] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const d = dy as tf.Tensor;
        const gx = tf.mul(d, gs); // [N, C]
        const dx = tf.mul(tf.sub(tf.sub(gx, tf.mean(gx, -1, true)), tf.mul(xh, tf.mean(tf.mul(gx, xh), -1, true))), rs);
        return [dx, tf.sum(tf.mul(d, xh), 0), tf.sum(d, 0)];
      },
    };
  }) as unknown as CustomFn);
  return f(x, gamma, beta) as tf.Tensor2D;
}

/**
 * rows = table[ids] with the gradient d table = unsortedSegmentSum(dy, ids, V), computed directly: tfjs's own gather
 * gradient adds an identity-permutation transpose that wasm executes as a full copy of the [V, C] gradient.
 * table [V, C], ids [N] int32 → [N, C]
 */
export function embeddingLookup(table: tf.Tensor2D | tf.Variable, ids: tf.Tensor1D): tf.Tensor2D {
  const V = table.shape[0]!;
  const f = tf.customGrad(((w: tf.Tensor, idx: tf.Tensor, save: tf.GradSaveFunc) => {
    save([idx]);
    return {
      value: tf.gather(w, idx as tf.Tensor1D), // [N, C]
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [tf.unsortedSegmentSum(dy as tf.Tensor, saved[0] as tf.Tensor1D, V), tf.zerosLike(saved[0]!)],
    };
  }) as unknown as CustomFn);
  return f(table, ids) as tf.Tensor2D;
}

/**
 * Position ids and the additive attention bias for a full (uncached) pass.
 * position = cumsum(mask) − 1 (0 at padding); bias[b, t, s] = 0 if s ≤ t and mask[b, s] = 1, else −1e9.
 */
export function attentionInputs(B: number, T: number, mask?: ArrayLike<number>): { positions: Int32Array; bias: Float32Array } {
  const positions = new Int32Array(B * T);
  const bias = new Float32Array(B * T * T);
  for (let b = 0; b < B; b++) {
    let count = 0;
    for (let t = 0; t < T; t++) {
      const on = mask ? mask[b * T + t]! > 0 : true;
      if (on) count++;
      positions[b * T + t] = Math.max(count - 1, 0);
      for (let s = 0; s < T; s++) bias[(b * T + t) * T + s] = s <= t && (mask ? mask[b * T + s]! > 0 : true) ? 0 : NEG;
    }
  }
  return { positions, bias };
}

/**
 * The additive attention bias of an incremental (cached) step: T new queries at the end of S keys.
 * bias[b, t, s] = 0 if s ≤ S − T + t (causal) and keyMask[b, s] = 1, else −1e9.  keyMask [B, S] → bias [B, T, S]
 */
export function cachedAttentionBias(B: number, T: number, S: number, keyMask: ArrayLike<number>): Float32Array {
  const bias = new Float32Array(B * T * S);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      const q = S - T + t; // absolute index of this query in the cache
      for (let s = 0; s < S; s++) bias[(b * T + t) * S + s] = s <= q && keyMask[b * S + s]! > 0 ? 0 : NEG;
    }
  return bias;
}
