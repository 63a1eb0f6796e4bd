/**
 * Llama-family parameters under Hugging Face's names (LlamaForCausalLM / Qwen2ForCausalLM state dicts):
 *   model.embed_tokens.weight [V, C]
 *   model.layers.{i}.input_layernorm.weight [C]
 *   model.layers.{i}.self_attn.q_proj.weight [nh·d, C]   (.bias [nh·d] with attention_bias / Qwen2)
 *   model.layers.{i}.self_attn.k_proj.weight [n_kv·d, C] (.bias)
 *   model.layers.{i}.self_attn.v_proj.weight [n_kv·d, C] (.bias)
 *   model.layers.{i}.self_attn.o_proj.weight [C, nh·d]   (.bias with Llama's attention_bias)
 *   model.layers.{i}.post_attention_layernorm.weight [C]
 *   model.layers.{i}.mlp.gate_proj.weight [I, C]  up_proj.weight [I, C]  down_proj.weight [C, I]  (.bias with mlp_bias)
 *   model.norm.weight [C]
 *   lm_head.weight [V, C]   (absent when tie_word_embeddings: logits = h·embed_tokensᵀ)
 * Linear weights are nn.Linear's [out, in]: y = x Wᵀ + b. Checkpoints of the bare LlamaModel (no `model.` prefix)
 * and the rotary `inv_freq` buffers of older ones are accepted.
 */
import type { Rng } from '../../core/rng.js';
import type { NamedTensor } from '../../core/safetensors.js';
import { DataError } from '../../core/errors.js';
import type { LinearModule, LoraSites } from '../lora.js';
import { hasOutputBias, type LlamaConfig } from './config.js';

export interface LlamaParamSpec {
  name: string;
  shape: number[];
  /** how a fresh model initialises it (HF LlamaPreTrainedModel._init_weights: normal(0, initializer_range), norms 1, biases 0) */
  init: 'normal' | 'zeros' | 'ones';
}

/** The linear modules of block i with their [in, out] sizes, in a fixed order. */
function blockLinears(c: LlamaConfig, i: number): LinearModule[] {
  const C = c.hidden_size;
  const q = c.num_attention_heads * c.head_dim;
  const kv = c.num_key_value_heads * c.head_dim;
  const p = `model.layers.${i}`;
  return [
    { name: `${p}.self_attn.q_proj`, inDim: C, outDim: q },
    { name: `${p}.self_attn.k_proj`, inDim: C, outDim: kv },
    { name: `${p}.self_attn.v_proj`, inDim: C, outDim: kv },
    { name: `${p}.self_attn.o_proj`, inDim: q, outDim: C },
    { name: `${p}.mlp.gate_proj`, inDim: C, outDim: c.intermediate_size },
    { name: `${p}.mlp.up_proj`, inDim: C, outDim: c.intermediate_size },
    { name: `${p}.mlp.down_proj`, inDim: c.intermediate_size, outDim: C },
  ];
}

/** Whether a linear module of this config has a bias. */
export function linearHasBias(c: LlamaConfig, module: string): boolean {
  if (/self_attn\.[qkv]_proj$/.test(module)) return c.attention_bias;
  if (module.endsWith('self_attn.o_proj')) return hasOutputBias(c);
  return c.mlp_bias;
}

/** Every linear module of the model (what LoRA may adapt). */
export function llamaLinearModules(c: LlamaConfig): LinearModule[] {
  const out: LinearModule[] = [];
  for (let i = 0; i < c.num_hidden_layers; i++) out.push(...blockLinears(c, i));
  return out;
}

/** Every parameter of the model, in a fixed order. */
export function llamaParamSpecs(c: LlamaConfig): LlamaParamSpec[] {
  const C = c.hidden_size;
  const out: LlamaParamSpec[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocab_size, C], init: 'normal' }];
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    out.push({ name: `${p}.input_layernorm.weight`, shape: [C], init: 'ones' });
    for (const m of blockLinears(c, i)) {
      if (m.name.endsWith('mlp.gate_proj')) out.push({ name: `${p}.post_attention_layernorm.weight`, shape: [C], init: 'ones' });
      out.push({ name: `${m.name}.weight`, shape: [m.outDim, m.inDim], init: 'normal' });
      if (linearHasBias(c, m.name)) out.push({ name: `${m.name}.bias`, shape: [m.outDim], init: 'zeros' });
    }
  }
  out.push({ name: 'model.norm.weight', shape: [C], init: 'ones' });
  if (!c.tie_word_embeddings) out.push({ name: 'lm_head.weight', shape: [c.vocab_size, C], init: 'normal' });
  return out;
}

/** Fresh weights as in HF: normal(0, initializer_range) for matrices and embeddings, RMSNorm weights 1, biases 0. */
export function initLlamaParams(c: LlamaConfig, rng: Rng): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const s of llamaParamSpecs(c)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    out.set(s.name, s.init === 'normal' ? rng.normalArray(n, c.initializer_range) : new Float32Array(n).fill(s.init === 'ones' ? 1 : 0));
  }
  return out;
}

const IGNORED = /(^|\.)rotary_emb\.inv_freq$/;

/**
 * Splits a checkpoint's tensors into model parameters (HF names; a bare LlamaModel's names get the `model.` prefix)
 * and extra tensors (a value head, …). Shapes are checked against the config; `source` names the file in errors.
 */
export function llamaParamsFromCheckpoint(
  c: LlamaConfig,
  tensors: Map<string, NamedTensor>,
  source: string,
): { params: Map<string, Float32Array>; extra: Map<string, NamedTensor> } {
  const specs = new Map(llamaParamSpecs(c).map((s) => [s.name, s]));
  const params = new Map<string, Float32Array>();
  const extra = new Map<string, NamedTensor>();
  let lmHead: NamedTensor | undefined;
  for (const [raw, t] of tensors) {
    if (IGNORED.test(raw)) continue;
    const name = specs.has(raw) || raw === 'lm_head.weight' || !specs.has(`model.${raw}`) ? raw : `model.${raw}`;
    if (name === 'lm_head.weight' && c.tie_word_embeddings) {
      lmHead = t;
      continue;
    }
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
  if (missing.length) {
    const hint = missing.includes('lm_head.weight') ? ' (lm_head.weight is needed because tie_word_embeddings is false)' : '';
    throw new DataError(`${source}: missing ${missing.length} tensor(s), e.g. ${missing.slice(0, 4).join(', ')}${hint}; names are Hugging Face's (model.layers.N.self_attn.q_proj.weight, …)`);
  }
  if (lmHead) {
    // tied embeddings: a stored lm_head must equal embed_tokens, otherwise we would silently compute another model
    const emb = params.get('model.embed_tokens.weight')!;
    const d = lmHead.data;
    let same = d.length === emb.length;
    for (let i = 0; same && i < d.length; i += 997) same = d[i] === emb[i];
    if (!same) throw new DataError(`${source}: lm_head.weight differs from model.embed_tokens.weight but config.json says tie_word_embeddings: true`);
  }
  return { params, extra };
}

/** Where LoRA goes in a Llama-family model: any of q/k/v/o and gate/up/down projections (nn.Linear, [out, in]). */
export function llamaLoraSites(c: LlamaConfig): LoraSites {
  return {
    architecture: c.model_type === 'qwen2' ? 'Qwen2' : 'Llama',
    modules: llamaLinearModules(c),
    checkpointPrefix: '',
    fanInFanOut: false,
    hint: 'q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj or down_proj',
  };
}
