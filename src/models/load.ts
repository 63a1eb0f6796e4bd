/**
 * The file side of src/models (Node only: the one module here that touches the disk; everything else builds a
 * model from bytes and objects, so it also runs in a browser). Saving and loading checkpoints as Hugging Face does:
 * a directory with
 *   config.json               GPT2Config fields (gpt2/config.ts)
 *   model.safetensors         base weights under HF names (GPT2Model names; a `transformer.` prefix is accepted)
 *   tokenizer.json            which tokenizer the model uses (our own format, tokenizers/types.ts)
 * Llama-family directories (loadLlama: Llama, Qwen2, SmolLM2) hold config.json (model_type "llama" / "qwen2"),
 * model.safetensors or shards listed in model.safetensors.index.json (F32, or BF16/F16 widened), Hugging Face's
 * tokenizer.json + tokenizer_config.json (chat template; tokenizers/hf.ts), optionally chat_template.jinja.
 * `loadCausalLm` tells the two architectures apart by config.json's model_type / architectures.
 * and, when a policy was trained with them,
 *   adapter_config.json + adapter_model.safetensors   LoRA adapters in PEFT's layout (lora.ts)
 *   value_head.safetensors    v_head.summary.weight [1, C], v_head.summary.bias [1] (TRL's names, valueHead.ts)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../core/errors.js';
import { readSafetensors, writeSafetensors } from '../core/safetensors.js';
import type { CausalLm } from './causalLm.js';
import { type Gpt2Config, gpt2ConfigFromJson, gpt2ConfigJson } from './gpt2/config.js';
import { Gpt2 } from './gpt2/model.js';
import { LoraAdapters, type LoraSites } from './lora.js';
import { valueHeadFromTensors, valueHeadTensors } from './valueHead.js';
import { tokenizerFromModelJson } from './tokenizers/json.js';
import { HfTokenizer, isHfTokenizerJson } from './tokenizers/hf.js';
import { isLlamaFamily, type LlamaConfig, llamaConfigFromJson, llamaConfigJson } from './llama/config.js';
import { Llama } from './llama/model.js';
import type { NamedTensor } from '../core/safetensors.js';
import { Gpt2Tokenizer } from './tokenizers/tiktoken.js';
import type { Tokenizer } from './tokenizers/types.js';

/** Reads and validates `config.json`. */
export function readGpt2Config(path: string): Gpt2Config {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DataError(`cannot read GPT-2 config ${path}: ${(e as Error).message}`, { cause: e });
  }
  return gpt2ConfigFromJson(raw, path);
}

/** Writes `config.json` in Hugging Face's layout (loadable by GPT2LMHeadModel.from_pretrained). */
export function writeGpt2Config(path: string, c: Gpt2Config, extra: Record<string, unknown> = {}): void {
  writeFileSync(path, `${JSON.stringify(gpt2ConfigJson(c, extra), null, 2)}\n`);
}

/**
 * Loads config.json + model.safetensors from `dir` (plus adapters and value head when present).
 * Throws DataError naming the missing file or tensor.
 */
export function loadGpt2(dir: string): Gpt2 {
  const cfgPath = join(dir, 'config.json');
  const wPath = join(dir, 'model.safetensors');
  if (!existsSync(cfgPath)) throw new DataError(`${dir}: no config.json (a GPT-2 model directory holds config.json + model.safetensors)`);
  if (!existsSync(wPath))
    throw new DataError(`${dir}: no model.safetensors (PyTorch .bin checkpoints are not read; convert with safetensors' convert script or save_pretrained(safe_serialization=True))`);
  const config = readGpt2Config(cfgPath);
  const model = Gpt2.fromCheckpoint(config, readSafetensors(wPath).tensors, wPath);
  loadTrainable(dir, model);
  return model;
}

/** Writes config.json + model.safetensors (and adapters / value head if the model has them) into `dir`. */
export function saveGpt2(dir: string, model: Gpt2): void {
  mkdirSync(dir, { recursive: true });
  writeGpt2Config(join(dir, 'config.json'), model.config);
  writeSafetensors(join(dir, 'model.safetensors'), Object.fromEntries(model.paramArrays()), { format: 'pt' });
  saveTrainable(dir, model);
}

/** Writes only what a LoRA run trains: adapters (PEFT layout) and the value head. */
export function saveTrainable(dir: string, model: CausalLm): void {
  mkdirSync(dir, { recursive: true });
  if (model.lora) saveLora(dir, model.lora);
  if (model.valueHead) writeSafetensors(join(dir, 'value_head.safetensors'), valueHeadTensors(model.valueHead), { format: 'pt' });
}

/** Loads adapters and value head saved by `saveTrainable` into an existing model (replacing its own). */
export function loadTrainable(dir: string, model: CausalLm): void {
  if (existsSync(join(dir, 'adapter_config.json'))) {
    model.lora?.dispose();
    model.lora = loadLora(dir, model.loraSites());
  }
  const vhPath = join(dir, 'value_head.safetensors');
  if (existsSync(vhPath)) {
    const vh = valueHeadFromTensors(readSafetensors(vhPath).tensors, model.hiddenSize, vhPath);
    if (vh) model.addValueHead(vh);
  }
}

