/**
 * GPT-2 configuration, field-compatible with Hugging Face's `GPT2Config` (`config.json`): a checkpoint saved by
 * `transformers` loads here, and our `config.json` loads in `transformers` (model_type "gpt2").
 */
import { ConfigError, DataError } from '../../core/errors.js';

/** The fields we read from and write to config.json (Hugging Face names). */
export interface Gpt2Config {
  /** vocabulary size V (GPT-2: 50257) */
  vocab_size: number;
  /** context length: the number of learned positions (GPT-2: 1024) */
  n_positions: number;
  /** width C of the residual stream (GPT-2 small: 768) */
  n_embd: number;
  /** number of transformer blocks (GPT-2 small: 12) */
  n_layer: number;
  /** attention heads per block; n_embd must be divisible by it (GPT-2 small: 12) */
  n_head: number;
  /** width of the MLP's hidden layer; null means 4 × n_embd (as in HF) */
  n_inner: number | null;
  /** ε of every LayerNorm (GPT-2: 1e-5) */
  layer_norm_epsilon: number;
  /** MLP activation; GPT-2 uses "gelu_new" (the tanh approximation) */
  activation_function: 'gelu_new' | 'gelu' | 'gelu_pytorch_tanh' | 'relu';
  /** dropout after embeddings, attention probabilities and residual branches (GPT-2: 0.1; 0 here by default) */
  embd_pdrop: number;
  attn_pdrop: number;
  resid_pdrop: number;
  /** std of the normal initialisation (GPT-2: 0.02) */
  initializer_range: number;
  /** divide attention scores by sqrt(head size) (GPT-2: true) */
  scale_attn_weights: boolean;
  /** id of `<|endoftext|>` (GPT-2: 50256) */
  bos_token_id: number;
  eos_token_id: number;
}

export const GPT2_SMALL: Gpt2Config = {
  vocab_size: 50257,
  n_positions: 1024,
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  n_inner: null,
  layer_norm_epsilon: 1e-5,
  activation_function: 'gelu_new',
  embd_pdrop: 0.1,
  attn_pdrop: 0.1,
  resid_pdrop: 0.1,
  initializer_range: 0.02,
  scale_attn_weights: true,
  bos_token_id: 50256,
  eos_token_id: 50256,
};

const ACTIVATIONS = ['gelu_new', 'gelu', 'gelu_pytorch_tanh', 'relu'] as const;

/** Hidden width of the MLP. */
export function innerDim(c: Gpt2Config): number {
  return c.n_inner ?? 4 * c.n_embd;
}

function posInt(key: string, v: unknown, src: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ConfigError(key, `${src}: ${key} must be an integer ≥ 1, got ${JSON.stringify(v)}`);
  return v;
}

function prob(key: string, v: unknown, src: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new ConfigError(key, `${src}: ${key} must be a number in [0, 1), got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Validates a (partial) config and fills defaults. Unknown HF fields (architectures, task_specific_params, …) are
 * ignored; fields that would change the computation in ways we do not implement are rejected.
 */
export function resolveGpt2Config(raw: Partial<Record<keyof Gpt2Config, unknown>> & Record<string, unknown>, src = 'config'): Gpt2Config {
  const d = { ...GPT2_SMALL, embd_pdrop: 0, attn_pdrop: 0, resid_pdrop: 0 };
  const get = <K extends keyof Gpt2Config>(k: K): unknown => (raw[k] === undefined ? d[k] : raw[k]);
  // HF also accepts the aliases n_ctx (old checkpoints) and hidden_size etc.; n_ctx must agree with n_positions
  const n_embd = posInt('n_embd', get('n_embd'), src);
  const n_head = posInt('n_head', get('n_head'), src);
  if (n_embd % n_head !== 0) throw new ConfigError('n_head', `${src}: n_embd (${n_embd}) must be divisible by n_head (${n_head})`);
  const act = get('activation_function');
  if (!ACTIVATIONS.includes(act as (typeof ACTIVATIONS)[number]))
    throw new ConfigError('activation_function', `${src}: activation_function must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(act)}`);
  const eps = get('layer_norm_epsilon');
  if (typeof eps !== 'number' || !(eps > 0 && eps < 1)) throw new ConfigError('layer_norm_epsilon', `${src}: layer_norm_epsilon must be in (0, 1), got ${JSON.stringify(eps)}`);
  const init = get('initializer_range');
  if (typeof init !== 'number' || !(init > 0)) throw new ConfigError('initializer_range', `${src}: initializer_range must be > 0, got ${JSON.stringify(init)}`);
  const inner = raw.n_inner === undefined || raw.n_inner === null ? null : posInt('n_inner', raw.n_inner, src);
  const vocab_size = posInt('vocab_size', get('vocab_size'), src);
  const eosRaw = raw.eos_token_id === undefined ? Math.min(d.eos_token_id, vocab_size - 1) : raw.eos_token_id;
  const bosRaw = raw.bos_token_id === undefined ? eosRaw : raw.bos_token_id;
  for (const [k, v] of [['eos_token_id', eosRaw], ['bos_token_id', bosRaw]] as const)
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= vocab_size)
      throw new ConfigError(k, `${src}: ${k} must be an integer in [0, vocab_size=${vocab_size}), got ${JSON.stringify(v)}`);
  for (const k of ['scale_attn_by_inverse_layer_idx', 'reorder_and_upcast_attn', 'add_cross_attention'] as const)
    if (raw[k] === true) throw new ConfigError(k, `${src}: ${k}=true is not supported by rlhfkit's GPT-2`);
  const scale = get('scale_attn_weights');
  if (typeof scale !== 'boolean') throw new ConfigError('scale_attn_weights', `${src}: scale_attn_weights must be a boolean`);
  const c: Gpt2Config = {
    vocab_size,
    n_positions: posInt('n_positions', get('n_positions'), src),
    n_embd,
    n_layer: posInt('n_layer', get('n_layer'), src),
    n_head,
    n_inner: inner,
    layer_norm_epsilon: eps,
    activation_function: act as Gpt2Config['activation_function'],
    embd_pdrop: prob('embd_pdrop', get('embd_pdrop'), src),
    attn_pdrop: prob('attn_pdrop', get('attn_pdrop'), src),
    resid_pdrop: prob('resid_pdrop', get('resid_pdrop'), src),
    initializer_range: init,
    scale_attn_weights: scale,
    bos_token_id: bosRaw as number,
    eos_token_id: eosRaw as number,
  };
  if (raw.n_ctx !== undefined && raw.n_ctx !== c.n_positions)
    throw new ConfigError('n_ctx', `${src}: n_ctx (${String(raw.n_ctx)}) differs from n_positions (${c.n_positions})`);
  return c;
}

/** Validates the parsed contents of a `config.json` (load.ts reads the file); `source` names it in errors. */
export function gpt2ConfigFromJson(raw: unknown, source: string): Gpt2Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new DataError(`${source}: config.json must hold a JSON object`);
  const obj = raw as Record<string, unknown>;
  if (obj.model_type !== undefined && obj.model_type !== 'gpt2')
    throw new DataError(`${source}: model_type is "${String(obj.model_type)}"; rlhfkit loads GPT-2 checkpoints only (model_type "gpt2")`);
  return resolveGpt2Config(obj, source);
}

/** The contents of `config.json` in Hugging Face's layout (loadable by GPT2LMHeadModel.from_pretrained). */
export function gpt2ConfigJson(c: Gpt2Config, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_ctx: c.n_positions, ...c, tie_word_embeddings: true, ...extra };
}
