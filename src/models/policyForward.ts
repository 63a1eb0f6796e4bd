/**
 * Any causal LM (causalLm.ts: GPT-2, the Llama family) as the optimizers' forward functions (../policy/types.ts): the
 * policy (LoRA adapters on, value head) or the reference (adapters off: the same weights, one copy; or a frozen copy
 * for a full fine-tune). Only the response positions go through the LM head (the `responseLength` hint); outputs are
 * padded with zeros in front to the full [B, T] the interface promises.
 *
 *   logprobs[b, t] = log softmax(z_{t−1} / T)[x_t]      (T the sampling temperature, as TRL's `logits /= temperature`)
 *   values[b, t]   = v_head(stop_gradient(h_{t−1}))       (the value loss trains the head only, not the shared trunk)
 *
 * Browser-safe.
 */
import { tf } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import type { LogprobForward, PolicyForward, PolicyOutput } from '../policy/types.js';
import type { CausalLm } from './causalLm.js';
import { entropyFromLogits, tokenLogProbs } from './logprobs.js';

export interface CausalLmForwardOptions {
  /** apply the LoRA adapters (false = the reference policy; ignored by a model without adapters) */
  adapters: boolean;
  /** also return the entropy of each next-token distribution (a softmax over the vocabulary) */
  entropy?: boolean;
  /** sampling temperature T: the policy is softmax(z / T); generation, old and reference log-probs must share it. Default 1 */
  temperature?: number;
  /** dropout while training (needs rng) */
  training?: boolean;
  rng?: Rng;
}

/**
 * Identity forward, zero gradient (tfjs has no stopGradient op): the value head reads the policy's hidden state
 * without sending value-loss gradients into the trunk and adapters.
 */
const stopGradientOp = tf.customGrad((...inputs) => {
  const x = inputs[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor) };
});

export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}

/**
 * The entropy of each next-token distribution as a logged quantity (TRL computes it under torch.no_grad): one custom
 * op, so a recording gradient tape keeps none of its [B, N, V] intermediates (softmax, products) — on a 49 152-token
 * vocabulary that is tens of MB per minibatch — and no gradient flows through it.
 */
const entropyNoGradOp = tf.customGrad((...inputs) => {
  const z = inputs[0] as tf.Tensor3D;
  return { value: entropyFromLogits(z), gradFunc: () => tf.zerosLike(z) };
});

function padFront(x: tf.Tensor2D, T: number): tf.Tensor2D {
  const [B, N] = x.shape;
  return N === T ? x : (tf.concat([tf.zeros([B, T - N]), x], 1) as tf.Tensor2D); // [B, T]
}

/** The model as a PolicyForward: logprobs, values (zeros without a value head) and optionally entropy, each [B, T]. */
export function causalLmPolicyForward(model: CausalLm, o: CausalLmForwardOptions): PolicyForward {
  return (ids, mask, responseLength) =>
    tf.tidy(() => {
      const [B, L] = ids.shape;
      const N = Math.min(responseLength ?? L - 1, L - 1);
      const V = model.vocabSize;
      const C = model.hiddenSize;
      const temp = o.temperature ?? 1;
      // logits of positions L−N−1 … L−2 predict the response tokens at L−N … L−1 (only those go through the LM head)
      const fwd = model.forward(ids, mask, { adapters: o.adapters, logitsLast: N + 1, training: o.training, rng: o.rng });
      let logits = tf.slice(fwd.logits, [0, 0, 0], [B, N, V]) as tf.Tensor3D; // [B, N, V]
      if (temp !== 1) logits = tf.div(logits, temp) as tf.Tensor3D; // z / T
      const targets = tf.slice(ids, [0, L - N], [B, N]) as tf.Tensor2D; // [B, N]
      const logprobs = tokenLogProbs(logits, targets); // [B, N] log softmax(z / T)[x_t]
      let values: tf.Tensor2D = tf.zeros([B, N]);
      const vh = model.valueHead;
      if (vh) {
        const h = stopGradient(tf.reshape(tf.slice(fwd.hidden, [0, L - N - 1, 0], [B, N, C]), [B * N, C]) as tf.Tensor2D); // [B·N, C]
        values = tf.reshape(tf.add(tf.matMul(h, vh.weight, false, true), vh.bias), [B, N]) as tf.Tensor2D; // [B, N] = h wᵀ + b
      }
      const out: Record<string, tf.Tensor> = { logprobs: padFront(logprobs, L), values: padFront(values, L) };
      if (o.entropy) out.entropy = padFront(entropyNoGradOp(logits) as tf.Tensor2D, L); // H = logsumexp(z) − Σ softmax(z)·z
      return out;
    }) as unknown as PolicyOutput;
}

/** The model as a LogprobForward (the reference policy: adapters off, or a frozen copy). */
export function causalLmLogprobForward(model: CausalLm, o: CausalLmForwardOptions): LogprobForward {
  return causalLmPolicyForward(model, o);
}
