/**
 * GPT-2 (Radford et al. 2019) on TensorFlow.js, numerically equivalent to Hugging Face's GPT2LMHeadModel, written
 * like nanoGPT's model.py:
 *   x = wte[ids] + wpe[pos]
 *   for each block: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))
 *   h = ln_f(x); logits = h wteᵀ (tied); values = v_head(h)
 * plus LoRA adapters on chosen linear modules (switchable per call: off = the reference policy) and a scalar value
 * head (TRL's ValueHead) on the last hidden state.
 *
 * Padding: pass an attention mask [B, T] (1 = token, 0 = padding; prompts are left-padded). Position ids are
 * cumsum(mask) − 1, so a left-padded row computes exactly what the unpadded row would (as HF's generate does).
 *
 * The shared pieces (embedding lookup, LayerNorm, gelu_new, attention masks) are in ../layers.ts; the interface it
 * implements (CausalLm) in ../causalLm.ts.
 *
 * wasm notes: the embedding lookup is `gather` (its gradient needs UnsortedSegmentSum, registered in kernels.ts);
 * no `gather` with batchDims and no stridedSlice anywhere (both are broken or gradient-less on wasm).
 */
import { tf } from '../../core/tensor.js';
import type { Rng } from '../../core/rng.js';
import type { NamedTensor } from '../../core/safetensors.js';
import { ShapeError } from '../../core/errors.js';
import type { CausalLm, ForwardOptions, ForwardOutput, KvCache, LayerKv } from '../causalLm.js';
import { DecoderLm, type Ctx } from '../decoder.js';
import { attentionInputs, cachedAttentionBias, embeddingLookup, geluNew, layerNorm } from '../layers.js';
import type { LoraSites } from '../lora.js';
import { valueHeadFromTensors } from '../valueHead.js';
import { type Gpt2Config, innerDim } from './config.js';
import { gpt2LoraSites, initParams, paramSpecs, paramsFromCheckpoint } from './params.js';

/** The base weights live under HF names without the `transformer.` prefix; the shared machinery in ../decoder.ts. */
export class Gpt2 extends DecoderLm implements CausalLm {
  private constructor(
    readonly config: Gpt2Config,
    arrays: Map<string, Float32Array>,
  ) {
    super('GPT-2', paramSpecs(config), arrays);
  }

  /** A model with HF-style random weights drawn from `rng`. */
  static random(config: Gpt2Config, rng: Rng): Gpt2 {
    return new Gpt2(config, initParams(config, rng));
  }

  /** A model from parameter arrays under HF names (see params.ts; `paramsFromCheckpoint` strips prefixes). */
  static fromArrays(config: Gpt2Config, arrays: Map<string, Float32Array>): Gpt2 {
    return new Gpt2(config, arrays);
  }

  /**
   * A model from a checkpoint's tensors (model.safetensors, parsed): GPT-2 parameters under HF names (a
   * `transformer.` prefix accepted) plus a value head when the file holds one. No file access: a browser can call
   * it on fetched bytes; load.ts `loadGpt2` reads a directory. `source` names the file in errors.
   */
  static fromCheckpoint(config: Gpt2Config, tensors: Map<string, NamedTensor>, source: string): Gpt2 {
    const { params, extra } = paramsFromCheckpoint(config, tensors, source);
    const model = new Gpt2(config, params);
    const vh = valueHeadFromTensors(extra, config.n_embd, source);
    if (vh) model.addValueHead(vh);
    return model;
  }

  get vocabSize(): number {
    return this.config.vocab_size;
  }

  get contextLength(): number {
    return this.config.n_positions;
  }

  get hiddenSize(): number {
    return this.config.n_embd;
  }

  get eosId(): number {
    return this.config.eos_token_id;
  }

  protected get initializerRange(): number {
    return this.config.initializer_range;
  }

  loraSites(): LoraSites {
    return gpt2LoraSites(this.config);
  }


