/**
 * Hugging Face tokenizers (tokenizer.json + tokenizer_config.json, as Llama, Qwen2 and SmolLM2 ship them) through
 * @huggingface/tokenizers — a pure-JS implementation of the `tokenizers` pipeline (normalizer → pre-tokenizer → BPE /
 * Unigram / WordPiece model → post-processor; decoder) — behind our `Tokenizer` interface, with the chat template
 * (../chat.ts). Browser-safe: it is built from the two parsed JSON files; load.ts reads them from a directory.
 */
import { Tokenizer as HfLibTokenizer } from '@huggingface/tokenizers';
import { DataError } from '../../core/errors.js';
import { chatTemplateFromConfig, type ChatMessage, type ChatRenderOptions, renderChat } from '../chat.js';
import type { HfTokenizerJson, Tokenizer } from './types.js';

/** The two files, parsed. */
export interface HfTokenizerFiles {
  /** tokenizer.json */
  tokenizer: HfTokenizerJson;
  /** tokenizer_config.json ({} when the directory has none) */
  config: Record<string, unknown>;
  /** a chat_template.jinja beside them (newer transformers save the template there), overriding config.chat_template */
  chatTemplate?: string;
}

/** The names of special tokens transformers passes to a chat template. */
const SPECIAL_NAMES = ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token'] as const;

/** A special token in tokenizer_config.json is a string or an AddedToken object ({ content, … }). */
function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

/** True when a parsed tokenizer.json is Hugging Face's (it has a `model` with a `type`), not rlhfkit's own. */
export function isHfTokenizerJson(raw: unknown): raw is HfTokenizerJson {
  const m = (raw as { model?: unknown } | null)?.model;
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

export class HfTokenizer implements Tokenizer {
  readonly type = 'hf' as const;
  /** largest id + 1 (may be below the model's vocab_size: Qwen2.5 pads its embedding) */
  readonly vocabSize: number;
  /** end-of-sequence id: tokenizer_config's eos_token, else the given fallback */
  readonly eosId: number;
  /** beginning-of-sequence id (tokenizer_config's bos_token), or null */
  readonly bosId: number | null;
  /** padding id (pad_token, else eosId) */
  readonly padId: number;
  /** the chat template, or null */
  readonly chatTemplate: string | null;
  /** ids of the special (added) tokens: skipped by decode({ skipSpecialTokens: true }) */
  readonly specialIds: ReadonlySet<number>;
  private readonly lib: HfLibTokenizer;
  private readonly specialTokens: Record<string, string>;

  /**
   * `fallback.eosId` is used when tokenizer_config.json names no eos_token (e.g. the model's config.json
   * eos_token_id); `source` names the files in errors.
   */
  constructor(
    readonly files: HfTokenizerFiles,
    fallback: { eosId?: number } = {},
    source = 'tokenizer.json',
  ) {
    if (!isHfTokenizerJson(files.tokenizer)) throw new DataError(`${source}: not a Hugging Face tokenizer.json (no "model" with a "type")`);
    const cfg = files.config;
    this.specialTokens = {};
    for (const name of SPECIAL_NAMES) {
      const s = tokenString(cfg[name]);
      if (s !== undefined) this.specialTokens[name] = s;
    }
    const extra = Array.isArray(cfg.additional_special_tokens) ? cfg.additional_special_tokens.map(tokenString).filter((s): s is string => s !== undefined) : [];
    // the library wants plain strings where tokenizer_config.json may hold AddedToken objects
    const libConfig = { ...cfg, ...this.specialTokens, additional_special_tokens: extra };
    try {
      this.lib = new HfLibTokenizer(files.tokenizer, libConfig);
    } catch (e) {
      throw new DataError(`${source}: @huggingface/tokenizers cannot build this tokenizer: ${(e as Error).message}`, { cause: e });
    }
    let maxId = -1;
    for (const id of this.lib.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    const idOf = (name: string): number | undefined => {
      const s = this.specialTokens[name];
      if (s === undefined) return undefined;
      const id = this.lib.token_to_id(s);
      if (id === undefined) throw new DataError(`${source}: ${name} "${s}" of tokenizer_config.json is not in the vocabulary`);
      return id;
    };
    const eos = idOf('eos_token') ?? fallback.eosId ?? this.lib.token_to_id('<|endoftext|>') ?? this.lib.token_to_id('</s>');
    if (eos === undefined) throw new DataError(`${source}: cannot tell the end-of-sequence token; set eos_token in tokenizer_config.json`);
    this.eosId = eos;
    this.bosId = idOf('bos_token') ?? null;
    this.padId = idOf('pad_token') ?? eos;
    this.specialIds = new Set(this.lib.get_added_tokens_decoder().keys());
    this.chatTemplate = files.chatTemplate ?? chatTemplateFromConfig(cfg, source.replace(/tokenizer\.json$/, 'tokenizer_config.json'));
  }

  /**
   * text → ids. With `addSpecialTokens` the post-processor adds what the model expects around a text (e.g. Llama 3's
   * <|begin_of_text|>), as `tokenizer(text)` does in transformers; the default (false) encodes the text alone, so
   * a prompt and a response encode to their concatenation. Special tokens written in the text (e.g. "<|im_end|>")
   * become their ids either way.
   */
  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
    return this.lib.encode(text, { add_special_tokens: opts.addSpecialTokens ?? false }).ids;
  }

  /** ids → text; `skipSpecialTokens` drops special tokens (e.g. the final EOS). */
  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
    return this.lib.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens ?? false });
  }

  /** The id of a token string (e.g. "<|im_end|>"), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.lib.token_to_id(token);
  }

  /**
   * Renders a conversation with the model's chat template (add_generation_prompt true by default) and encodes it
   * without adding special tokens (the template writes them), as transformers' apply_chat_template(tokenize=True).
   */
  applyChatTemplate(messages: readonly ChatMessage[], opts: Omit<ChatRenderOptions, 'specialTokens'> = {}): { text: string; ids: number[] } {
    if (!this.chatTemplate) throw new DataError('this tokenizer has no chat template (tokenizer_config.json has no chat_template)');
    const text = renderChat(this.chatTemplate, messages, { ...opts, specialTokens: this.specialTokens });
    return { text, ids: this.encode(text) };
  }

  /** tokenizer.json as read (load.ts `saveTokenizer` writes it back, with tokenizer_config.json beside it). */
  toJSON(): HfTokenizerJson {
    return this.files.tokenizer;
  }
}
