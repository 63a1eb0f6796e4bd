/**
 * Llama-family decoder (Llama 2/3, SmolLM2, Qwen2/2.5) on TensorFlow.js, numerically equivalent to Hugging Face's
 * LlamaForCausalLM / Qwen2ForCausalLM (checked against plain PyTorch: scripts/llama_reference.py):
 *   x = E[ids]
 *   for each block: x = x + o_proj(attn(rope(q), rope(k), v));  x = x + down(silu(gate(n)) · up(n))
 *                   (q, k, v from n = rms_norm(x) before attention; n = rms_norm(x) again before the MLP)
 *   h = rms_norm(x); logits = h Wᵀ with W = lm_head, or E when tied; values = v_head(h)
 * Grouped-query attention: nh query heads share n_kv key/value heads (query head j reads kv head ⌊j / (nh/n_kv)⌋,
 * HF's repeat_kv), computed without materialising the repeated keys: queries are grouped as [B, n_kv, rep·T, d].
 *
 * Padding: pass an attention mask [B, T] (1 = token, 0 = padding; prompts are left-padded). Position ids are
 * cumsum(mask) − 1, so a left-padded row computes what the unpadded row would. LoRA adapters wrap any linear
 * projection (llamaLoraSites) and are switchable per call (off = the reference policy); the value head is TRL's.
 *
 * wasm notes: the embedding lookup is `gather` (gradient: UnsortedSegmentSum from ../kernels.ts); no `gather` with
 * batchDims and no stridedSlice anywhere.
 */
import { tf } from '../../core/tensor.js';
import type { Rng } from '../../core/rng.js';
import type { NamedTensor } from '../../core/safetensors.js';
import { ShapeError } from '../../core/errors.js';
import type { CausalLm, ForwardOptions, ForwardOutput, KvCache, LayerKv } from '../causalLm.js';
import { DecoderLm, type Ctx } from '../decoder.js';
import { attentionInputs, cachedAttentionBias, embeddingLookup } from '../layers.js';
import type { LoraSites } from '../lora.js';
import { valueHeadFromTensors } from '../valueHead.js';
import { type LlamaConfig, primaryEos } from './config.js';
import { applyRope, rmsNorm, ropeInvFreq, ropeTables, siluGate } from './layers.js';
import { initLlamaParams, llamaLoraSites, llamaParamSpecs, llamaParamsFromCheckpoint } from './params.js';

/** The modules adapted when no targetModules are given: PEFT's default for Llama and Qwen2. */
export const LLAMA_LORA_TARGETS = ['q_proj', 'v_proj'] as const;

/** Rotary tables of one pass: [B, T, 1, d] each. */
interface Rope {
  cos: tf.Tensor4D;
  sin: tf.Tensor4D;
}

/** Base weights under HF names (model.embed_tokens.weight, model.layers.0.self_attn.q_proj.weight, …); the shared
 *  machinery (LoRA, value head, LM head, checks) in ../decoder.ts. */
export class Llama extends DecoderLm implements CausalLm {
  /** RoPE inverse frequencies [d/2] (with the config's scaling) */
  readonly invFreq: Float32Array;

  /** without targetModules, q_proj and v_proj are adapted (PEFT's default for Llama and Qwen2) */
  protected override readonly defaultLoraTargets = LLAMA_LORA_TARGETS;

  private constructor(
    readonly config: LlamaConfig,
    arrays: Map<string, Float32Array>,
  ) {
    super('Llama', llamaParamSpecs(config), arrays);
    this.invFreq = ropeInvFreq(config.head_dim, config.rope_theta, config.rope_scaling);
  }

  /** A model with HF-style random weights drawn from `rng`. */
  static random(config: LlamaConfig, rng: Rng): Llama {
    return new Llama(config, initLlamaParams(config, rng));
  }

  /** A model from parameter arrays under HF names (params.ts). */
  static fromArrays(config: LlamaConfig, arrays: Map<string, Float32Array>): Llama {
    return new Llama(config, arrays);
  }

  /**
   * A model from a checkpoint's tensors (model.safetensors or all shards, parsed): parameters under HF names plus a
   * value head when the tensors hold one. No file access: a browser can call it on fetched bytes; load.ts
   * `loadLlama` reads a directory. `source` names the file(s) in errors.
   */
  static fromCheckpoint(config: LlamaConfig, tensors: Map<string, NamedTensor>, source: string): Llama {
    const { params, extra } = llamaParamsFromCheckpoint(config, tensors, source);
    const model = new Llama(config, params);
    const vh = valueHeadFromTensors(extra, config.hidden_size, source);
    if (vh) model.addValueHead(vh);
    return model;
  }

  get vocabSize(): number {
    return this.config.vocab_size;
  }

  get contextLength(): number {
    return this.config.max_position_embeddings;
  }

  get hiddenSize(): number {
    return this.config.hidden_size;
  }

  /** the first of config.eos_token_id */
  get eosId(): number {
    return primaryEos(this.config);
  }

