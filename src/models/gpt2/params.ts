/**
 * GPT-2 parameters under Hugging Face's names (GPT2Model, no `transformer.` prefix):
 *   wte.weight [V, C]   wpe.weight [P, C]
 *   h.{i}.ln_1.weight/bias [C]
 *   h.{i}.attn.c_attn.weight [C, 3C] .bias [3C]     (Conv1D: weight is [in, out], y = x W + b)
 *   h.{i}.attn.c_proj.weight [C, C]  .bias [C]
 *   h.{i}.ln_2.weight/bias [C]
 *   h.{i}.mlp.c_fc.weight [C, 4C]    .bias [4C]
 *   h.{i}.mlp.c_proj.weight [4C, C]  .bias [C]
 *   ln_f.weight/bias [C]
 * The LM head is tied: logits = ln_f(x) wteᵀ. Checkpoints of GPT2LMHeadModel carry a `transformer.` prefix and may
 * hold `lm_head.weight` (a copy of wte) and the causal-mask buffers `attn.bias` / `attn.masked_bias`; all accepted.
 */
import type { Rng } from '../../core/rng.js';
import type { NamedTensor } from '../../core/safetensors.js';
import { DataError } from '../../core/errors.js';
import type { LinearModule, LoraSites } from '../lora.js';
import { type Gpt2Config, innerDim } from './config.js';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** how a fresh model initialises it (HF GPT2PreTrainedModel._init_weights) */
  init: 'normal' | 'normal-scaled' | 'zeros' | 'ones';
}

/** Every parameter of the model, in a fixed order. */
export function paramSpecs(c: Gpt2Config): ParamSpec[] {
  const C = c.n_embd;
  const I = innerDim(c);
  const out: ParamSpec[] = [
    { name: 'wte.weight', shape: [c.vocab_size, C], init: 'normal' },
    { name: 'wpe.weight', shape: [c.n_positions, C], init: 'normal' },
  ];
  for (let i = 0; i < c.n_layer; i++) {
    const h = `h.${i}`;
    out.push(
      { name: `${h}.ln_1.weight`, shape: [C], init: 'ones' },
      { name: `${h}.ln_1.bias`, shape: [C], init: 'zeros' },
      { name: `${h}.attn.c_attn.weight`, shape: [C, 3 * C], init: 'normal' },
      { name: `${h}.attn.c_attn.bias`, shape: [3 * C], init: 'zeros' },
      { name: `${h}.attn.c_proj.weight`, shape: [C, C], init: 'normal-scaled' },
      { name: `${h}.attn.c_proj.bias`, shape: [C], init: 'zeros' },
      { name: `${h}.ln_2.weight`, shape: [C], init: 'ones' },
      { name: `${h}.ln_2.bias`, shape: [C], init: 'zeros' },
      { name: `${h}.mlp.c_fc.weight`, shape: [C, I], init: 'normal' },
      { name: `${h}.mlp.c_fc.bias`, shape: [I], init: 'zeros' },
      { name: `${h}.mlp.c_proj.weight`, shape: [I, C], init: 'normal-scaled' },
      { name: `${h}.mlp.c_proj.bias`, shape: [C], init: 'zeros' },
    );
  }
  out.push({ name: 'ln_f.weight', shape: [C], init: 'ones' }, { name: 'ln_f.bias', shape: [C], init: 'zeros' });
  return out;
}

/** Number of values in a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Fresh weights as in HF: normal(0, initializer_range) for matrices and embeddings, the residual projections
 * (c_proj) scaled by 1/sqrt(2·n_layer) (GPT-2 paper §2.3), LayerNorm γ = 1, β = 0, biases 0. All draws from `rng`.
 */
export function initParams(c: Gpt2Config, rng: Rng): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const std = c.initializer_range;
  for (const s of paramSpecs(c)) {
    const n = sizeOf(s.shape);
    let data: Float32Array;
    switch (s.init) {
      case 'normal':
        data = rng.normalArray(n, std);
        break;
      case 'normal-scaled':
        data = rng.normalArray(n, std / Math.sqrt(2 * c.n_layer));
        break;
      case 'zeros':
        data = new Float32Array(n);
        break;
      case 'ones':
        data = new Float32Array(n).fill(1);
        break;
    }
    out.set(s.name, data);
  }
  return out;
}

const IGNORED = /^(h\.\d+\.attn\.(bias|masked_bias))$/;

/** Splits a checkpoint's tensors into GPT-2 parameters (prefix stripped) and extra tensors (value head, …). */
export function paramsFromCheckpoint(
  c: Gpt2Config,
  tensors: Map<string, NamedTensor>,
  source: string,
): { params: Map<string, Float32Array>; extra: Map<string, NamedTensor> } {
  const specs = new Map(paramSpecs(c).map((s) => [s.name, s]));
  const params = new Map<string, Float32Array>();
  const extra = new Map<string, NamedTensor>();
  let lmHead: NamedTensor | undefined;
  for (const [raw, t] of tensors) {
    const name = raw.startsWith('transformer.') ? raw.slice('transformer.'.length) : raw;
    if (name === 'lm_head.weight') {
      lmHead = t;
      continue;
    }
    if (IGNORED.test(name)) continue;
    const spec = specs.get(name);
    if (!spec) {
      extra.set(raw, t);
      continue;
    }
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i]))
      throw new DataError(`${source}: tensor "${raw}" has shape [${t.shape.join(', ')}] but config.json implies [${spec.shape.join(', ')}]`);
    if (!(t.data instanceof Float32Array)) throw new DataError(`${source}: tensor "${raw}" must be a float tensor, got ${t.dtype}`);
    params.set(name, t.data);
  }
  const missing = [...specs.keys()].filter((n) => !params.has(n));
  if (missing.length)
    throw new DataError(
      `${source}: missing ${missing.length} GPT-2 tensor(s), e.g. ${missing.slice(0, 4).join(', ')} (names are Hugging Face's, optionally prefixed by "transformer.")`,
    );
  if (lmHead) {
    // tied embeddings: a separate lm_head must equal wte, otherwise we would silently compute a different model
    const wte = params.get('wte.weight')!;
    const d = lmHead.data;
    let same = d.length === wte.length;
    for (let i = 0; same && i < d.length; i += 997) same = d[i] === wte[i];
    if (!same) throw new DataError(`${source}: lm_head.weight differs from wte.weight; rlhfkit's GPT-2 ties the output embedding to the input one`);
  }
  return { params, extra };
}

/** Every linear (Conv1D) module of a GPT-2 with its [in, out] sizes. */
export function linearModules(c: Gpt2Config): LinearModule[] {
  const C = c.n_embd;
  const I = innerDim(c);
  const out: LinearModule[] = [];
  for (let i = 0; i < c.n_layer; i++) {
    out.push(
      { name: `h.${i}.attn.c_attn`, inDim: C, outDim: 3 * C },
      { name: `h.${i}.attn.c_proj`, inDim: C, outDim: C },
      { name: `h.${i}.mlp.c_fc`, inDim: C, outDim: I },
      { name: `h.${i}.mlp.c_proj`, inDim: I, outDim: C },
    );
  }
  return out;
}

/** Where LoRA goes in a GPT-2: its Conv1D modules (weights [in, out]), under `transformer.` in HF checkpoints. */
export function gpt2LoraSites(c: Gpt2Config): LoraSites {
  return {
    architecture: 'GPT-2',
    modules: linearModules(c),
    checkpointPrefix: 'transformer.',
    fanInFanOut: true,
    hint: 'c_attn, c_proj, c_fc, attn.c_proj or mlp.c_proj',
  };
}
