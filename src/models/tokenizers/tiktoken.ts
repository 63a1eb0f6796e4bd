/**
 * GPT-2's byte-level BPE (50257 ids) through js-tiktoken, for Hugging Face GPT-2 checkpoints. The ranks ship inside
 * the package: nothing is downloaded. `<|endoftext|>` in the text encodes to 50256.
 */
import { getEncoding, type Tiktoken } from 'js-tiktoken';
import { TOKENIZER_FORMAT, type Tokenizer, type TokenizerJson } from './types.js';

let shared: Tiktoken | undefined;

export class Gpt2Tokenizer implements Tokenizer {
  readonly type = 'tiktoken' as const;
  readonly vocabSize = 50257;
  readonly eosId = 50256;
  private readonly enc: Tiktoken;

  constructor() {
    shared ??= getEncoding('gpt2'); // ~0.8 s the first time: builds the rank tables
    this.enc = shared;
  }

  encode(text: string): number[] {
    return this.enc.encode(text, 'all');
  }

  decode(ids: readonly number[]): string {
    return this.enc.decode([...ids]);
  }

  toJSON(): TokenizerJson {
    return { format: TOKENIZER_FORMAT, version: 1, type: 'tiktoken', encoding: 'gpt2' };
  }
}
