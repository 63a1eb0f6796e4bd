/**
 * Adapters from the GPT-2 model (../model) to the optimizers' small interfaces (src/policy/types.ts):
 * the policy (LoRA adapters on, value head) and the reference (adapters off: the same weights, one copy).
 * Only the response positions go through the LM head (the `responseLength` hint); the outputs are padded with
 * zeros in front to the full [B, T] the interface promises.
 *
 * The value head reads the policy's last hidden state through a stop-gradient: the value loss trains the head only.
 * With a shared trunk the value gradients also move the LoRA adapters and so the policy (entropy rose and the KL
 * drifted without reward in our runs); TRL's later PPO trainer uses a separate value model for the same reason.
 */
import { tf } from '../../../core/tensor.js';
import type { Rng } from '../../../core/rng.js';
import type { Gpt2 } from '../../../models/gpt2/model.js';
import { entropyFromLogits, tokenLogProbs } from '../../../models/logprobs.js';
import type { LogprobForward, PolicyForward, PolicyOutput } from '../../../policy/types.js';

export interface Gpt2ForwardOptions {
  /** apply the LoRA adapters (false = the reference policy) */
  adapters: boolean;
  /** also return the entropy of each next-token distribution (costs a softmax over the vocabulary) */
  entropy?: boolean;
  /**
   * sampling temperature T: the policy is softmax(z / T), as TRL's `logits /= temperature`; generation, old and
   * reference log-probs and the PPO ratio must all use the same T; default 1
   */
  temperature?: number;
  /** dropout while training (needs rng) */
  training?: boolean;
  rng?: Rng;
}

/**
 * Identity forward, zero gradient: tfjs has no stopGradient op, so it is a custom gradient. Used so that the value
 * head reads the policy's hidden state without sending value-loss gradients into the shared trunk (and adapters).
 */
const stopGradientOp = tf.customGrad((...inputs) => {
  const x = inputs[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor) };
});
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}

function padFront(x: tf.Tensor2D, T: number): tf.Tensor2D {
  const [B, N] = x.shape;
  return N === T ? x : (tf.concat([tf.zeros([B, T - N]), x], 1) as tf.Tensor2D); // [B, T]
}

/** The GPT-2 as a PolicyForward: logprobs, values (zeros without a value head) and optionally entropy, [B, T]. */
export function gpt2PolicyForward(model: Gpt2, o: Gpt2ForwardOptions): PolicyForward {
  return (ids, mask, responseLength) =>
    tf.tidy(() => {
      const [B, L] = ids.shape;
      const N = Math.min(responseLength ?? L - 1, L - 1);
      const V = model.config.vocab_size;
      const C = model.config.n_embd;
      const temp = o.temperature ?? 1;
      // logits of positions L−N−1 … L−2 predict the response tokens at L−N … L−1 (only those go through the LM head)
      const fwd = model.forward(ids, mask, { adapters: o.adapters, logitsLast: N + 1, training: o.training, rng: o.rng });
      let logits = tf.slice(fwd.logits, [0, 0, 0], [B, N, V]) as tf.Tensor3D; // [B, N, V]
      if (temp !== 1) logits = tf.div(logits, temp) as tf.Tensor3D; // z / T
      const targets = tf.slice(ids, [0, L - N], [B, N]) as tf.Tensor2D; // [B, N]
      const logprobs = tokenLogProbs(logits, targets); // [B, N] log softmax(z / T)[x_t]
      // value head on the hidden state before each response token, through a stop-gradient (see stopGradient)
      let values: tf.Tensor2D = tf.zeros([B, N]);
      const vh = model.valueHead;
      if (vh) {
        const h = stopGradient(tf.reshape(tf.slice(fwd.hidden, [0, L - N - 1, 0], [B, N, C]), [B * N, C]) as tf.Tensor2D); // [B·N, C]
        values = tf.reshape(tf.add(tf.matMul(h, vh.weight, false, true), vh.bias), [B, N]) as tf.Tensor2D; // [B, N] = h wᵀ + b
      }
      const out: Record<string, tf.Tensor> = { logprobs: padFront(logprobs, L), values: padFront(values, L) };
      if (o.entropy) out.entropy = padFront(entropyFromLogits(logits), L);
      return out;
    }) as unknown as PolicyOutput;
}

/** The GPT-2 as a LogprobForward (e.g. the reference policy with adapters off). */
export function gpt2LogprobForward(model: Gpt2, o: Gpt2ForwardOptions): LogprobForward {
  return gpt2PolicyForward(model, o);
}
