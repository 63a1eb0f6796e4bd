/**
 * Llama-family configuration, field-compatible with Hugging Face's `LlamaConfig` (model_type "llama": Llama 2/3,
 * SmolLM2, TinyLlama, …) and `Qwen2Config` (model_type "qwen2": Qwen2, Qwen2.5). A checkpoint's `config.json`
 * loads here; `llamaConfigJson` writes one `transformers` loads.
 *
 * The two families differ only in their biases: Llama's `attention_bias` puts a bias on q, k, v AND o_proj
 * (`mlp_bias` on gate/up/down); Qwen2 always has q/k/v biases and none on o_proj (Qwen2Config has no such field).
 */
import { ConfigError, DataError } from '../../core/errors.js';

/** Llama 3's frequency-dependent RoPE scaling (HF `rope_type: "llama3"`, `_compute_llama3_parameters`). */
export interface Llama3RopeScaling {
  rope_type: 'llama3';
  /** s: low frequencies are divided by it (Llama 3.1: 8) */
  factor: number;
  /** wavelengths above original_max_position_embeddings / low_freq_factor are fully scaled (Llama 3.1: 1) */
  low_freq_factor: number;
  /** wavelengths below original_max_position_embeddings / high_freq_factor are kept (Llama 3.1: 4) */
  high_freq_factor: number;
  /** the context length the model was pretrained on (Llama 3.1: 8192) */
  original_max_position_embeddings: number;
}

/** Position interpolation: every frequency divided by `factor` (HF `rope_type: "linear"`). */
export interface LinearRopeScaling {
  rope_type: 'linear';
  factor: number;
}

export type RopeScaling = Llama3RopeScaling | LinearRopeScaling;

/** The fields we read from and write to config.json (Hugging Face names). */
export interface LlamaConfig {
  /** "llama" or "qwen2": which bias layout (see above) and which name config.json carries */
  model_type: 'llama' | 'qwen2';
  /** vocabulary size V (rows of embed_tokens; may exceed the tokenizer's ids, as in Qwen2.5) */
  vocab_size: number;
  /** width C of the residual stream (SmolLM2-135M: 576) */
  hidden_size: number;
  /** width of the SwiGLU MLP's hidden layer (SmolLM2-135M: 1536) */
  intermediate_size: number;
  /** number of decoder blocks L */
  num_hidden_layers: number;
  /** query heads nh */
  num_attention_heads: number;
  /** key/value heads n_kv (grouped-query attention; = nh is plain multi-head, 1 is multi-query); nh % n_kv = 0 */
  num_key_value_heads: number;
  /** width of one head d (default hidden_size / num_attention_heads) */
  head_dim: number;
  /** MLP activation: only "silu" (SwiGLU) */
  hidden_act: 'silu';
  /** the most positions a sequence may span */
  max_position_embeddings: number;
  /** ε of every RMSNorm (Llama 2: 1e-5, Llama 3 / Qwen2: 1e-6) */
  rms_norm_eps: number;
  /** θ, the RoPE base: inv_freq_i = θ^(−2i/d) (Llama 2: 1e4, Llama 3: 5e5) */
  rope_theta: number;
  /** frequency scaling of RoPE, or null */
  rope_scaling: RopeScaling | null;
  /** the LM head reuses embed_tokens (logits = h Eᵀ); false = a separate lm_head.weight */
  tie_word_embeddings: boolean;
  /** biases on q/k/v (Llama: and o_proj) */
  attention_bias: boolean;
  /** biases on gate/up/down_proj (Llama only) */
  mlp_bias: boolean;
  /** dropout on the attention probabilities while training (default 0) */
  attention_dropout: number;
  /** std of the normal initialisation (0.02) */
  initializer_range: number;
  /** id of the beginning-of-sequence token, or null */
  bos_token_id: number | null;
  /** end-of-sequence id(s): the first is the model's eosId, every one stops generation (Llama 3.1 lists three) */
  eos_token_id: number[];
  /** padding id, or null (generation then pads with the first EOS) */
  pad_token_id: number | null;
}

/** Hugging Face's LlamaConfig defaults (a field missing from config.json takes these). */
export const LLAMA_DEFAULTS: LlamaConfig = {
  model_type: 'llama',
  vocab_size: 32000,
  hidden_size: 4096,
  intermediate_size: 11008,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 32,
  head_dim: 128,
  hidden_act: 'silu',
  max_position_embeddings: 2048,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  rope_scaling: null,
  tie_word_embeddings: false,
  attention_bias: false,
  mlp_bias: false,
  attention_dropout: 0,
  initializer_range: 0.02,
  bos_token_id: 1,
  eos_token_id: [2],
  pad_token_id: null,
};

/** Hugging Face's Qwen2Config defaults. */
export const QWEN2_DEFAULTS: LlamaConfig = {
  ...LLAMA_DEFAULTS,
  model_type: 'qwen2',
  vocab_size: 151936,
  intermediate_size: 22016,
  max_position_embeddings: 32768,
  attention_bias: true,
  bos_token_id: null,
  eos_token_id: [],
};

