/**
 * Adapters from the GPT-2 model (../model) to the optimizers' small interfaces (src/policy/types.ts):
 * the policy (LoRA adapters on, value head) and the reference (adapters off: the same weights, one copy).
 * Only the response positions go through the LM head (the `responseLength` hint); the outputs are padded with
 * zeros in front to the full [B, T] the interface promises.
 */
import { tf } from '../../../core/tensor.js';
import type { Rng } from '../../../core/rng.js';
import type { Gpt2 } from '../model/gpt2.js';
import { entropyFromLogits, scoreResponses, tokenLogProbs } from '../model/logprobs.js';
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

function padFront(x: tf.Tensor2D, T: number): tf.Tensor2D {
  const [B, N] = x.shape;
  return N === T ? x : (tf.concat([tf.zeros([B, T - N]), x], 1) as tf.Tensor2D); // [B, T]
}

/** The GPT-2 as a PolicyForward: logprobs, values (zeros without a value head) and optionally entropy, [B, T]. */
export function gpt2PolicyForward(model: Gpt2, o: Gpt2ForwardOptions): PolicyForward {
  return (ids, mask, responseLength) =>
    tf.tidy(() => {
      const T = ids.shape[1];
      const N = Math.min(responseLength ?? T - 1, T - 1);
      const temp = o.temperature ?? 1;
      const s = scoreResponses(model, ids, mask, N, { adapters: o.adapters, keepLogits: o.entropy === true || temp !== 1, training: o.training, rng: o.rng });
      let logprobs = s.logprobs; // [B, N]
      let logits = s.logits; // [B, N, V] or null
      if (temp !== 1 && logits) {
        logits = tf.div(logits, temp) as tf.Tensor3D; // z / T
        logprobs = tokenLogProbs(logits, tf.slice(ids, [0, T - N], [ids.shape[0], N]) as tf.Tensor2D); // log softmax(z / T)[x_t]
      }
      const out: Record<string, tf.Tensor> = {
        logprobs: padFront(logprobs, T),
        values: padFront(s.values ?? tf.zeros([ids.shape[0], N]), T),
      };
      if (o.entropy && logits) out.entropy = padFront(entropyFromLogits(logits), T);
      return out;
    }) as unknown as PolicyOutput;
}

/** The GPT-2 as a LogprobForward (e.g. the reference policy with adapters off). */
export function gpt2LogprobForward(model: Gpt2, o: Gpt2ForwardOptions): LogprobForward {
  return gpt2PolicyForward(model, o);
}
