/**
 * Saving and finding a model's tokenizer.
 *
 * `loadTokenizer(dir, vocabSize)` looks in a model directory for:
 *   1) tokenizer.json in rlhfkit's format (types.ts) → that tokenizer;
 *   2) Hugging Face GPT-2 files (a tokenizer.json of HF's format, or vocab.json + merges.txt) with a vocabulary of
 *      50257 → GPT-2 BPE through js-tiktoken (the same ranks);
 *   3) nothing, and the config's vocab_size is 50257 → GPT-2 BPE as well;
 * otherwise a DataError says what is missing. The tokenizer's vocabulary must equal the model's vocab_size.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Writes tokenizer.json into a model directory. */
export function saveTokenizer(dir: string, tok: Tokenizer): void {
  writeFileSync(join(dir, 'tokenizer.json'), `${JSON.stringify(tok.toJSON())}\n`);
}

/** Finds the tokenizer of the model in `dir` whose config says `vocabSize` (see the module comment). */
export function loadTokenizer(dir: string, vocabSize: number): Tokenizer {
  const path = join(dir, 'tokenizer.json');
  let tok: Tokenizer | undefined;
  if (existsSync(path)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new DataError(`${path}: not valid JSON (${(e as Error).message})`);
    }
    if ((raw as { format?: unknown })?.format === TOKENIZER_FORMAT) tok = tokenizerFromJson(raw, path);
    else if ((raw as { model?: { type?: unknown } })?.model?.type === 'BPE' && vocabSize === 50257) tok = new Gpt2Tokenizer();
    else throw new DataError(`${path}: neither an rlhfkit tokenizer nor Hugging Face's GPT-2 BPE with 50257 ids`);
  } else if (vocabSize === 50257 || (existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt')))) {
    tok = new Gpt2Tokenizer();
  } else {
    throw new DataError(`${dir}: no tokenizer.json, and a vocabulary of ${vocabSize} is not GPT-2's 50257; save the tokenizer with the model`);
  }
  if (tok.vocabSize !== vocabSize)
    throw new DataError(`${dir}: the tokenizer has ${tok.vocabSize} ids but the model's vocab_size is ${vocabSize}`);
  return tok;
}