/** SmolLM2-135M's shape (HuggingFaceTB/SmolLM2-135M config.json): the benchmark's model. */
export const SMOLLM2_135M: LlamaConfig = {
  ...LLAMA_DEFAULTS,
  vocab_size: 49152,
  hidden_size: 576,
  intermediate_size: 1536,
  num_hidden_layers: 30,
  num_attention_heads: 9,
  num_key_value_heads: 3,
  head_dim: 64,
  max_position_embeddings: 8192,
  rms_norm_eps: 1e-5,
  rope_theta: 100000,
  tie_word_embeddings: true,
  initializer_range: 0.041666666666666664,
  bos_token_id: 0,
  eos_token_id: [0],
};

type Raw = Record<string, unknown>;

function posInt(key: string, v: unknown, src: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ConfigError(key, `${src}: ${key} must be an integer ≥ 1, got ${JSON.stringify(v)}`);
  return v;
}

function posNum(key: string, v: unknown, src: string): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new ConfigError(key, `${src}: ${key} must be a number > 0, got ${JSON.stringify(v)}`);
  return v;
}

function bool(key: string, v: unknown, src: string): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(key, `${src}: ${key} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function tokenId(key: string, v: unknown, V: number, src: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= V)
    throw new ConfigError(key, `${src}: ${key} must be an integer in [0, vocab_size=${V}), got ${JSON.stringify(v)}`);
  return v;
}

/** `rope_scaling` (HF ≤ 4.4x writes `type`, later `rope_type`; "default" or null means none). */
function ropeScaling(v: unknown, src: string): RopeScaling | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError('rope_scaling', `${src}: rope_scaling must be an object or null`);
  const r = v as Raw;
  const type = r.rope_type ?? r.type;
  if (type === 'default') return null;
  if (type === 'linear') return { rope_type: 'linear', factor: posNum('rope_scaling.factor', r.factor, src) };
  if (type === 'llama3') {
    const s: Llama3RopeScaling = {
      rope_type: 'llama3',
      factor: posNum('rope_scaling.factor', r.factor, src),
      low_freq_factor: posNum('rope_scaling.low_freq_factor', r.low_freq_factor, src),
      high_freq_factor: posNum('rope_scaling.high_freq_factor', r.high_freq_factor, src),
      original_max_position_embeddings: posInt('rope_scaling.original_max_position_embeddings', r.original_max_position_embeddings, src),
    };
    if (!(s.high_freq_factor > s.low_freq_factor))
      throw new ConfigError('rope_scaling', `${src}: rope_scaling.high_freq_factor (${s.high_freq_factor}) must exceed low_freq_factor (${s.low_freq_factor})`);
    return s;
  }
  throw new ConfigError('rope_scaling', `${src}: rope_scaling type ${JSON.stringify(type)} is not supported (supported: default, linear, llama3)`);
}

/**
 * Validates a (partial) config in Hugging Face's names and fills the family's defaults. Unknown HF fields
 * (architectures, torch_dtype, use_cache, …) are ignored; fields that would change the computation in ways we do
 * not implement (another activation, sliding-window attention, another RoPE type) are refused.
 */
export function resolveLlamaConfig(raw: Raw, src = 'config'): LlamaConfig {
  const type = raw.model_type ?? 'llama';
  if (type !== 'llama' && type !== 'qwen2') throw new ConfigError('model_type', `${src}: model_type must be "llama" or "qwen2", got ${JSON.stringify(type)}`);
  const d = type === 'qwen2' ? QWEN2_DEFAULTS : LLAMA_DEFAULTS;
  // newer transformers nest rope_theta inside rope_parameters
  const ropeParams = raw.rope_parameters && typeof raw.rope_parameters === 'object' ? (raw.rope_parameters as Raw) : undefined;
  const get = (k: keyof LlamaConfig): unknown => (raw[k] === undefined ? d[k] : raw[k]);
  const hidden_size = posInt('hidden_size', get('hidden_size'), src);
  const num_attention_heads = posInt('num_attention_heads', get('num_attention_heads'), src);
  const num_key_value_heads = posInt('num_key_value_heads', raw.num_key_value_heads ?? num_attention_heads, src);
  if (num_attention_heads % num_key_value_heads !== 0)
    throw new ConfigError('num_key_value_heads', `${src}: num_attention_heads (${num_attention_heads}) must be a multiple of num_key_value_heads (${num_key_value_heads})`);
  if (raw.head_dim === undefined || raw.head_dim === null) {
    if (hidden_size % num_attention_heads !== 0)
      throw new ConfigError('num_attention_heads', `${src}: hidden_size (${hidden_size}) must be divisible by num_attention_heads (${num_attention_heads}), or give head_dim`);
  }
  const head_dim = posInt('head_dim', raw.head_dim ?? hidden_size / num_attention_heads, src);
  if (head_dim % 2 !== 0) throw new ConfigError('head_dim', `${src}: head_dim must be even for rotary embeddings, got ${head_dim}`);
  const act = get('hidden_act');
  if (act !== 'silu') throw new ConfigError('hidden_act', `${src}: hidden_act must be "silu" (SwiGLU), got ${JSON.stringify(act)}`);
  if (raw.use_sliding_window === true) throw new ConfigError('use_sliding_window', `${src}: sliding-window attention (use_sliding_window: true) is not supported`);
  if (raw.partial_rotary_factor !== undefined && raw.partial_rotary_factor !== 1)
    throw new ConfigError('partial_rotary_factor', `${src}: partial_rotary_factor must be 1, got ${JSON.stringify(raw.partial_rotary_factor)}`);
  const vocab_size = posInt('vocab_size', get('vocab_size'), src);
  const eosRaw = get('eos_token_id');
  const eosList = eosRaw === null ? [] : Array.isArray(eosRaw) ? eosRaw : [eosRaw];
  const eos_token_id = eosList.map((e, i) => tokenId(`eos_token_id[${i}]`, e, vocab_size, src));
  const bosRaw = get('bos_token_id');
  const padRaw = get('pad_token_id');
  const dropout = get('attention_dropout');
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1))
    throw new ConfigError('attention_dropout', `${src}: attention_dropout must be in [0, 1), got ${JSON.stringify(dropout)}`);
  const eps = posNum('rms_norm_eps', get('rms_norm_eps'), src);
  const c: LlamaConfig = {
    model_type: type,
    vocab_size,
    hidden_size,
    intermediate_size: posInt('intermediate_size', get('intermediate_size'), src),
    num_hidden_layers: posInt('num_hidden_layers', get('num_hidden_layers'), src),
    num_attention_heads,
    num_key_value_heads,
    head_dim,
    hidden_act: 'silu',
    max_position_embeddings: posInt('max_position_embeddings', get('max_position_embeddings'), src),
    rms_norm_eps: eps,
    rope_theta: posNum('rope_theta', raw.rope_theta ?? ropeParams?.rope_theta ?? d.rope_theta, src),
    rope_scaling: ropeScaling(raw.rope_scaling ?? ropeParams, src),
    tie_word_embeddings: bool('tie_word_embeddings', get('tie_word_embeddings'), src),
    // Qwen2 always has q/k/v biases (its config has no switch)
    attention_bias: type === 'qwen2' ? true : bool('attention_bias', get('attention_bias'), src),
    mlp_bias: type === 'qwen2' ? false : bool('mlp_bias', get('mlp_bias'), src),
    attention_dropout: dropout,
    initializer_range: posNum('initializer_range', get('initializer_range'), src),
    bos_token_id: bosRaw === null ? null : tokenId('bos_token_id', bosRaw, vocab_size, src),
    eos_token_id,
    pad_token_id: padRaw === null ? null : tokenId('pad_token_id', padRaw, vocab_size, src),
  };
  return c;
}

/** Whether o_proj has a bias: Llama's attention_bias covers it, Qwen2's q/k/v biases do not. */
export function hasOutputBias(c: LlamaConfig): boolean {
  return c.model_type === 'llama' && c.attention_bias;
}

/** The model's end-of-sequence id: the first of eos_token_id (else pad, else bos, else 0). */
export function primaryEos(c: LlamaConfig): number {
  return c.eos_token_id[0] ?? c.pad_token_id ?? c.bos_token_id ?? 0;
}

/** Validates the parsed contents of a `config.json` (load.ts reads the file); `source` names it in errors. */
export function llamaConfigFromJson(raw: unknown, source: string): LlamaConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new DataError(`${source}: config.json must hold a JSON object`);
  const obj = raw as Raw;
  if (!isLlamaFamily(obj))
    throw new DataError(`${source}: model_type is ${JSON.stringify(obj.model_type)}; the Llama loader reads model_type "llama" or "qwen2" (LlamaForCausalLM, Qwen2ForCausalLM)`);
  return resolveLlamaConfig({ ...obj, model_type: obj.model_type ?? 'llama' }, source);
}

/** True when a parsed config.json describes a Llama-family model (by model_type, else by architectures). */
export function isLlamaFamily(obj: Raw): boolean {
  if (obj.model_type !== undefined) return obj.model_type === 'llama' || obj.model_type === 'qwen2';
  const arch = Array.isArray(obj.architectures) ? obj.architectures : [];
  return arch.some((a) => a === 'LlamaForCausalLM' || a === 'Qwen2ForCausalLM');
}

/** The contents of `config.json` in Hugging Face's layout (loadable by LlamaForCausalLM / Qwen2ForCausalLM). */
export function llamaConfigJson(c: LlamaConfig, extra: Raw = {}): Raw {
  const { eos_token_id, attention_bias, mlp_bias, ...rest } = c;
  const bias = c.model_type === 'llama' ? { attention_bias, mlp_bias } : {};
  return {
    architectures: [c.model_type === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    ...rest,
    ...bias,
    eos_token_id: eos_token_id.length === 1 ? eos_token_id[0] : eos_token_id,
    ...extra,
  };
}
