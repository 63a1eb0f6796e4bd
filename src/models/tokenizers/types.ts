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

export interface Tokenizer {
  /** 'tiktoken' (GPT-2 BPE, 50257 ids) or 'byte-bpe' (learned on a corpus; byte-level when it has no merges) */
  readonly type: TokenizerJson['type'];
  /** number of ids, specials included */
  readonly vocabSize: number;
  /** id of <|endoftext|> */
  readonly eosId: number;
  /** text → ids; the literal "<|endoftext|>" becomes eosId */
  encode(text: string): number[];
  /** ids → text (invalid UTF-8 from a partial character becomes U+FFFD) */
  decode(ids: readonly number[]): string;
  toJSON(): TokenizerJson;
}