  /** every id that ends a sequence (config.eos_token_id; Llama 3.1 lists several) */
  get eosIds(): readonly number[] {
    return this.config.eos_token_id.length ? this.config.eos_token_id : [this.eosId];
  }

  protected get initializerRange(): number {
    return this.config.initializer_range;
  }

  loraSites(): LoraSites {
    return llamaLoraSites(this.config);
  }


  /** nn.Linear with an optional LoRA update: y = x Wᵀ + b + (α/r) dropout(x) Aᵀ Bᵀ.  x [N, in] → [N, out] */
  private linear(x: tf.Tensor2D, module: string, ctx: Ctx): tf.Tensor2D {
    let y = tf.matMul(x, this.p(`${module}.weight`), false, true) as tf.Tensor2D; // [N, out] = x Wᵀ
    const bias = this.params.get(`${module}.bias`);
    if (bias) y = tf.add(y, bias); // (no fused bias: tfjs-wasm 4.22 adds it wrongly to transposed products)
    return this.withLora(y, x, module, ctx);
  }

  /**
   * Grouped-query self-attention of block i with an optional cache of earlier (rotated) keys and values.
   * x [B·T, C], bias [B, 1, T, S] (0 = may attend, −1e9 = masked); returns y [B·T, C] and this block's keys/values
   * [B, n_kv, S, d].
   */
  private attn(x: tf.Tensor2D, i: number, B: number, T: number, rope: Rope, bias: tf.Tensor4D, past: LayerKv | null, ctx: Ctx): { y: tf.Tensor2D; kv: LayerKv } {
    const { num_attention_heads: nh, num_key_value_heads: nkv, head_dim: d } = this.config;
    const rep = nh / nkv;
    const m = `model.layers.${i}.self_attn`;
    const q = applyRope(tf.reshape(this.linear(x, `${m}.q_proj`, ctx), [B, T, nh, d]), rope.cos, rope.sin); // [B, T, nh, d]
    const k0 = applyRope(tf.reshape(this.linear(x, `${m}.k_proj`, ctx), [B, T, nkv, d]), rope.cos, rope.sin); // [B, T, n_kv, d]
    const v0 = tf.reshape(this.linear(x, `${m}.v_proj`, ctx), [B, T, nkv, d]); // [B, T, n_kv, d]
    let k = tf.transpose(k0, [0, 2, 1, 3]) as tf.Tensor4D; // [B, n_kv, T, d]
    let v = tf.transpose(v0, [0, 2, 1, 3]) as tf.Tensor4D; // [B, n_kv, T, d]
    if (past) {
      k = tf.concat([past.k, k], 2); // [B, n_kv, S, d]
      v = tf.concat([past.v, v], 2); // [B, n_kv, S, d]
    }
    const S = k.shape[2];
    // query head j = g·rep + r uses kv head g: group the queries as [B, n_kv, rep·T, d]
    const qh = tf.reshape(tf.transpose(tf.mul(q, 1 / Math.sqrt(d)), [0, 2, 1, 3]), [B, nkv, rep * T, d]); // [B, n_kv, rep·T, d], scaled by 1/√d
    let att = tf.reshape(tf.matMul(qh, k, false, true), [B, nh, T, S]); // [B, nh, T, S] = q kᵀ / √d
    att = tf.softmax(tf.add(att, bias), -1); // [B, nh, T, S]
    att = this.dropout(att, this.config.attention_dropout, ctx) as tf.Tensor4D;
    const yh = tf.matMul(tf.reshape(att, [B, nkv, rep * T, S]), v); // [B, n_kv, rep·T, d]
    const y = tf.reshape(tf.transpose(tf.reshape(yh, [B, nh, T, d]), [0, 2, 1, 3]), [B * T, nh * d]) as tf.Tensor2D; // [B·T, nh·d]
    return { y: this.linear(y, `${m}.o_proj`, ctx), kv: { k, v } };
  }

  /** SwiGLU MLP of block i: down(silu(gate(x)) · up(x)).  [B·T, C] → [B·T, C] */
  private mlp(x: tf.Tensor2D, i: number, ctx: Ctx): tf.Tensor2D {
    const m = `model.layers.${i}.mlp`;
    const h = siluGate(this.linear(x, `${m}.gate_proj`, ctx), this.linear(x, `${m}.up_proj`, ctx)); // [B·T, I]
    return this.linear(h, `${m}.down_proj`, ctx); // [B·T, C]
  }

  /** RMSNorm with the weight `name`.  [N, C] */
  private norm(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return rmsNorm(x, this.p(name), this.config.rms_norm_eps);
  }

