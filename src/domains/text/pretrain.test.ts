import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTensors } from '../../core/tensor.js';
import { ConfigError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { pretrainText, pretrainTextCommand, resolvePretrainTextConfig, learningRateAt, sampleWindows } from './pretrain.js';
import { loadGpt2 } from '../../models/load.js';
import { loadTokenizer } from '../../models/load.js';
import { generate } from '../../models/generate.js';

beforeAll(async () => {
  await initTensors('wasm');
});

const WORDS = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'to', 'park', 'happy', 'sun'];

function corpusDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pre-'));
  const rng = new Rng(5);
  const entries = Array.from({ length: 300 }, () => Array.from({ length: 4 + rng.int(6) }, () => WORDS[rng.int(WORDS.length)]).join(' ') + '.');
  writeFileSync(join(dir, 'tiny'), entries.join('\n%\n'));
  return dir;
}

describe('rlhf pretrain text', () => {
  it('learns a tiny corpus and saves a model that loads with its tokenizer', () => {
    const corpus = corpusDir();
    const out = join(corpus, 'model');
    try {
      const c = resolvePretrainTextConfig({ corpus, out, vocab: 300, layers: 1, width: 32, heads: 2, block: 32, batch: 8, steps: 60, warmup: 5, evalEvery: 0, samples: 2, lr: 1e-2, minLr: 1e-3 });
      const r = pretrainText(c, { quiet: true });
      expect(r.valCurve[0]!.loss).toBeGreaterThan(5); // ≈ ln 300 before training
      expect(r.valLoss).toBeLessThan(r.valCurve[0]!.loss - 2);
      expect(r.samples).toHaveLength(2);
      for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'pretrain.json']) expect(existsSync(join(out, f))).toBe(true);
      const model = loadGpt2(out);
      const tok = loadTokenizer(out, model.config.vocab_size);
      expect(tok.type).toBe('byte-bpe');
      const g = generate(model, [tok.encode('the cat')], { maxNewTokens: 5, greedy: true }, new Rng(0));
      expect(g.responses[0]!.length).toBeGreaterThan(0);
      expect(JSON.parse(readFileSync(join(out, 'pretrain.json'), 'utf8')).steps).toBe(60);
      model.dispose();
    } finally {
      rmSync(corpus, { recursive: true, force: true });
    }
  });

  it('validates flags with errors that name them', async () => {
    await expect(pretrainTextCommand(['--width', '130', '--heads', '4'])).rejects.toMatchObject({ key: 'heads' });
    await expect(pretrainTextCommand(['--steps', '0'])).rejects.toBeInstanceOf(ConfigError);
    await expect(pretrainTextCommand(['--lr', 'fast'])).rejects.toMatchObject({ key: 'lr' });
    await expect(pretrainTextCommand(['--corpus', '/nonexistent/corpus', '--steps', '1', '--quiet'])).rejects.toThrow(/does not exist/);
  });

  it('warms up linearly and decays by cosine to the floor; windows are shifted by one token', () => {
    const c = { lr: 1, minLr: 0.1, warmup: 10, steps: 110 };
    expect(learningRateAt(0, c)).toBeCloseTo(0.1);
    expect(learningRateAt(9, c)).toBeCloseTo(1);
    expect(learningRateAt(60, c)).toBeCloseTo(0.55);
    expect(learningRateAt(110, c)).toBeCloseTo(0.1);
    const stream = Int32Array.from({ length: 50 }, (_, i) => i);
    const { x, y } = sampleWindows(stream, 3, 8, new Rng(1));
    for (let i = 0; i < x.length; i++) expect(y[i]).toBe(x[i]! + 1);
  });
});
