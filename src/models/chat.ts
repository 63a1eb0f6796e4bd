/**
 * Chat templates: a model's `chat_template` (tokenizer_config.json, or chat_template.jinja beside it) rendered with
 * @huggingface/jinja, given what transformers' `apply_chat_template` gives a template: the messages,
 * `add_generation_prompt`, and the special tokens by name (bos_token, eos_token, …). Browser-safe.
 */
import { Template } from '@huggingface/jinja';
import { DataError } from '../core/errors.js';

/** One turn of a conversation. */
export interface ChatMessage {
  /** "system", "user", "assistant" (or whatever roles the template knows) */
  role: string;
  content: string;
}

export interface ChatRenderOptions {
  /** end with the header of an assistant turn, so the model continues as the assistant (default true) */
  addGenerationPrompt?: boolean;
  /** special tokens by name as tokenizer_config.json spells them (bos_token, eos_token, pad_token, unk_token) */
  specialTokens?: Record<string, string>;
  /** further variables the template may read (e.g. tools, date_string) */
  extra?: Record<string, unknown>;
}

/**
 * The chat template of a parsed tokenizer_config.json, or null when it has none. transformers accepts a string or a
 * list of named templates ([{ name, template }]); from a list we take "default".
 */
export function chatTemplateFromConfig(config: Record<string, unknown>, source = 'tokenizer_config.json'): string | null {
  const t = config.chat_template;
  if (t === undefined || t === null) return null;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t as { name?: unknown; template?: unknown }[];
    const def = named.find((x) => x?.name === 'default');
    if (def && typeof def.template === 'string') return def.template;
    throw new DataError(`${source}: chat_template is a list without a "default" entry (names: ${named.map((x) => String(x?.name)).join(', ')})`);
  }
  throw new DataError(`${source}: chat_template must be a string or a list of { name, template }`);
}

/** Renders `messages` with a Jinja chat template. A template that raises (raise_exception) becomes a DataError. */
export function renderChat(template: string, messages: readonly ChatMessage[], opts: ChatRenderOptions = {}): string {
  let parsed: Template;
  try {
    parsed = new Template(template);
  } catch (e) {
    throw new DataError(`chat template does not parse: ${(e as Error).message}`, { cause: e });
  }
  try {
    return parsed.render({
      ...opts.specialTokens,
      ...opts.extra,
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      add_generation_prompt: opts.addGenerationPrompt ?? true,
    });
  } catch (e) {
    throw new DataError(`chat template failed: ${(e as Error).message}`, { cause: e });
  }
}
