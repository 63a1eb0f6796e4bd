/**
 * The arithmetic model's tokenizer: one token per character of "0123456789+=" plus <|endoftext|>, written as a
 * Hugging Face tokenizer.json (a BPE model with no merges, so every character is its own token; the Fuse decoder
 * joins tokens without spaces) and loaded through @huggingface/tokenizers like any Llama tokenizer (../../models/
 * tokenizers/hf.ts). Characters outside the alphabet encode to nothing. Browser-safe: it builds the JSON objects;
 * load.ts `saveTokenizer` writes them.
 */
import { HfTokenizer } from '../../models/tokenizers/hf.js';
import type { HfTokenizerJson } from '../../models/tokenizers/types.js';

export const ARITHMETIC_EOS = '<|endoftext|>';
/** the characters, in id order after the end token (id 0) */
export const ARITHMETIC_ALPHABET = '0123456789+=';
/** <|endoftext|> + the alphabet */
export const ARITHMETIC_VOCAB_SIZE = ARITHMETIC_ALPHABET.length + 1;
export const ARITHMETIC_EOS_ID = 0;

/** tokenizer.json: BPE without merges over the alphabet, <|endoftext|> a special added token, Fuse decoder. */
export function arithmeticTokenizerJson(): HfTokenizerJson {
  const vocab: Record<string, number> = { [ARITHMETIC_EOS]: ARITHMETIC_EOS_ID };
  [...ARITHMETIC_ALPHABET].forEach((c, i) => (vocab[c] = i + 1));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: ARITHMETIC_EOS_ID, content: ARITHMETIC_EOS, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Fuse' },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] },
  };
}

/** tokenizer_config.json: the end token (no BOS, padding with the end token). */
export function arithmeticTokenizerConfig(): Record<string, unknown> {
  return { tokenizer_class: 'PreTrainedTokenizerFast', eos_token: ARITHMETIC_EOS, model_max_length: 64, clean_up_tokenization_spaces: false };
}

/** The tokenizer, built in memory (pretraining makes it; a saved model loads it from its directory). */
export function arithmeticTokenizer(): HfTokenizer {
  return new HfTokenizer({ tokenizer: arithmeticTokenizerJson(), config: arithmeticTokenizerConfig() });
}