  /**
   * The decoder trunk: embeddings, blocks, final norm. ids [B, T] int32, positions [B·T], bias [B, 1, T, S] with
   * S = (cached length) + T. Returns the final hidden state [B·T, C] and every block's keys/values.
   */
  private trunk(ids: tf.Tensor2D, positions: Int32Array, bias: tf.Tensor4D, past: LayerKv[] | null, ctx: Ctx): { h: tf.Tensor2D; kv: LayerKv[] } {
    const [B, T] = ids.shape;
    const d = this.config.head_dim;
    const tables = ropeTables(positions, this.invFreq);
    const rope: Rope = { cos: tf.tensor4d(tables.cos, [B, T, 1, d]), sin: tf.tensor4d(tables.sin, [B, T, 1, d]) };
    let x = embeddingLookup(this.p('model.embed_tokens.weight'), tf.reshape(ids, [B * T])); // [B·T, C]
    const kv: LayerKv[] = [];
    for (let i = 0; i < this.config.num_hidden_layers; i++) {
      const l = `model.layers.${i}`;
      // one tidy per block: its intermediates are freed as soon as it is done (a recording tape keeps what the
      // backward pass needs), so a pass holds one block's temporaries, not all 30 blocks' (≈ 1 GB for a 512-token
      // SmolLM2 prefill on tfjs-wasm's 4 GB heap)
      const prev = x;
      const out = tf.tidy(() => {
        const a = this.attn(this.norm(prev, `${l}.input_layernorm.weight`), i, B, T, rope, bias, past ? past[i]! : null, ctx);
        let y: tf.Tensor2D = tf.add(prev, a.y); // x = x + attn(rms_norm(x))
        y = tf.add(y, this.mlp(this.norm(y, `${l}.post_attention_layernorm.weight`), i, ctx)); // x = x + mlp(rms_norm(x))
        return { x: y as tf.Tensor2D, k: a.kv.k, v: a.kv.v };
      });
      if (i > 0) prev.dispose(); // the block before's output (the embedding lookup is the caller's tidy's)
      x = out.x;
      kv.push({ k: out.k, v: out.v });
    }
    return { h: this.norm(x, 'model.norm.weight'), kv };
  }

  /** The output embedding: lm_head.weight, or embed_tokens when tied.  [V, C] */
  private headWeight(): tf.Variable {
    return this.p(this.config.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  }

  /**
   * Full forward pass.  ids [B, T] int32, mask [B, T] (1 token / 0 padding; default all ones).
   * The caller owns (and disposes) the returned tensors; call inside tf.tidy to free them with the step.
   */
  forward(ids: tf.Tensor2D, mask?: tf.Tensor2D, opts: ForwardOptions = {}): ForwardOutput {
    const [B, T] = this.checkIds(ids, mask);
    if (T > this.contextLength)
      throw new ShapeError(`Cannot forward a sequence of length ${T}, the model's context (max_position_embeddings) is only ${this.contextLength}`);
    const m = mask ? (mask.dataSync() as Float32Array | Int32Array) : undefined;
    const { positions, bias } = attentionInputs(B, T, m);
    const ctx = this.ctx(opts);
    const out = tf.tidy(() => {
      const biasT = tf.tensor4d(bias, [B, 1, T, T]);
      const { h } = this.trunk(ids, positions, biasT, null, ctx); // [B·T, C]
      const r = this.heads(h, this.headWeight(), B, T, opts);
      return r.values ? { logits: r.logits, values: r.values, hidden: r.hidden } : { logits: r.logits, hidden: r.hidden };
    });
    return { logits: out.logits, hidden: out.hidden, values: 'values' in out ? (out.values ?? null) : null };
  }

  /**
   * One incremental step with a key/value cache (generation). ids [B, T] are the new tokens at `positions` [B, T];
   * keyMask [B, S] covers the cached and the new positions (S = cached + T). Returns next-token logits of the last
   * new position [B, V] and the extended cache; the caller disposes both (and the old cache when it is done with it).
   */
  step(ids: tf.Tensor2D, positions: Int32Array, keyMask: ArrayLike<number>, past: KvCache | null, opts: ForwardOptions = {}): { logits: tf.Tensor2D; cache: KvCache } {
    const [B, T] = this.checkIds(ids);
    const S = (past?.[0]?.k.shape[2] ?? 0) + T;
    if (positions.length !== B * T) throw new ShapeError(`Llama step: positions must be [${B}, ${T}], got ${positions.length} values`);
    if (keyMask.length !== B * S) throw new ShapeError(`Llama step: keyMask must be [${B}, ${S}], got ${keyMask.length} values`);
    if (S > this.contextLength) throw new ShapeError(`Cannot attend over ${S} positions, the model's context (max_position_embeddings) is only ${this.contextLength}`);
    const bias = cachedAttentionBias(B, T, S, keyMask); // [B, T, S]
    const ctx = this.ctx(opts);
    return tf.tidy(() => {
      const biasT = tf.tensor4d(bias, [B, 1, T, S]);
      const { h, kv } = this.trunk(ids, positions, biasT, past, ctx); // [B·T, C]
      const C = this.config.hidden_size;
      const last = T === 1 ? h : (tf.reshape(tf.slice(tf.reshape(h, [B, T, C]), [0, T - 1, 0], [B, 1, C]), [B, C]) as tf.Tensor2D); // [B, C]
      const logits = tf.matMul(last, this.headWeight(), false, true) as tf.Tensor2D; // [B, V]
      const cache = kv.map((l) => ({ k: tf.keep(l.k), v: tf.keep(l.v) }));
      return { logits, cache };
    });
  }
}
