/**
 * The small interfaces the optimizers are written against, so that PPO and DPO run with any model: the GPT-2
 * text model, or a tiny MLP over a toy vocabulary in the tests.
 *
 * Alignment convention (as TRL's `logits[:, context_length − 1 : −1]`): for a sequence of token ids x₀ … x_{T−1},
 *   logprobs[b, t] = log π(x_t | x_<t)    for t ≥ 1  (t = 0 has no prediction; any value, it is never read)
 *   values[b, t]   = V(x_<t)              the value of the state in which token t is chosen (t ≥ 1)
 * so the response token at position t has its log-prob and its value at the same index t.
 */
import type { tf } from '../core/tensor.js';

/** Output of a forward pass that only needs token log-probabilities (DPO, the reference policy). */
export interface LogprobOutput {
  /** [B, T] log π(x_t | x_<t) */
  logprobs: tf.Tensor2D;
  /** [B, T] optional entropy of π(· | x_<t), for the `policy/entropy` metric */
  entropy?: tf.Tensor2D;
}

/** Output of a policy-with-value-head forward pass (PPO). */
export interface PolicyOutput extends LogprobOutput {
  /** [B, T] V(x_<t), the value head */
  values: tf.Tensor2D;
}

/**
 * A differentiable forward pass.
 * @param ids  [B, T] int32 token ids (query then response, padded)
 * @param mask [B, T] float32 attention mask, 1 for real tokens
 * @param responseLength optional hint: only the last N positions are read, so a model may skip the LM head for
 *   the others (their entries may be 0). The outputs keep the full [B, T] shape.
 */
export type LogprobForward = (ids: tf.Tensor2D, mask: tf.Tensor2D, responseLength?: number) => LogprobOutput;
export type PolicyForward = (ids: tf.Tensor2D, mask: tf.Tensor2D, responseLength?: number) => PolicyOutput;
