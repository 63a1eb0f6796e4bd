/**
 * The Llama family's own blocks, each with its equation and, where autograd would be wasteful on wasm, its gradient
 * written out: RMSNorm, the SwiGLU gate, rotary position embeddings (inv_freq as Hugging Face computes it, with
 * Llama 3's and linear scaling).
 */
import { tf } from '../../core/tensor.js';
import type { RopeScaling } from './config.js';

type CustomFn = Parameters<typeof tf.customGrad>[0];

/**
 * RMSNorm (Zhang & Sennrich 2019; HF LlamaRMSNorm): y = x̂·w, x̂ = x·r, r = 1/√(mean(x²) + ε); backward:
 *   dw = Σ_rows dy·x̂;  dx = r·(g − x̂·mean(g·x̂)),  g = dy·w
 * x [N, C], w [C].
 */
export function rmsNorm(x: tf.Tensor2D, w: tf.Tensor, eps: number): tf.Tensor2D {
  const f = tf.customGrad(((xi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => {
    const r = tf.rsqrt(tf.add(tf.mean(tf.mul(xi, xi), -1, true), eps)); // [N, 1]
    const xhat = tf.mul(xi, r); // [N, C]
    save([xhat, r, wi]);
    return {
      value: tf.mul(xhat, wi), // [N, C]
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xh, rs, ws] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const d = dy as tf.Tensor;
        const g = tf.mul(d, ws); // [N, C]
        const dx = tf.mul(tf.sub(g, tf.mul(xh, tf.mean(tf.mul(g, xh), -1, true))), rs); // [N, C]
        return [dx, tf.sum(tf.mul(d, xh), 0)];
      },
    };
  }) as unknown as CustomFn);
  return f(x, w) as tf.Tensor2D;
}

/**
 * The SwiGLU gate (Shazeer 2020): y = silu(g)·u, silu(g) = g·σ(g); backward written out:
 *   du = dy·silu(g);  dg = dy·u·σ(g)·(1 + g·(1 − σ(g)))
 * g, u [N, I] → [N, I].
 */
export function siluGate(g: tf.Tensor2D, u: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad(((gi: tf.Tensor, ui: tf.Tensor, save: tf.GradSaveFunc) => {
    const s = tf.sigmoid(gi); // [N, I] σ(g)
    const silu = tf.mul(gi, s); // [N, I]
    save([gi, ui, s, silu]);
    return {
      value: tf.mul(silu, ui),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [gs, us, ss, sl] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const d = dy as tf.Tensor;
        const dsilu = tf.mul(ss, tf.add(tf.mul(gs, tf.sub(1, ss)), 1)); // σ(g)(1 + g(1 − σ(g)))
        return [tf.mul(tf.mul(d, us), dsilu), tf.mul(d, sl)];
      },
    };
  }) as unknown as CustomFn);
  return f(g, u) as tf.Tensor2D;
}

/**
 * RoPE inverse frequencies as HF's rope init functions compute them (float32, as torch does):
 *   default: inv_freq_i = 1 / θ^(2i/d),  i = 0 … d/2 − 1
 *   linear:  inv_freq_i / s
 *   llama3 (`_compute_llama3_parameters`): with λ_i = 2π / inv_freq_i, L = original_max_position_embeddings,
 *     λ_i > L / low_freq_factor  → inv_freq_i / s          (low frequencies: fully interpolated)
 *     λ_i < L / high_freq_factor → inv_freq_i              (high frequencies: kept)
 *     otherwise, with a = (L/λ_i − low_freq_factor) / (high_freq_factor − low_freq_factor):
 *                                  (1 − a)·inv_freq_i / s + a·inv_freq_i
 */
export function ropeInvFreq(headDim: number, theta: number, scaling: RopeScaling | null): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(theta, Math.fround((2 * i) / headDim)); // float32 like torch.arange(...).float() / dim
  if (!scaling) return inv;
  if (scaling.rope_type === 'linear') return inv.map((f) => f / scaling.factor);
  const { factor, low_freq_factor: lo, high_freq_factor: hi, original_max_position_embeddings: L } = scaling;
  const lowWavelen = L / lo;
  const highWavelen = L / hi;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen > lowWavelen) return f / factor;
    if (wavelen < highWavelen) return f;
    const a = (L / wavelen - lo) / (hi - lo);
    return (1 - a) * (f / factor) + a * f;
  });
}

/**
 * cos and sin tables for the given positions: angle[n, j] = pos_n · inv_freq_(j mod d/2) over the head width d
 * (HF concatenates the frequencies twice: emb = cat(freqs, freqs)). positions [N] → cos, sin [N·d] row-major.
 */
export function ropeTables(positions: ArrayLike<number>, invFreq: Float32Array): { cos: Float32Array; sin: Float32Array } {
  const half = invFreq.length;
  const d = 2 * half;
  const cos = new Float32Array(positions.length * d);
  const sin = new Float32Array(positions.length * d);
  for (let n = 0; n < positions.length; n++) {
    const p = positions[n]!;
    for (let j = 0; j < half; j++) {
      const a = Math.fround(p * invFreq[j]!); // float32 product, as torch's freqs
      const c = Math.cos(a);
      const s = Math.sin(a);
      cos[n * d + j] = c;
      cos[n * d + half + j] = c;
      sin[n * d + j] = s;
      sin[n * d + half + j] = s;
    }
  }
  return { cos, sin };
}

/**
 * Rotary embedding (Su et al. 2021, HF apply_rotary_pos_emb): x·cos + rotate_half(x)·sin, with
 * rotate_half([x₁, x₂]) = [−x₂, x₁] over the two halves of the head width.
 * x [B, T, h, d], cos and sin [B, T, 1, d] → [B, T, h, d]
 */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  const [x1, x2] = tf.split(x, 2, 3) as [tf.Tensor4D, tf.Tensor4D]; // each [B, T, h, d/2]
  const rotated = tf.concat([tf.neg(x2), x1], 3); // [B, T, h, d]
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
}
