/**
 * Log-probabilities of chosen tokens, the quantity PPO's ratio and DPO's log-ratios are built from.
 *
 * log π(y_t | y_<t) = z[y_t] − logsumexp(z). The token's logit is picked with a FLAT index into the logits
 * (gather on a 1-D tensor; its gradient is UnsortedSegmentSum, which kernels.ts supplies on wasm) — never `gather`
 * with batchDims, which returns wrong values on the wasm backend.
 */
import { tf } from '../../../core/tensor.js';
import { ShapeError } from '../../../core/errors.js';
import type { Gpt2, ForwardOptions } from './gpt2.js';

/** logits [B, T, V], tokens [B, T] int32 → log π(token) [B, T]. */
export function tokenLogProbs(logits: tf.Tensor3D, tokens: tf.Tensor2D): tf.Tensor2D {
  const [B, T, V] = logits.shape;
  if (tokens.shape[0] !== B || tokens.shape[1] !== T) throw new ShapeError(`tokenLogProbs: tokens [${tokens.shape}] must match logits [${B}, ${T}, ·]`);
  return tf.tidy(() => {
    const flatIdx = tf.add(tf.mul(tf.range(0, B * T, 1, 'int32'), tf.scalar(V, 'int32')), tf.reshape(tf.cast(tokens, 'int32'), [B * T])); // [B·T] = i·V + y_i
    const picked = tf.gather(tf.reshape(logits, [B * T * V]), flatIdx); // [B·T] = z[y]
    const lse = tf.reshape(tf.logSumExp(logits, -1), [B * T]); // [B·T]
    return tf.reshape(tf.sub(picked, lse), [B, T]) as tf.Tensor2D; // log softmax(z)[y]
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
  model: Gpt2,
  ids: tf.Tensor2D,
  mask: tf.Tensor2D | undefined,
  responseLength: number,
  opts: ForwardOptions & { keepLogits?: boolean } = {},
): ResponseScores {
  const [B, L] = ids.shape;
  const N = responseLength;
  if (!(Number.isInteger(N) && N >= 1 && N < L)) throw new ShapeError(`scoreResponses: responseLength must be in [1, ${L - 1}], got ${N}`);
  const V = model.config.vocab_size;
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
