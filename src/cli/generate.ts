/**
 * `rlhf generate --model DIR --prompt TEXT`: continue a prompt with a GPT-2 or Llama-family model directory (the
 * architecture comes from config.json's model_type / architectures) and print the continuation; with --chat the
 * prompt is a user message rendered with the model's chat template; with --json one object with the ids.
 * Invalid flags, and a --model that is missing or holds no supported model, exit 2 with one line naming the flag.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { commandFlags } from './args.js';
import { defineOptions, renderHelp } from '../core/config/options.js';
import { BACKENDS } from '../core/config/runOptions.js';
import { ConfigError, DataError } from '../core/errors.js';
import { initTensors } from '../core/tensor.js';
import { Rng } from '../core/rng.js';
import { generate } from '../models/generate.js';
import { loadCausalLm, modelArchitecture, readModelConfigJson, type LoadedCausalLm } from '../models/load.js';
import { HfTokenizer } from '../models/tokenizers/hf.js';
import type { ChatMessage } from '../models/chat.js';
import { Llama } from '../models/llama/model.js';

/** The validated options of one `rlhf generate`. */
export interface GenerateOptions {
  /** a model directory as save_pretrained writes it */
  model: string;
  prompt: string;
  maxNewTokens: number;
  greedy: boolean;
  /** T: logits are divided by T before sampling */
  temperature: number;
  /** k of top-k sampling, 0 = all tokens */
  topK: number;
  /** p of nucleus (top-p) sampling */
  topP: number;
  seed: number;
  chat: boolean;
  system: string | null;
  json: boolean;
  backend: (typeof BACKENDS)[number];
}

/** Every option of `rlhf generate`, described once (the flags, the checks and --help come from it). */
export const GENERATE_OPTIONS = defineOptions<GenerateOptions>(
  'generate',
  [
    {
      key: 'model',
      type: 'string',
      default: '',
      metavar: 'DIR',
      help: 'a model directory as save_pretrained writes it: config.json, model.safetensors (or shards with model.safetensors.index.json), tokenizer.json (+ tokenizer_config.json)',
      check: (v) => (v.trim() === '' ? '--model DIR is required (a directory with config.json + model.safetensors)' : undefined),
    },
    { key: 'prompt', type: 'string', default: '', defaultHelp: 'required', metavar: 'TEXT', help: "the text to continue (with --chat: the user's message); may be empty" },
    { key: 'maxNewTokens', type: 'int', min: 1, default: 32, metavar: 'N', help: 'most tokens to generate' },
    { key: 'greedy', type: 'bool', default: false, help: 'always take the most likely token (ignores temperature, top-k, top-p)' },
    { key: 'temperature', type: 'number', min: 0, exclusiveMin: true, default: 1, metavar: 'T', symbol: 'T', help: 'divide logits by T before sampling' },
    { key: 'topK', type: 'int', min: 0, default: 0, metavar: 'K', help: 'sample among the K most likely tokens, 0 = all' },
    { key: 'topP', type: 'number', min: 0, exclusiveMin: true, max: 1, default: 1, metavar: 'P', help: 'sample from the smallest set of tokens with probability ≥ P' },
    { key: 'seed', type: 'int', min: 0, max: 2 ** 32 - 1, default: 0, metavar: 'S', help: 'seed of the sampler' },
    { key: 'chat', type: 'bool', default: false, help: "render the prompt with the model's chat template (tokenizer_config.json chat_template)" },
    {
      key: 'system',
      type: 'string',
      nullable: true,
      default: null,
      metavar: 'TEXT',
      help: "with --chat: a system message before the user's",
      check: (v, c) => (v !== null && !c.chat ? '--system is a chat message; give --chat too' : undefined),
    },
    { key: 'json', type: 'bool', default: false, help: 'print one JSON object: prompt, completion, token_ids, prompt_ids, finish_reason, …' },
    { key: 'backend', type: 'enum', choices: BACKENDS, default: 'auto', metavar: 'NAME', help: `tensor backend: ${BACKENDS.join(', ')}` },
  ],
  { section: 'options' },
);

export function generateHelp(): string {
  return renderHelp('rlhf generate — continue a prompt with a model (GPT-2 or Llama family: Llama, Qwen2, SmolLM2)', [GENERATE_OPTIONS], 'rlhf generate --model DIR --prompt TEXT [options]');
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
  const values = commandFlags(argv, [GENERATE_OPTIONS], generateHelp);
  if (!values) return undefined;
  if (values.model === undefined) throw new ConfigError('model', '--model DIR is required (a directory with config.json + model.safetensors)');
  if (values.prompt === undefined) throw new ConfigError('prompt', '--prompt TEXT is required');
  return GENERATE_OPTIONS.resolveFlags(values);
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
    const messages: ChatMessage[] = [...(o.system !== null ? [{ role: 'system', content: o.system }] : []), { role: 'user', content: o.prompt }];
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
