/**
 * What every decoder-only language model here shares, whatever its blocks: base weights under HF names, LoRA
 * adapters (switchable per call: off = the reference policy), TRL's value head, the LM head over the final hidden state,
 * the input checks, and the bookkeeping (trainable variables, parameter arrays, dispose). GPT-2 (gpt2/model.ts) and the
 * Llama family (llama/model.ts) extend it with their embeddings, blocks and attention.
 */
import { tf } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { ShapeError } from '../core/errors.js';
import type { ForwardOptions, ForwardOutput } from './causalLm.js';
import { variableFrom } from './layers.js';
import { LoraAdapters, type LoraConfig, type LoraSites, resolveLoraConfig } from './lora.js';
import { applyValueHead, createValueHead, disposeValueHead, type ValueHead, type ValueHeadArrays } from './valueHead.js';
import { registerMissingWasmKernels } from './kernels.js';

/** Per-call context threaded through the blocks. */
export interface Ctx {
  adapters: boolean;
  training: boolean;
  rng: Rng | undefined;
}

export abstract class DecoderLm {
  /** base weights under HF names */
  readonly params: Map<string, tf.Variable>;
  /** LoRA adapters, when added */
  lora: LoraAdapters | null = null;
  /** TRL's ValueHead: v = h wᵀ + b, w [1, C] ("v_head.summary.weight"), b [1] (valueHead.ts) */
  valueHead: ValueHead | null = null;

  /**
   * @param label the architecture's name in error messages ("GPT-2", "Llama")
   * @param specs every base parameter's HF name and shape; `arrays` must hold each, with that many values
   */
  protected constructor(
    protected readonly label: string,
    specs: ReadonlyArray<{ name: string; shape: number[] }>,
    arrays: Map<string, Float32Array>,
  ) {
    registerMissingWasmKernels();
    this.params = new Map();
    for (const s of specs) {
      const data = arrays.get(s.name);
      if (!data) throw new ShapeError(`${label}: no data for parameter ${s.name}`);
      if (data.length !== s.shape.reduce((a, b) => a * b, 1)) throw new ShapeError(`${label}: parameter ${s.name} has ${data.length} values, expected [${s.shape}]`);
      this.params.set(s.name, variableFrom(data, s.shape));
    }
  }

  abstract get vocabSize(): number;
  abstract get contextLength(): number;
  abstract get hiddenSize(): number;
  /** σ of the normal the value head's weight is drawn from (the config's initializer_range) */
  protected abstract get initializerRange(): number;
  /** the linear modules LoRA can adapt, in PEFT's layout */
  abstract loraSites(): LoraSites;
  /** the modules adapted when no targetModules are given (default: the sites' own default) */
  protected readonly defaultLoraTargets: readonly string[] | undefined = undefined;

  /** Adds fresh LoRA adapters (B = 0: the model's outputs do not change). Replaces existing ones. */
  addLora(partial: Partial<LoraConfig>, rng: Rng): LoraAdapters {
    this.lora?.dispose();
    const sites = this.loraSites();
    const targets = partial.targetModules ?? this.defaultLoraTargets;
    this.lora = LoraAdapters.create(sites, resolveLoraConfig(targets ? { ...partial, targetModules: [...targets] } : partial, sites), rng);
    return this.lora;
  }

  /** Adds a scalar value head: weight ~ N(0, initializer_range) drawn from an Rng and bias 0, or given arrays. */
  addValueHead(init: Rng | ValueHeadArrays): void {
    disposeValueHead(this.valueHead);
    this.valueHead = null;
    this.valueHead = createValueHead(this.hiddenSize, init, this.initializerRange);
  }

