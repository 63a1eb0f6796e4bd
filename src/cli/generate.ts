/**
 * `rlhf generate --model DIR --prompt TEXT`: continue a prompt with a GPT-2 or Llama-family model directory (the
 * architecture comes from config.json's model_type / architectures) and print the continuation; with --chat the
 * prompt is a user message rendered with the model's chat template; with --json one object with the ids.
 * Invalid flags, and a --model that is missing or holds no supported model, exit 2 with one line naming the flag.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { commandFlags, type FlagSpec } from './args.js';
import { ConfigError, DataError } from '../core/errors.js';
import { BACKEND_NAMES, initTensors, type BackendName } from '../core/tensor.js';
import { Rng } from '../core/rng.js';
import { generate } from '../models/generate.js';
import { loadCausalLm, modelArchitecture, readModelConfigJson, type LoadedCausalLm } from '../models/load.js';
import { HfTokenizer } from '../models/tokenizers/hf.js';
import type { ChatMessage } from '../models/chat.js';
import { Llama } from '../models/llama/model.js';

export const GENERATE_FLAGS = {
  model: { type: 'string' },
  prompt: { type: 'string' },
  'max-new-tokens': { type: 'string' },
  greedy: { type: 'boolean' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  seed: { type: 'string' },
  chat: { type: 'boolean' },
  system: { type: 'string' },
  json: { type: 'boolean' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpec;

export const GENERATE_USAGE = `rlhf generate — continue a prompt with a model (GPT-2 or Llama family: Llama, Qwen2, SmolLM2)

usage: rlhf generate --model DIR --prompt TEXT [options]

options:
  --model DIR            a model directory as save_pretrained writes it: config.json, model.safetensors (or shards
                         with model.safetensors.index.json), tokenizer.json (+ tokenizer_config.json)
  --prompt TEXT          the text to continue (with --chat: the user's message)
  --max-new-tokens N     most tokens to generate [32]
  --greedy               always take the most likely token (ignores temperature, top-k, top-p)
  --temperature T        divide logits by T before sampling [1]
  --top-k K              sample among the K most likely tokens, 0 = all [0]
  --top-p P              sample from the smallest set of tokens with probability ≥ P [1]
  --seed S               seed of the sampler [0]
  --chat                 render the prompt with the model's chat template (tokenizer_config.json chat_template)
  --system TEXT          with --chat: a system message before the user's
  --json                 print one JSON object: prompt, completion, token_ids, prompt_ids, finish_reason, …
  --backend NAME         ${BACKEND_NAMES.join(', ')} [auto]`;

/** The validated options of one `rlhf generate`. */
export interface GenerateOptions {
  model: string;
  prompt: string;
  maxNewTokens: number;
  greedy: boolean;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  chat: boolean;
  system: string | undefined;
  json: boolean;
  backend: BackendName;
}

/** What `rlhf generate --json` prints. */
export interface GenerateResult {
  model: string;
  architecture: LoadedCausalLm['architecture'];
  prompt: string;
  /** the text the model saw: the prompt, or the rendered chat template */
  prompt_text: string;
  prompt_ids: number[];
  completion: string;
  /** the generated ids, up to and including the stop token when there was one */
  token_ids: number[];
  /** "stop": a stop token ended it; "length": --max-new-tokens did */
  finish_reason: 'stop' | 'length';
  chat: boolean;
  greedy: boolean;
  seed: number;
  seconds: number;
}

/** Reads and validates the flags (ConfigError naming the flag), before any model is loaded. */
export function resolveGenerateOptions(argv: string[]): GenerateOptions | undefined {
  const f = commandFlags(argv, GENERATE_FLAGS, GENERATE_USAGE);
  if (!f) return undefined;
  const model = f.string('model');
  if (model === undefined || model.trim() === '') throw new ConfigError('model', '--model DIR is required (a directory with config.json + model.safetensors)');
  const prompt = f.string('prompt');
  if (prompt === undefined) throw new ConfigError('prompt', '--prompt TEXT is required');
  const chat = f.bool('chat');
  const system = f.string('system');
  if (system !== undefined && !chat) throw new ConfigError('system', '--system is a chat message; give --chat too');
  return {
    model,
    prompt,
    maxNewTokens: f.int('max-new-tokens', 32, { min: 1 }),
    greedy: f.bool('greedy'),
    temperature: f.number('temperature', 1, { min: 0, exclusiveMin: true }),
    topK: f.int('top-k', 0, { min: 0 }),
    topP: f.number('top-p', 1, { min: 0, exclusiveMin: true, max: 1 }),
    seed: f.int('seed', 0, { min: 0, max: 2 ** 32 - 1 }),
    chat,
    system,
    json: f.bool('json'),
    backend: f.choice('backend', BACKEND_NAMES, 'auto'),
  };
}

