/**
 * Backbones for the text reward model: a function from token sequences to one feature vector per sequence (the
 * hidden state at its last real token). The scalar head (model.ts) sits on top.
 *
 * Two implementations:
 *   - gpt2Backbone: the transformer of a GPT-2 (or any causal LM of src/models), its final hidden state after the
 *     final norm at the last real token — as Hugging Face's GPT2ForSequenceClassification / TRL's reward models do;
 *   - BagOfTokensBackbone: a tiny, fast backbone for tests and small vocabularies: h = tanh(mean_t E[x_t] + b),
 *     computed as a bag-of-tokens vector times E (a matmul, so no `gather` gradient is needed on wasm).
 */
import { tf } from '../../core/tensor.js';
import { ConfigError, ShapeError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { CausalLm } from '../../models/causalLm.js';

export interface TextBackbone {
  /** width H of the features */
  readonly hiddenSize: number;
  /**
   * Features of each sequence. ids [B, T] int32; mask [B, T] float32, 1 for real tokens (padding anywhere).
   * Returns [B, H]: the hidden state at each row's last real token. Differentiable in the trainable variables.
   */
  embed(ids: tf.Tensor2D, mask: tf.Tensor2D, opts?: { training?: boolean }): tf.Tensor2D;
  /** the backbone's trainable variables ([] = frozen features) */
  trainableVariables(): tf.Variable[];
}

/** [B, T] one-hot weights selecting each row's last real token (from the mask's values). */
export function lastTokenSelector(mask: ArrayLike<number>, B: number, T: number): Float32Array {
  const w = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    let last = -1;
    for (let t = 0; t < T; t++) if (mask[b * T + t]! > 0) last = t;
    if (last < 0) throw new ShapeError(`reward backbone: sequence ${b} has no real tokens (its mask is all 0)`);
    w[b * T + last] = 1;
  }
  return w;
}

/**
 * The transformer of a GPT-2 as a backbone. `adapters` chooses whether the model's LoRA adapters are applied (and
 * trained); without adapters the features are the frozen pretrained ones and only the head learns.
 */
export function gpt2Backbone(model: CausalLm, opts: { adapters: boolean; rng?: Rng }): TextBackbone {
  if (opts.adapters && !model.lora) throw new ConfigError('adapters', 'gpt2Backbone: adapters requested but the model has no LoRA adapters; call model.addLora first');
  return {
    hiddenSize: model.hiddenSize,
    embed(ids, mask, o = {}) {
      const [B, T] = ids.shape;
      const sel = lastTokenSelector(mask.dataSync(), B, T);
      return tf.tidy(() => {
        const out = model.forward(ids, mask, { adapters: opts.adapters, noLogits: true, training: o.training === true && opts.rng !== undefined, rng: opts.rng });
        const w = tf.tensor3d(sel, [B, T, 1]); // [B, T, 1]
        return tf.sum(tf.mul(out.hidden, w), 1) as tf.Tensor2D; // [B, C]: h at the last real token
      });
    },
    trainableVariables() {
      return opts.adapters && model.lora ? model.lora.variables() : [];
    },
  };
}

let bagCounter = 0;

export interface BagOfTokensOptions {
  /** 'mean' (token frequencies) or 'sum' (token counts: an additive, lexicon-like model); default 'mean' */
  pooling?: 'mean' | 'sum';
}

/**
 * A bag-of-tokens backbone for small vocabularies and tests: token frequencies (pooling 'mean') or counts ('sum')
 * over the real tokens, then h = tanh(bag · E + b) with `hidden` units; with hidden = 0 the features are the bag
 * itself (H = vocab, nothing to train), so the reward model is linear in the token counts, r = Σ_t w[x_t] + b —
 * the shape of a sentiment lexicon.
 */
export class BagOfTokensBackbone implements TextBackbone {
  readonly hiddenSize: number;
  readonly vocab: number;
  readonly pooling: 'mean' | 'sum';
  readonly E: tf.Variable | null;
  readonly b: tf.Variable | null;

  constructor(vocab: number, hidden: number, rng: Rng, opts: BagOfTokensOptions = {}) {
    if (!(Number.isInteger(vocab) && vocab >= 1)) throw new ConfigError('vocab', `bag-of-tokens backbone: vocab must be an integer ≥ 1, got ${vocab}`);
    if (!(Number.isInteger(hidden) && hidden >= 0)) throw new ConfigError('hidden', `bag-of-tokens backbone: hidden must be an integer ≥ 0, got ${hidden}`);
    this.vocab = vocab;
    this.pooling = opts.pooling ?? 'mean';
    this.hiddenSize = hidden === 0 ? vocab : hidden;
    const id = bagCounter++;
    this.E = hidden === 0 ? null : tf.tidy(() => tf.variable(tf.tensor2d(rng.normalArray(vocab * hidden, 0.5), [vocab, hidden]), true, `bag${id}/E`)); // tidy frees the initial value
    this.b = hidden === 0 ? null : tf.tidy(() => tf.variable(tf.zeros([hidden]), true, `bag${id}/b`));
  }

  embed(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
    const [B, T] = ids.shape;
    const idv = ids.dataSync();
    const mv = mask.dataSync();
    const bag = new Float32Array(B * this.vocab); // [B, V] token frequencies (or counts) over real tokens
    for (let r = 0; r < B; r++) {
      let n = 0;
      for (let t = 0; t < T; t++) if (mv[r * T + t]! > 0) n++;
      if (n === 0) throw new ShapeError(`reward backbone: sequence ${r} has no real tokens (its mask is all 0)`);
      const w = this.pooling === 'mean' ? 1 / n : 1;
      for (let t = 0; t < T; t++) {
        const tok = idv[r * T + t]!;
        if (mv[r * T + t]! <= 0) continue;
        if (tok < 0 || tok >= this.vocab) throw new ShapeError(`bag-of-tokens backbone: token id ${tok} outside the vocabulary [0, ${this.vocab})`);
        bag[r * this.vocab + tok]! += w;
      }
    }
    const E = this.E;
    const b = this.b;
    if (!E || !b) return tf.tensor2d(bag, [B, this.vocab]); // [B, V]
    return tf.tidy(() => tf.tanh(tf.add(tf.matMul(tf.tensor2d(bag, [B, this.vocab]), E), b)) as tf.Tensor2D); // [B, H]
  }

  trainableVariables(): tf.Variable[] {
    return this.E && this.b ? [this.E, this.b] : [];
  }

  dispose(): void {
    this.E?.dispose();
    this.b?.dispose();
  }
}
