/**
 * The file side of src/models (Node only: the one module here that touches the disk; everything else builds a
 * model from bytes and objects, so it also runs in a browser). Saving and loading checkpoints as Hugging Face does:
 * a directory with
 *   config.json               GPT2Config fields (gpt2/config.ts)
 *   model.safetensors         base weights under HF names (GPT2Model names; a `transformer.` prefix is accepted)
 *   tokenizer.json            which tokenizer the model uses (our own format, tokenizers/types.ts)
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
}

/**
 * Finds the tokenizer of the model in `dir` whose config says `vocabSize`:
 *   1) tokenizer.json in rlhfkit's format (tokenizers/types.ts) → that tokenizer;
 *   2) Hugging Face GPT-2 files (a tokenizer.json of HF's format, or vocab.json + merges.txt) with a vocabulary of
 *      50257 → GPT-2 BPE through js-tiktoken (the same ranks);
 *   3) nothing, and the config's vocab_size is 50257 → GPT-2 BPE as well;
 * otherwise a DataError says what is missing. The tokenizer's vocabulary must equal the model's vocab_size.
 */
export function loadTokenizer(dir: string, vocabSize: number): Tokenizer {
  const path = join(dir, 'tokenizer.json');
  let tok: Tokenizer;
  if (existsSync(path)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new DataError(`${path}: not valid JSON (${(e as Error).message})`);
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