/** A --model that is missing, or holds no model rlhfkit reads, is a usage error naming the flag (exit 2). */
function checkModelDir(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError('model', `--model ${dir}: no such directory`);
  try {
    modelArchitecture(readModelConfigJson(dir), join(dir, 'config.json'));
  } catch (e) {
    if (e instanceof DataError) throw new ConfigError('model', `--model ${e.message}`);
    throw e;
  }
  if (!existsSync(join(dir, 'model.safetensors')) && !existsSync(join(dir, 'model.safetensors.index.json')))
    throw new ConfigError('model', `--model ${dir}: no model.safetensors or model.safetensors.index.json`);
}

/** The prompt's ids: as transformers' tokenizer(text) (with the model's BOS), or rendered with the chat template. */
function promptIds(loaded: LoadedCausalLm, o: GenerateOptions): { text: string; ids: number[] } {
  const tok = loaded.tokenizer;
  if (o.chat) {
    if (!(tok instanceof HfTokenizer) || !tok.chatTemplate)
      throw new ConfigError('chat', `--chat needs a chat template (tokenizer_config.json chat_template); the tokenizer of ${o.model} has none`);
    const messages: ChatMessage[] = [...(o.system !== undefined ? [{ role: 'system', content: o.system }] : []), { role: 'user', content: o.prompt }];
    return tok.applyChatTemplate(messages);
  }
  const ids = tok instanceof HfTokenizer ? tok.encode(o.prompt, { addSpecialTokens: true }) : tok.encode(o.prompt);
  // GPT-2 style models start an empty prompt from <|endoftext|> (their BOS)
  if (ids.length === 0) return { text: o.prompt, ids: [loaded.model.eosId] };
  return { text: o.prompt, ids };
}

/** Loads the model, generates and returns the result (the command prints it). */
export async function runGenerate(o: GenerateOptions): Promise<GenerateResult> {
  checkModelDir(o.model);
  await initTensors(o.backend);
  const t0 = performance.now();
  const loaded = loadCausalLm(o.model);
  try {
    const { model, tokenizer } = loaded;
    const prompt = promptIds(loaded, o);
    if (prompt.ids.length + o.maxNewTokens > model.contextLength)
      throw new ConfigError(
        'max-new-tokens',
        `--max-new-tokens ${o.maxNewTokens} with a prompt of ${prompt.ids.length} tokens exceeds the model's context of ${model.contextLength} positions`,
      );
    // every id that ends a sequence: the model's (Llama 3 lists several) and the tokenizer's (a chat model's end of turn)
    const stops = new Set<number>([...(model instanceof Llama ? model.eosIds : [model.eosId]), tokenizer.eosId]);
    const eosId = o.chat ? tokenizer.eosId : model.eosId;
    const g = generate(
      model,
      [prompt.ids],
      { maxNewTokens: o.maxNewTokens, greedy: o.greedy, temperature: o.temperature, topK: o.topK, topP: o.topP, eosId, stopAtEos: true },
      new Rng(o.seed),
    );
    const raw = g.responses[0] ?? [];
    const cut = raw.findIndex((id) => stops.has(id));
    const tokenIds = cut >= 0 ? raw.slice(0, cut + 1) : raw;
    const text = cut >= 0 ? tokenIds.slice(0, -1) : tokenIds; // the stop token is not part of the text
    const completion = tokenizer instanceof HfTokenizer ? tokenizer.decode(text, { skipSpecialTokens: true }) : tokenizer.decode(text);
    return {
      model: o.model,
      architecture: loaded.architecture,
      prompt: o.prompt,
      prompt_text: prompt.text,
      prompt_ids: prompt.ids,
      completion,
      token_ids: tokenIds,
      finish_reason: cut >= 0 ? 'stop' : 'length',
      chat: o.chat,
      greedy: o.greedy,
      seed: o.seed,
      seconds: Math.round((performance.now() - t0) / 10) / 100,
    };
  } finally {
    loaded.model.dispose();
  }
}

/** The command: prints the continuation, or with --json one JSON object. */
export async function generateCommand(argv: string[]): Promise<number> {
  const o = resolveGenerateOptions(argv);
  if (!o) return 0;
  const r = await runGenerate(o);
  console.log(o.json ? JSON.stringify(r) : r.completion);
  return 0;
}