/** Writes adapter_config.json + adapter_model.safetensors (PEFT layout) into `dir`. */
export function saveLora(dir: string, adapters: LoraAdapters): void {
  const peft = adapters.toPeft();
  writeSafetensors(join(dir, 'adapter_model.safetensors'), peft.tensors, { format: 'pt' });
  writeFileSync(join(dir, 'adapter_config.json'), `${JSON.stringify(peft.config, null, 2)}\n`);
}

/** Reads adapters saved by `saveLora` (or by PEFT for the same architecture) from `dir`. */
export function loadLora(dir: string, sites: LoraSites): LoraAdapters {
  const cfgPath = join(dir, 'adapter_config.json');
  const wPath = join(dir, 'adapter_model.safetensors');
  if (!existsSync(cfgPath) || !existsSync(wPath)) throw new DataError(`${dir}: no LoRA adapters (adapter_config.json + adapter_model.safetensors)`);
  const raw = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
  return LoraAdapters.fromPeft(raw, readSafetensors(wPath).tensors, sites, { config: cfgPath, weights: wPath });
}

/** Writes tokenizer.json into a model directory. */
export function saveTokenizer(dir: string, tok: Tokenizer): void {
  writeFileSync(join(dir, 'tokenizer.json'), `${JSON.stringify(tok.toJSON())}\n`);
  if (tok instanceof HfTokenizer) {
    // a Hugging Face tokenizer keeps its special tokens and chat template beside tokenizer.json
    writeFileSync(join(dir, 'tokenizer_config.json'), `${JSON.stringify(tok.files.config, null, 2)}\n`);
    if (tok.files.chatTemplate !== undefined) writeFileSync(join(dir, 'chat_template.jinja'), tok.files.chatTemplate);
  }
}

/**
 * Finds the tokenizer of the model in `dir` whose config says `vocabSize`:
 *   1) tokenizer.json in rlhfkit's format (tokenizers/types.ts) → that tokenizer;
 *   2) Hugging Face GPT-2 files (a tokenizer.json of HF's format, or vocab.json + merges.txt) with a vocabulary of
 *      50257 → GPT-2 BPE through js-tiktoken (the same ranks);
 *   3) nothing, and the config's vocab_size is 50257 → GPT-2 BPE as well;
 *   4) any other Hugging Face tokenizer.json (Llama, Qwen2, SmolLM2, …) → HfTokenizer through @huggingface/tokenizers,
 *      with tokenizer_config.json (special tokens, chat template) and chat_template.jinja when present; its ids
 *      may be fewer than the model's vocab_size (padded embeddings), never more. `opts.eosId` (the model's
 *      eos_token_id) is its EOS when tokenizer_config.json names none;
 * otherwise a DataError says what is missing. The tokenizer's vocabulary must equal the model's vocab_size.
 */
export function loadTokenizer(dir: string, vocabSize: number, opts: { eosId?: number } = {}): Tokenizer {
  const path = join(dir, 'tokenizer.json');
  let tok: Tokenizer;
  if (existsSync(path)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new DataError(`${path}: not valid JSON (${(e as Error).message})`);
    }
    if (isHfTokenizerJson(raw) && vocabSize !== 50257) {
      const hf = new HfTokenizer({ tokenizer: raw, ...readHfTokenizerExtras(dir) }, opts, path);
      if (hf.vocabSize > vocabSize) throw new DataError(`${dir}: the tokenizer has ${hf.vocabSize} ids but the model's vocab_size is only ${vocabSize}`);
      return hf;
    }
    tok = tokenizerFromModelJson(raw, vocabSize, path);
  } else if (vocabSize === 50257 || (existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt')))) {
    tok = new Gpt2Tokenizer();
  } else {
    throw new DataError(`${dir}: no tokenizer.json, and a vocabulary of ${vocabSize} is not GPT-2's 50257; save the tokenizer with the model`);
  }
  if (tok.vocabSize !== vocabSize)
    throw new DataError(`${dir}: the tokenizer has ${tok.vocabSize} ids but the model's vocab_size is ${vocabSize}`);
  return tok;
}

/** tokenizer_config.json ({} when absent) and chat_template.jinja (when present) of a model directory. */
function readHfTokenizerExtras(dir: string): { config: Record<string, unknown>; chatTemplate?: string } {
  const cfgPath = join(dir, 'tokenizer_config.json');
  let config: Record<string, unknown> = {};
  if (existsSync(cfgPath)) {
    try {
      config = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new DataError(`${cfgPath}: not valid JSON (${(e as Error).message})`);
    }
  }
  const jinja = join(dir, 'chat_template.jinja');
  return existsSync(jinja) ? { config, chatTemplate: readFileSync(jinja, 'utf8') } : { config };
}

/** The architectures rlhfkit loads. */
export type ModelArchitecture = 'gpt2' | 'llama';

