/**
 * Tokenizers from their JSON (browser-safe; load.ts finds and reads a model directory's files):
 *   - rlhfkit's own tokenizer.json (types.ts) → that tokenizer;
 *   - Hugging Face's GPT-2 tokenizer.json (a BPE model) for a vocabulary of 50257 → GPT-2 BPE through js-tiktoken
 *     (the same ranks).
 */
import { DataError } from '../../core/errors.js';
import { ByteBpeTokenizer } from './bpe.js';
import { Gpt2Tokenizer } from './tiktoken.js';
import { TOKENIZER_FORMAT, type Tokenizer, type TokenizerJson } from './types.js';

/** Builds a tokenizer from its JSON (rlhfkit format). */
export function tokenizerFromJson(raw: unknown, source = 'tokenizer.json'): Tokenizer {
  const j = raw as Partial<TokenizerJson> & Record<string, unknown>;
  if (j?.format !== TOKENIZER_FORMAT) throw new DataError(`${source}: not an rlhfkit tokenizer (format is ${JSON.stringify(j?.format)})`);
  if (j.type === 'tiktoken') {
    if (j.encoding !== 'gpt2') throw new DataError(`${source}: only the "gpt2" tiktoken encoding is supported, got ${JSON.stringify(j.encoding)}`);
    return new Gpt2Tokenizer();
  }
  if (j.type === 'byte-bpe') {
    const merges = j.merges;
    if (!Array.isArray(merges) || !merges.every((m) => Array.isArray(m) && m.length === 2 && m.every(Number.isInteger)))
      throw new DataError(`${source}: "merges" must be a list of [a, b] id pairs`);
    const tok = new ByteBpeTokenizer(merges as [number, number][], typeof j.pattern === 'string' ? j.pattern : undefined);
    if (j.vocab_size !== undefined && j.vocab_size !== tok.vocabSize)
      throw new DataError(`${source}: vocab_size ${String(j.vocab_size)} does not match 256 bytes + ${merges.length} merges + 1 special = ${tok.vocabSize}`);
    return tok;
  }
  throw new DataError(`${source}: unknown tokenizer type ${JSON.stringify(j.type)} (expected tiktoken or byte-bpe)`);
}

/**
 * The tokenizer a model's tokenizer.json (parsed) describes, for a model whose config says `vocabSize`: rlhfkit's
 * format, or Hugging Face's GPT-2 BPE when the vocabulary is GPT-2's 50257. `source` names the file in errors.
 */
export function tokenizerFromModelJson(raw: unknown, vocabSize: number, source: string): Tokenizer {
  if ((raw as { format?: unknown })?.format === TOKENIZER_FORMAT) return tokenizerFromJson(raw, source);
  if ((raw as { model?: { type?: unknown } })?.model?.type === 'BPE' && vocabSize === 50257) return new Gpt2Tokenizer();
  throw new DataError(`${source}: neither an rlhfkit tokenizer nor Hugging Face's GPT-2 BPE with 50257 ids`);
}
