/**
 * The tokenizer interface every text model uses, and the JSON we save beside a model (tokenizer.json).
 *
 * tokenizer.json (rlhfkit's own format; Hugging Face's tokenizer.json is recognised and mapped to GPT-2 BPE):
 *   { "format": "rlhfkit-tokenizer", "version": 1, "type": "tiktoken", "encoding": "gpt2" }
 *   { "format": "rlhfkit-tokenizer", "version": 1, "type": "byte-bpe", "vocab_size": V, "pattern": "<regex>",
 *     "merges": [[a, b], …], "special_tokens": { "<|endoftext|>": V − 1 } }
 * byte-bpe ids: 0–255 are the bytes, 256 + i is merge i (the concatenation of tokens a and b), then the specials.
 */

export const TOKENIZER_FORMAT = 'rlhfkit-tokenizer';
export const EOT = '<|endoftext|>';

export type TokenizerJson =
  | { format: typeof TOKENIZER_FORMAT; version: 1; type: 'tiktoken'; encoding: 'gpt2' }
  | {
      format: typeof TOKENIZER_FORMAT;
      version: 1;
      type: 'byte-bpe';
      vocab_size: number;
      pattern: string;
      merges: [number, number][];
      special_tokens: Record<string, number>;
    };

/** Hugging Face's own tokenizer.json (Llama, Qwen2, SmolLM2, …), kept as read and saved back unchanged (hf.ts). */
export interface HfTokenizerJson {
  model: { type: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface Tokenizer {
  /** 'tiktoken' (GPT-2 BPE, 50257 ids), 'byte-bpe' (learned on a corpus; byte-level when it has no merges) or 'hf' (a Hugging Face tokenizer.json, hf.ts) */
  readonly type: TokenizerJson['type'] | 'hf';
  /** number of ids, specials included */
  readonly vocabSize: number;
  /** id of <|endoftext|> */
  readonly eosId: number;
  /** text → ids; the literal "<|endoftext|>" becomes eosId */
  encode(text: string): number[];
  /** ids → text (invalid UTF-8 from a partial character becomes U+FFFD) */
  decode(ids: readonly number[]): string;
  toJSON(): TokenizerJson | HfTokenizerJson;
}