/** Reads config.json of a model directory (DataError naming the directory when it is missing or not JSON). */
export function readModelConfigJson(dir: string): Record<string, unknown> {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new DataError(`${dir}: no config.json (a model directory holds config.json + model.safetensors, as save_pretrained writes it)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DataError(`${path}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new DataError(`${path}: config.json must hold a JSON object`);
  return raw as Record<string, unknown>;
}

/** Which architecture a parsed config.json describes, by model_type (else architectures); DataError otherwise. */
export function modelArchitecture(raw: Record<string, unknown>, source = 'config.json'): ModelArchitecture {
  const arch = Array.isArray(raw.architectures) ? raw.architectures : [];
  if (raw.model_type === 'gpt2' || (raw.model_type === undefined && arch.includes('GPT2LMHeadModel'))) return 'gpt2';
  if (isLlamaFamily(raw)) return 'llama';
  throw new DataError(
    `${source}: model_type ${JSON.stringify(raw.model_type)} (architectures ${JSON.stringify(arch)}) is not supported; rlhfkit loads gpt2, llama and qwen2 checkpoints`,
  );
}

/**
 * The tensors of a checkpoint directory: model.safetensors, or every shard that model.safetensors.index.json lists
 * (its weight_map: tensor name → file). Half-precision tensors are widened to float32 by the reader.
 * Returns the tensors and a description of the file(s) for errors.
 */
export function readCheckpointTensors(dir: string): { tensors: Map<string, NamedTensor>; source: string } {
  const single = join(dir, 'model.safetensors');
  if (existsSync(single)) return { tensors: readSafetensors(single).tensors, source: single };
  const indexPath = join(dir, 'model.safetensors.index.json');
  if (!existsSync(indexPath))
    throw new DataError(
      `${dir}: no model.safetensors or model.safetensors.index.json (PyTorch .bin checkpoints are not read; convert with save_pretrained(safe_serialization=True))`,
    );
  let index: { weight_map?: unknown };
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map?: unknown };
  } catch (e) {
    throw new DataError(`${indexPath}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  const map = index.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new DataError(`${indexPath}: no "weight_map" object (tensor name → shard file)`);
  const weightMap = map as Record<string, unknown>;
  const tensors = new Map<string, NamedTensor>();
  for (const file of new Set(Object.values(weightMap))) {
    if (typeof file !== 'string' || file.includes('/') || file.includes('\\')) throw new DataError(`${indexPath}: shard ${JSON.stringify(file)} must be a file name in ${dir}`);
    const shard = join(dir, file);
    if (!existsSync(shard)) throw new DataError(`${indexPath}: shard ${file} is missing`);
    for (const [name, t] of readSafetensors(shard).tensors) tensors.set(name, t);
  }
  const missing = Object.keys(weightMap).filter((n) => !tensors.has(n));
  if (missing.length) throw new DataError(`${indexPath}: ${missing.length} tensor(s) listed in weight_map are in no shard, e.g. ${missing.slice(0, 3).join(', ')}`);
  return { tensors, source: indexPath };
}

/**
 * Loads a Llama-family model (Llama, Qwen2, SmolLM2) from `dir`: config.json, model.safetensors or its shards, plus
 * adapters and value head when present. Throws DataError naming the missing file or tensor.
 */
export function loadLlama(dir: string): Llama {
  const raw = readModelConfigJson(dir);
  const config = llamaConfigFromJson(raw, join(dir, 'config.json'));
  const { tensors, source } = readCheckpointTensors(dir);
  const model = Llama.fromCheckpoint(config, tensors, source);
  loadTrainable(dir, model);
  return model;
}

/** Writes config.json (loadable by LlamaForCausalLM / Qwen2ForCausalLM) + model.safetensors (and adapters / value head) into `dir`. */
export function saveLlama(dir: string, model: Llama): void {
  mkdirSync(dir, { recursive: true });
  writeLlamaConfig(join(dir, 'config.json'), model.config);
  writeSafetensors(join(dir, 'model.safetensors'), Object.fromEntries(model.paramArrays()), { format: 'pt' });
  saveTrainable(dir, model);
}

/** Writes a Llama-family `config.json` in Hugging Face's layout. */
export function writeLlamaConfig(path: string, c: LlamaConfig, extra: Record<string, unknown> = {}): void {
  writeFileSync(path, `${JSON.stringify(llamaConfigJson(c, extra), null, 2)}\n`);
}

/** A model of any supported architecture, with its tokenizer. */
export interface LoadedCausalLm {
  architecture: ModelArchitecture;
  model: CausalLm;
  tokenizer: Tokenizer;
}

/**
 * Loads the model in `dir` whatever its architecture (config.json's model_type / architectures: gpt2 → Gpt2,
 * llama / qwen2 → Llama) and its tokenizer (loadTokenizer).
 */
export function loadCausalLm(dir: string): LoadedCausalLm {
  const architecture = modelArchitecture(readModelConfigJson(dir), join(dir, 'config.json'));
  const model: CausalLm = architecture === 'gpt2' ? loadGpt2(dir) : loadLlama(dir);
  try {
    return { architecture, model, tokenizer: loadTokenizer(dir, model.vocabSize, { eosId: model.eosId }) };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