  protected p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new ShapeError(`${this.label}: no parameter ${name}`);
    return v;
  }

  protected dropout(x: tf.Tensor, rate: number, ctx: Ctx): tf.Tensor {
    if (!ctx.training || rate <= 0) return x;
    if (!ctx.rng) throw new ShapeError(`${this.label}: training with dropout needs an Rng (ForwardOptions.rng)`);
    return tf.dropout(x, rate, undefined, ctx.rng.nextUint32());
  }

  /** The LoRA update of a linear module: (α/r) dropout(x) Aᵀ Bᵀ added to y.  x [N, in], y [N, out] */
  protected withLora(y: tf.Tensor2D, x: tf.Tensor2D, module: string, ctx: Ctx): tf.Tensor2D {
    const pair = ctx.adapters ? this.lora?.get(module) : undefined;
    if (!pair || !this.lora) return y;
    const xd = this.dropout(x, this.lora.config.dropout, ctx) as tf.Tensor2D; // [N, in]
    const down = tf.matMul(xd, pair.A, false, true); // [N, r]
    const up = tf.matMul(down, pair.B, false, true); // [N, out]
    return tf.add(y, tf.mul(up, this.lora.scale)) as tf.Tensor2D;
  }

  protected ctx(opts: ForwardOptions): Ctx {
    return { adapters: opts.adapters ?? this.lora !== null, training: opts.training ?? false, rng: opts.rng };
  }

  protected checkIds(ids: tf.Tensor, mask?: tf.Tensor): [number, number] {
    if (ids.rank !== 2) throw new ShapeError(`${this.label} forward: ids must be [B, T], got shape [${ids.shape}]`);
    if (ids.dtype !== 'int32') throw new ShapeError(`${this.label} forward: ids must be int32, got ${ids.dtype}`);
    const [B, T] = ids.shape as [number, number];
    if (mask && (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== T))
      throw new ShapeError(`${this.label} forward: mask must have the shape of ids [${B}, ${T}], got [${mask.shape}]`);
    // an id outside the vocabulary would read past the embedding table (wasm's gather does not check)
    const V = this.vocabSize;
    const data = ids.dataSync();
    for (let i = 0; i < data.length; i++)
      if (!(data[i]! >= 0 && data[i]! < V)) throw new ShapeError(`${this.label} forward: token id ${data[i]} is outside the vocabulary [0, ${V}) (a tokenizer/model mismatch?)`);
    return [B, T];
  }

  /** LM head (h Wᵀ, W [V, C] the output embedding) and value head on the final hidden state h [B·T, C]. */
  protected heads(h: tf.Tensor2D, headWeight: tf.Tensor, B: number, T: number, opts: ForwardOptions): ForwardOutput {
    const C = this.hiddenSize;
    const V = this.vocabSize;
    const hidden = tf.reshape(h, [B, T, C]) as tf.Tensor3D; // [B, T, C]
    let logits: tf.Tensor3D;
    if (opts.noLogits) logits = tf.zeros([B, 0, V]);
    else {
      const n = Math.min(T, opts.logitsLast ?? T);
      if (!(n >= 1)) throw new ShapeError(`${this.label} forward: logitsLast must be ≥ 1, got ${opts.logitsLast}`);
      const hl = n === T ? h : (tf.reshape(tf.slice(hidden, [0, T - n, 0], [B, n, C]), [B * n, C]) as tf.Tensor2D); // [B·n, C]
      logits = tf.reshape(tf.matMul(hl, headWeight, false, true), [B, n, V]) as tf.Tensor3D; // [B, n, V] = h Wᵀ
    }
    let values: tf.Tensor2D | null = null;
    if (this.valueHead) values = tf.reshape(applyValueHead(this.valueHead, h), [B, T]) as tf.Tensor2D; // [B, T] = h wᵀ + b
    return { logits, values, hidden };
  }

  /**
   * Trainable variables: 'lora' = LoRA adapters + value head (the base weights stay frozen, and shared with the
   * reference policy); 'full' = every base weight + value head (+ adapters if present).
   */
  trainableVariables(mode: 'lora' | 'full'): tf.Variable[] {
    const vh = this.valueHead ? [this.valueHead.weight, this.valueHead.bias] : [];
    if (mode === 'lora') {
      if (!this.lora) throw new ShapeError("trainableVariables('lora'): the model has no LoRA adapters; call addLora first");
      return [...this.lora.variables(), ...vh];
    }
    return [...this.params.values(), ...vh, ...(this.lora?.variables() ?? [])];
  }

  /** Number of base parameters (tied embeddings counted once). */
  numParams(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** Base weights as plain arrays under HF names (for saving). */
  paramArrays(): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, v] of this.params) out.set(name, { shape: v.shape, data: v.dataSync() as Float32Array });
    return out;
  }

  /** Frees every variable of the model. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
    this.lora?.dispose();
    this.lora = null;
    disposeValueHead(this.valueHead);
    this.valueHead = null;
  }
}
