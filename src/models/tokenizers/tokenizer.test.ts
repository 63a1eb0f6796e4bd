import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainByteBpe, ByteBpeTokenizer } from './bpe.js';
import { Gpt2Tokenizer } from './tiktoken.js';
import { loadTokenizer, saveTokenizer } from '../load.js';
import { tokenizerFromJson } from './json.js';

const TEXT = [
  'The quick brown fox jumps over the lazy dog.',
  'The early bird catches the worm, but the second mouse gets the cheese.',
  'A fool and his money are soon parted. The fool!',
  'Ünïcödé, emoji 🙂 and tabs\tstay intact.',
];

describe('byte-level BPE', () => {
  const tok = trainByteBpe(TEXT, 300);

  it('learns merges up to the vocabulary size and round-trips any text', () => {
    expect(tok.vocabSize).toBeLessThanOrEqual(300);
    expect(tok.merges.length).toBeGreaterThan(10);
    for (const t of [...TEXT, 'never seen: ∑ ≠ ∞ ½', '', '  leading and trailing  ']) expect(tok.decode(tok.encode(t))).toBe(t);
  });

  it('compresses the text it was trained on and merges frequent words', () => {
    const ids = tok.encode('The fool and the quick fox');
    expect(ids.length).toBeLessThan(new TextEncoder().encode('The fool and the quick fox').length);
    expect(ids.some((i) => tok.tokenText(i) === ' the')).toBe(true);
  });

  it('maps <|endoftext|> to the last id and back', () => {
    const ids = tok.encode('end<|endoftext|>start');
    expect(ids).toContain(tok.eosId);
    expect(tok.eosId).toBe(tok.vocabSize - 1);
    expect(tok.decode(ids)).toBe('end<|endoftext|>start');
  });

  it('with no merges is a byte tokenizer of 257 ids', () => {
    const bytes = new ByteBpeTokenizer([]);
    expect(bytes.vocabSize).toBe(257);
    expect(bytes.encode('hé')).toEqual([104, 0xc3, 0xa9]);
  });

  it('is deterministic', () => {
    expect(trainByteBpe(TEXT, 300).merges).toEqual(tok.merges);
  });

  it('saves and reloads tokenizer.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tok-'));
    try {
      saveTokenizer(dir, tok);
      const back = loadTokenizer(dir, tok.vocabSize);
      expect(back.encode(TEXT[1]!)).toEqual(tok.encode(TEXT[1]!));
      expect(() => loadTokenizer(dir, tok.vocabSize + 1)).toThrow(/vocab_size/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects malformed JSON with a clear error', () => {
    expect(() => tokenizerFromJson({ format: 'rlhfkit-tokenizer', version: 1, type: 'byte-bpe', merges: [[300, 1]] })).toThrow(/merge 0/);
    expect(() => tokenizerFromJson({ hello: 1 })).toThrow(/not an rlhfkit tokenizer/);
  });
});

describe('GPT-2 BPE (js-tiktoken)', () => {
  it('encodes like GPT-2, <|endoftext|> is 50256, and round-trips', () => {
    const tok = new Gpt2Tokenizer();
    expect(tok.encode('Hello world')).toEqual([15496, 995]);
    expect(tok.encode('a<|endoftext|>')).toEqual([64, 50256]);
    for (const t of TEXT) expect(tok.decode(tok.encode(t))).toBe(t);
  });

  it('is chosen for a Hugging Face GPT-2 directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-'));
    try {
      writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ version: '1.0', model: { type: 'BPE', vocab: {}, merges: [] } }));
      expect(loadTokenizer(dir, 50257).type).toBe('tiktoken');
      rmSync(join(dir, 'tokenizer.json'));
      expect(loadTokenizer(dir, 50257).type).toBe('tiktoken');
      expect(() => loadTokenizer(dir, 1000)).toThrow(/no tokenizer.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
