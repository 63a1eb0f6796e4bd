import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../core/rng.js';
import { splitEntries, loadCorpus, splitCorpus, promptsFrom, tokenStream } from './corpus.js';
import { ByteBpeTokenizer } from '../../models/tokenizers/bpe.js';

describe('corpus', () => {
  it('splits fortune files on % lines and plain text on blank lines', () => {
    expect(splitEntries('one\nline\n%\ntwo\n%\n\n%\nthree\n')).toEqual(['one\nline', 'two', 'three']);
    expect(splitEntries('para one\nstill one\n\npara two\n')).toEqual(['para one\nstill one', 'para two']);
  });

  it('loads a fortune directory, skipping .dat indexes and .u8 links', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fort-'));
    try {
      writeFileSync(join(dir, 'wisdom'), Array.from({ length: 12 }, (_, i) => `saying number ${i}`).join('\n%\n'));
      writeFileSync(join(dir, 'wisdom.dat'), 'binary index');
      symlinkSync(join(dir, 'wisdom'), join(dir, 'wisdom.u8'));
      const c = loadCorpus(dir);
      expect(c).toHaveLength(12);
      expect(c[0]).toEqual({ text: 'saying number 0', source: 'wisdom' });
      expect(() => loadCorpus(join(dir, 'missing'))).toThrow(/does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('splits train/validation deterministically and makes 2–8 token prompts', () => {
    const entries = Array.from({ length: 40 }, (_, i) => ({ text: `entry ${i} has some words in it`, source: 'x' }));
    const a = splitCorpus(entries, 0.25, new Rng(1));
    const b = splitCorpus(entries, 0.25, new Rng(1));
    expect(a.val).toHaveLength(10);
    expect(a.train).toHaveLength(30);
    expect(a).toEqual(b);
    const tok = new ByteBpeTokenizer([]);
    const prompts = promptsFrom(a.val, tok, new Rng(2), { count: 10 });
    expect(prompts).toHaveLength(10);
    for (const p of prompts) {
      expect(p.ids.length).toBeGreaterThanOrEqual(2);
      expect(p.ids.length).toBeLessThanOrEqual(8);
      expect(a.val.some((e) => e.text.startsWith(p.text))).toBe(true);
    }
    const stream = tokenStream(a.train.slice(0, 2), tok);
    expect(Array.from(stream).filter((t) => t === tok.eosId)).toHaveLength(2);
  });
});
