import { beforeAll, describe, expect, it } from 'vitest';
import { initTensors, tf } from '../../../core/tensor.js';
import { Rng } from '../../../core/rng.js';
import { Gpt2 } from '../../../models/gpt2/model.js';
import { resolveGpt2Config } from '../../../models/gpt2/config.js';
import { ByteCodec, hashSplit, makePrompts } from './corpus.js';
import { splitEntries } from '../corpus.js';
import { resolveTextRlhfConfig } from './config.js';
import { TextRlhf, clipReturns, packRollout } from './run.js';

beforeAll(async () => {
  await initTensors();
});

const ENTRIES = splitEntries(Array.from({ length: 400 }, (_, i) => `${i * 7919} says that life is good and the day is long.`).join('\n%\n'));

function tiny(seed: number): Gpt2 {
  return Gpt2.random(resolveGpt2Config({ vocab_size: 257, n_positions: 32, n_embd: 16, n_layer: 1, n_head: 2, eos_token_id: 256, bos_token_id: 256 }), new Rng(seed));
}

describe('text RLHF loop (tiny random model, byte tokens)', () => {
  for (const optimizer of ['ppo', 'dpo'] as const) {
    it(`${optimizer}: runs end to end and reports every summary key`, async () => {
      const codec = new ByteCodec();
      const config = resolveTextRlhfConfig({ optimizer, evalPrompts: 4, labels: 8, iterations: 2, batchSize: 4, miniBatchSize: 2, ppoEpochs: 1, responseLength: 4, rewardEpochs: 1, dpoEpochs: 1, dpoBatchSize: 2, promptMinTokens: 2, promptMaxTokens: 4 });
      const rng = new Rng(1);
      const model = tiny(2);
      const n0 = tf.memory().numTensors;
      const loop = new TextRlhf(config, { model, codec, vocabSize: 257, trainPrompts: makePrompts(hashSplit(ENTRIES).train, codec, 8, 2, 4, rng), evalPrompts: makePrompts(hashSplit(ENTRIES).heldout, codec, 4, 2, 4, rng.fork('e')) });
      const res = (await loop.run())!;
      for (const k of ['sentiment_before', 'sentiment_after', 'kl', 'labels', 'seconds', 'seed'] as const) expect(typeof res.summary[k], k).toBe('number');
      for (const k of ['win_rate', 'reward_model_accuracy'] as const) expect(k in res.summary, k).toBe(true); // null when nothing was decisive
      expect(res.summary.labels).toBeGreaterThan(0);
      expect(res.table).toHaveLength(4);
      expect(res.metrics).toHaveLength(optimizer === 'ppo' ? 2 : 1);
      if (optimizer === 'ppo') expect(Number.isFinite(res.metrics[1]!['objective/kl']!)).toBe(true);
      loop.dispose();
      // what remains: the policy's adapters and value head (created by the loop), nothing per step
      const kept = model.trainableVariables('lora').length;
      expect(tf.memory().numTensors - n0).toBe(kept);
      model.dispose();
    });
  }

  it('token rewards: run with the linear reward model, refused with others', async () => {
    expect(() => resolveTextRlhfConfig({ tokenRewards: true, rewardBackbone: 'bag' })).toThrow(/token-rewards/);
    expect(resolveTextRlhfConfig({ rewardBackbone: 'bag' }).tokenRewards).toBe(false);
    expect(resolveTextRlhfConfig({ rewardSource: 'judge' }).tokenRewards).toBe(false);
    expect(resolveTextRlhfConfig().tokenRewards).toBe(true);
    const codec = new ByteCodec();
    const config = resolveTextRlhfConfig({ tokenRewards: true, evalPrompts: 4, labels: 8, iterations: 1, batchSize: 4, miniBatchSize: 2, ppoEpochs: 1, responseLength: 4, rewardEpochs: 1, promptMinTokens: 2, promptMaxTokens: 4 });
    const rng = new Rng(1);
    const model = tiny(3);
    const loop = new TextRlhf(config, { model, codec, vocabSize: 257, trainPrompts: makePrompts(hashSplit(ENTRIES).train, codec, 8, 2, 4, rng), evalPrompts: makePrompts(hashSplit(ENTRIES).heldout, codec, 4, 2, 4, rng.fork('e')) });
    const res = (await loop.run())!;
    expect(Number.isFinite(res.metrics[0]!['objective/scores']!)).toBe(true);
    loop.dispose();
    model.dispose();
  });

  it('clipReturns scales a row so that its total reward is within ±c', () => {
    const scores = Float32Array.from([1, -1, 0.5]);
    const tok = Float32Array.from([2, 1, -4, 0, 0.5, 0]); // N = 2
    clipReturns(scores, tok, 2, 2);
    expect(scores[0]! + tok[0]! + tok[1]!).toBeCloseTo(2, 6); // 4 → 2: everything halved
    expect(tok[0]).toBeCloseTo(1, 6);
    expect(scores[1]! + tok[2]! + tok[3]!).toBeCloseTo(-2, 6); // −5 → −2
    expect(Array.from([scores[2], tok[4], tok[5]])).toEqual([0.5, 0.5, 0]); // 1: unchanged
  });

  it('packRollout left-pads queries and right-pads responses', () => {
    const r = packRollout([{ ids: [1, 2], text: '' }, { ids: [3], text: '' }], [[4], [5, 6]], 0);
    expect(Array.from(r.queries)).toEqual([1, 2, 0, 3]);
    expect(Array.from(r.queryMask)).toEqual([1, 1, 0, 1]);
    expect(Array.from(r.responses)).toEqual([4, 0, 5, 6]);
    expect(Array.from(r.responseMask)).toEqual([1, 0, 1, 1]);
  });
});