  /** Conv1D with an optional LoRA update: y = x W + b + (α/r) dropout(x) Aᵀ Bᵀ.  x [N, in] → [N, out] */
  private linear(x: tf.Tensor2D, module: string, ctx: Ctx): tf.Tensor2D {
    const y = tf.fused.matMul({ a: x, b: this.p(`${module}.weight`), bias: this.p(`${module}.bias`) }) as tf.Tensor2D; // [N, out]
    return this.withLora(y, x, module, ctx);
  }

  /** LayerNorm over the last axis: (x − μ) / √(σ² + ε) · γ + β.  [N, C] (gradient written out in layerNorm()) */
  private layerNorm(x: tf.Tensor2D, prefix: string): tf.Tensor2D {
    return layerNorm(x, this.p(`${prefix}.weight`), this.p(`${prefix}.bias`), this.config.layer_norm_epsilon);
  }

  /** The MLP's activation. gelu_new: ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (gradient written out in geluNew()). */
  private act(x: tf.Tensor2D): tf.Tensor2D {
    switch (this.config.activation_function) {
      case 'gelu_new':
      case 'gelu_pytorch_tanh':
        return geluNew(x);
      case 'gelu': // exact: ½x(1 + erf(x/√2))
        return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
      case 'relu':
        return tf.relu(x);
    }
  }

