/**
 * The small interface every causal language model implements (GPT-2 now, Llama-family models next), so sampling
 * (generate.ts), response scoring (logprobs.ts), LoRA, the value head, checkpoint I/O and the reward backbones work
 * for any architecture. Shapes: B batch, T new positions, S cached + new positions, V vocabulary, C hidden width.
 */
import type { tf } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import type { LoraAdapters, LoraConfig, LoraSites } from './lora.js';
import type { ValueHead, ValueHeadArrays } from './valueHead.js';

/** Options of one forward pass. */
export interface ForwardOptions {
  /** apply the LoRA adapters (default true when the model has adapters); false = the reference policy */
  adapters?: boolean;
  /** training mode: dropout (config pdrops and LoRA dropout) is applied, with masks drawn from `rng` */
  training?: boolean;
  /** seeds dropout masks; required when training with a dropout > 0 */
  rng?: Rng;
  /** compute logits for the last n positions only (saves the [n, V] head for the prompt); default all T */
  logitsLast?: number;
  /** skip the LM head entirely (e.g. a reward model that only needs `hidden`) */
  noLogits?: boolean;
}

export interface ForwardOutput {
  /** next-token logits [B, T', V] (T' = logitsLast ?? T; empty [B, 0, V] with noLogits) */
  logits: tf.Tensor3D;
  /** value head on the last hidden state [B, T], or null without a value head */
  values: tf.Tensor2D | null;
  /** last hidden state, after the final norm [B, T, C] */
  hidden: tf.Tensor3D;
}

/** Keys and values of one block for the positions seen so far. */
export interface LayerKv {
  k: tf.Tensor4D; // [B, heads, S, hs]
  v: tf.Tensor4D; // [B, heads, S, hs]
}

/** The key/value cache of a whole model: one entry per block. */
export type KvCache = LayerKv[];

/** A decoder-only transformer with an LM head, optional LoRA adapters and an optional scalar value head. */
export interface CausalLm {
  /** vocabulary size V */
  readonly vocabSize: number;
  /** the most positions a sequence may span (GPT-2: n_positions) */
  readonly contextLength: number;
  /** width C of the hidden state */
  readonly hiddenSize: number;
  /** id of the end-of-sequence token (the default EOS and padding of generation) */
  readonly eosId: number;
  /** LoRA adapters, when added */
  lora: LoraAdapters | null;
  /** the scalar value head, when added */
  valueHead: ValueHead | null;
  /** the linear modules LoRA may adapt, and how PEFT names them */
  loraSites(): LoraSites;
  /** adds fresh LoRA adapters (B = 0: outputs unchanged), replacing existing ones */
  addLora(partial: Partial<LoraConfig>, rng: Rng): LoraAdapters;
  /** adds a value head, weight ~ N(0, init std) from an Rng and bias 0, or the given arrays; replaces an existing one */
  addValueHead(init: Rng | ValueHeadArrays): void;
  /**
   * Full forward pass.  ids [B, T] int32, mask [B, T] (1 token / 0 padding; default all ones; prompts are
   * left-padded and positions are cumsum(mask) − 1). The caller owns the returned tensors.
   */
  forward(ids: tf.Tensor2D, mask?: tf.Tensor2D, opts?: ForwardOptions): ForwardOutput;
  /**
   * One incremental step with a key/value cache. ids [B, T] are the new tokens at `positions` [B, T]; keyMask [B, S]
   * covers the cached and the new positions. Returns next-token logits of the last new position [B, V] and the
   * extended cache; the caller disposes both (and the old cache when it is done with it).
   */
  step(ids: tf.Tensor2D, positions: Int32Array, keyMask: ArrayLike<number>, past: KvCache | null, opts?: ForwardOptions): { logits: tf.Tensor2D; cache: KvCache };
  /** 'lora' = adapters + value head (base frozen); 'full' = every base weight + value head (+ adapters) */
  trainableVariables(mode: 'lora' | 'full'): tf.Variable[];
  /** frees every variable of the model */
  dispose(): void;
}
