/**
 * Log-probabilities of chosen tokens, the quantity PPO's ratio and DPO's log-ratios are built from.
 *
 * log π(y_t | y_<t) = z[y_t] − logsumexp(z). The token's logit is picked with a FLAT index into the logits
 * (gather on a 1-D tensor; its gradient is UnsortedSegmentSum, which kernels.ts supplies on wasm) — never `gather`
 * with batchDims, which returns wrong values on the wasm backend.
 */
import { tf } from '../core/tensor.js';
import { ShapeError } from '../core/errors.js';
import type { CausalLm, ForwardOptions } from './causalLm.js';

/**
 * logits [B, T, V], tokens [B, T] int32 → log π(token) [B, T].
 * Gradient written out (∂ log softmax(z)[y] / ∂z = onehot(y) − softmax(z)) so the backward pass is a few
 * elementwise passes over [B·T, V] instead of logSumExp's max/equal chain.
 */
export function tokenLogProbs(logits: tf.Tensor3D, tokens: tf.Tensor2D): tf.Tensor2D {
  const [B, T, V] = logits.shape;
  if (tokens.shape[0] !== B || tokens.shape[1] !== T) throw new ShapeError(`tokenLogProbs: tokens [${tokens.shape}] must match logits [${B}, ${T}, ·]`);
  const N = B * T;
  return tf.tidy(() => {
    const tok = tf.reshape(tf.cast(tokens, 'int32'), [N]); // [N]
    const flatIdx = tf.add(tf.mul(tf.range(0, N, 1, 'int32'), tf.scalar(V, 'int32')), tok); // [N] = i·V + y_i
    const pick = tf.customGrad(((z: tf.Tensor, idx: tf.Tensor, save: tf.GradSaveFunc) => {
      const z2 = tf.reshape(z, [N, V]); // [N, V]
      const lse = tf.logSumExp(z2, -1, true); // [N, 1]
      const picked = tf.gather(tf.reshape(z2, [N * V]), idx as tf.Tensor1D); // [N] = z[y]
      save([z2, lse, idx]);
      return {
        value: tf.sub(picked, tf.reshape(lse, [N])), // [N] = z[y] − logsumexp(z)
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [zs, l, ix] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
          const d = tf.reshape(dy as tf.Tensor, [N, 1]); // [N, 1]
          const p = tf.exp(tf.sub(zs, l)); // [N, V] softmax(z)
          const hot = tf.reshape(tf.scatterND(tf.reshape(ix, [N, 1]), tf.reshape(d, [N]), [N * V]), [N, V]); // [N, V] dy at y
          return [tf.reshape(tf.sub(hot, tf.mul(p, d)), [B, T, V]), tf.zerosLike(ix)]; // dy·(onehot(y) − softmax(z))
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return tf.reshape(pick(logits, flatIdx), [B, T]) as tf.Tensor2D;
  });
}

/** Entropy of the next-token distribution: H = logsumexp(z) − Σ softmax(z)·z.  [B, T, V] → [B, T] */
export function entropyFromLogits(logits: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const lse = tf.logSumExp(logits, -1); // [B, T]
    const p = tf.softmax(logits, -1); // [B, T, V]
    return tf.sub(lse, tf.sum(tf.mul(p, logits), -1)) as tf.Tensor2D;
  });
}

/** What a policy (or the reference, with adapters off) says about the responses of a batch of sequences. */
export interface ResponseScores {
  /** log π(y_t) of each response token [B, N] */
  logprobs: tf.Tensor2D;
  /** value head V(s_t) before each response token [B, N] (TRL: values[:, P−1 : −1]), or null without a head */
  values: tf.Tensor2D | null;
  /** logits that produced the response tokens [B, N, V] (for entropy / KL), only with `keepLogits` */
  logits: tf.Tensor3D | null;
}

/**
 * Scores the last N tokens of each sequence (the response) under the model.
 * ids, mask [B, P + N] (left-padded prompt, then the response); the logits at positions P−1 … P+N−2 predict the
 * response tokens at P … P+N−1. Only those N positions go through the LM head.
 */
export function scoreResponses(
  model: CausalLm,
  ids: tf.Tensor2D,
  mask: tf.Tensor2D | undefined,
  responseLength: number,
  opts: ForwardOptions & { keepLogits?: boolean } = {},
): ResponseScores {
  const [B, L] = ids.shape;
  const N = responseLength;
  if (!(Number.isInteger(N) && N >= 1 && N < L)) throw new ShapeError(`scoreResponses: responseLength must be in [1, ${L - 1}], got ${N}`);
  const V = model.vocabSize;
  const out = tf.tidy(() => {
    const fwd = model.forward(ids, mask, { ...opts, logitsLast: N + 1 }); // logits [B, N+1, V]
    const logits = tf.slice(fwd.logits, [0, 0, 0], [B, N, V]) as tf.Tensor3D; // [B, N, V]: positions P−1 … P+N−2
    const targets = tf.slice(ids, [0, L - N], [B, N]) as tf.Tensor2D; // [B, N]: the response tokens
    const logprobs = tokenLogProbs(logits, targets);
    const values = fwd.values ? (tf.slice(fwd.values, [0, L - N - 1], [B, N]) as tf.Tensor2D) : null; // [B, N]
    const r: Record<string, tf.Tensor> = { logprobs };
    if (values) r.values = values;
    if (opts.keepLogits) r.logits = logits;
    return r;
  });
  return {
    logprobs: out.logprobs as tf.Tensor2D,
    values: (out.values as tf.Tensor2D | undefined) ?? null,
    logits: (out.logits as tf.Tensor3D | undefined) ?? null,
  };
}