  /**
   * Causal self-attention of block `i` with an optional cache of earlier keys/values.
   * x [B·T, C], bias [B, 1, T, S] (0 = may attend, −1e9 = masked), returns y [B·T, C] and this block's keys/values.
   */
  private attn(x: tf.Tensor2D, i: number, B: number, T: number, bias: tf.Tensor4D, past: LayerKv | null, ctx: Ctx): { y: tf.Tensor2D; kv: LayerKv } {
    const C = this.config.n_embd;
    const nh = this.config.n_head;
    const hs = C / nh;
    const qkv = this.linear(x, `h.${i}.attn.c_attn`, ctx); // [B·T, 3C]
    const [q2, k2, v2] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]; // each [B·T, C]
    const heads = (t: tf.Tensor2D): tf.Tensor4D => tf.transpose(tf.reshape(t, [B, T, nh, hs]), [0, 2, 1, 3]); // [B, nh, T, hs]
    const q = heads(q2);
    let k = heads(k2);
    let v = heads(v2);
    if (past) {
      k = tf.concat([past.k, k], 2); // [B, nh, S, hs]
      v = tf.concat([past.v, v], 2); // [B, nh, S, hs]
    }
    let att = tf.matMul(q, k, false, true) as tf.Tensor4D; // [B, nh, T, S]
    if (this.config.scale_attn_weights) att = tf.mul(att, 1 / Math.sqrt(hs));
    att = tf.add(att, bias);
    att = tf.softmax(att, -1);
    att = this.dropout(att, this.config.attn_pdrop, ctx) as tf.Tensor4D;
    const yh = tf.matMul(att, v) as tf.Tensor4D; // [B, nh, T, hs]
    const y = tf.reshape(tf.transpose(yh, [0, 2, 1, 3]), [B * T, C]) as tf.Tensor2D; // [B·T, C]
    return { y: this.linear(y, `h.${i}.attn.c_proj`, ctx), kv: { k, v } };
  }

  /** The MLP of block i: c_proj(act(c_fc(x))).  [B·T, C] → [B·T, C] */
  private mlp(x: tf.Tensor2D, i: number, ctx: Ctx): tf.Tensor2D {
    const hdn = this.act(this.linear(x, `h.${i}.mlp.c_fc`, ctx)); // [B·T, 4C]
    return this.linear(hdn, `h.${i}.mlp.c_proj`, ctx); // [B·T, C]
  }

  /**
   * The transformer trunk: embeddings, blocks, ln_f. ids and positions [B, T] int32; bias [B, 1, T, S] with
   * S = (cached length) + T. Returns the final hidden state [B·T, C] and every block's keys/values.
   */
  private trunk(ids: tf.Tensor2D, positions: tf.Tensor2D, bias: tf.Tensor4D, past: LayerKv[] | null, ctx: Ctx): { h: tf.Tensor2D; kv: LayerKv[] } {
    const [B, T] = ids.shape;
    const tok = embeddingLookup(this.p('wte.weight'), tf.reshape(ids, [B * T])); // [B·T, C]
    const pos = embeddingLookup(this.p('wpe.weight'), tf.reshape(positions, [B * T])); // [B·T, C]
    let x = this.dropout(tf.add(tok, pos), this.config.embd_pdrop, ctx) as tf.Tensor2D; // [B·T, C]
    const kv: LayerKv[] = [];
    for (let i = 0; i < this.config.n_layer; i++) {
      const a = this.attn(this.layerNorm(x, `h.${i}.ln_1`), i, B, T, bias, past ? past[i]! : null, ctx);
      x = tf.add(x, this.dropout(a.y, this.config.resid_pdrop, ctx)); // x = x + attn(ln_1(x))
      x = tf.add(x, this.dropout(this.mlp(this.layerNorm(x, `h.${i}.ln_2`), i, ctx), this.config.resid_pdrop, ctx)); // x = x + mlp(ln_2(x))
      kv.push(a.kv);
    }
    return { h: this.layerNorm(x, 'ln_f'), kv };
  }

  /**
   * Full forward pass.  ids [B, T] int32, mask [B, T] (1 token / 0 padding; default all ones).
   * The caller owns (and disposes) the returned tensors; call inside tf.tidy to free them with the step.
   */
  forward(ids: tf.Tensor2D, mask?: tf.Tensor2D, opts: ForwardOptions = {}): ForwardOutput {
    const [B, T] = this.checkIds(ids, mask);
    if (T > this.config.n_positions)
      throw new ShapeError(`Cannot forward a sequence of length ${T}, the model's context (n_positions) is only ${this.config.n_positions}`);
    const m = mask ? (mask.dataSync() as Float32Array | Int32Array) : undefined;
    const { positions, bias } = attentionInputs(B, T, m);
    const ctx = this.ctx(opts);
    const out = tf.tidy(() => {
      const posT = tf.tensor2d(positions, [B, T], 'int32');
      const biasT = tf.tensor4d(bias, [B, 1, T, T]);
      const { h } = this.trunk(ids, posT, biasT, null, ctx); // [B·T, C]
      const r = this.heads(h, this.p('wte.weight'), B, T, opts);
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
    if (keyMask.length !== B * S) throw new ShapeError(`GPT-2 step: keyMask must be [${B}, ${S}], got ${keyMask.length} values`);
    if (S > this.config.n_positions) throw new ShapeError(`Cannot attend over ${S} positions, the model's context (n_positions) is only ${this.config.n_positions}`);
    const bias = cachedAttentionBias(B, T, S, keyMask); // [B, T, S]
    const ctx = this.ctx(opts);
    return tf.tidy(() => {
      const posT = tf.tensor2d(positions, [B, T], 'int32');
      const biasT = tf.tensor4d(bias, [B, 1, T, S]);
      const { h, kv } = this.trunk(ids, posT, biasT, past, ctx); // [B·T, C]
      const C = this.config.n_embd;
      const last = tf.reshape(tf.slice(tf.reshape(h, [B, T, C]), [0, T - 1, 0], [B, 1, C]), [B, C]); // [B, C]
      const logits = tf.matMul(last, this.p('wte.weight'), false, true) as tf.Tensor2D; // [B, V]
      const cache = kv.map((l) => ({ k: tf.keep(l.k), v: tf.keep(l.v) }));
      return { logits, cache };
    });
  }

  /** MLP width (for reports). */
  get innerDim(): number {
    return innerDim(this.config);
  }
}
