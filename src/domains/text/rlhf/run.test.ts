import { beforeAll, describe, expect, it } from 'vitest';
import { initTensors, tf } from '../../../core/tensor.js';
import { Rng } from '../../../core/rng.js';
import { Gpt2 } from '../../../models/gpt2/model.js';
import { resolveGpt2Config } from '../../../models/gpt2/config.js';
import { ByteCodec, hashSplit, makePrompts } from './corpus.js';
import { splitEntries } from '../corpus.js';
import { resolveTextRlhfConfig } from './config.js';
import { TextRlhf, clipReturns, packRollout } from './run.js';
import type { Gatherer, MetricsRow } from '../../../loop/parts.js';
import type { TextPairBatch } from './queries.js';

beforeAll(async () => {
  await initTensors();
});

/** Every iteration of the loop in order (what the run driver does without a run directory). */
async function runAll(loop: TextRlhf): Promise<MetricsRow[]> {
  const rows: MetricsRow[] = [];
  for (let it = 1; it <= loop.iterations; it++) rows.push((await loop.iterate(it)).metrics);
  return rows;
}

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
      const metrics = await runAll(loop);
      const res = loop.result!;
      const summary = loop.summarize(1.5);
      for (const k of ['sentiment_before', 'sentiment_after', 'kl', 'labels', 'seconds', 'seed'] as const) expect(typeof summary[k], k).toBe('number');
      for (const k of ['win_rate', 'reward_model_accuracy'] as const) expect(k in summary, k).toBe(true); // null when nothing was decisive
      expect(summary.seconds).toBe(1.5);
      expect(summary.labels).toBeGreaterThan(0);
      expect(res.table).toHaveLength(4);
      // iteration 1: feedback and the reward model; then one row per PPO step / DPO epoch
      expect(metrics.map((m) => m.iteration)).toEqual(optimizer === 'ppo' ? [1, 2, 3] : [1, 2]);
      expect(metrics[0]).toMatchObject({ 'feedback/asked': 8, 'feedback/labels': summary.labels });
      if (optimizer === 'ppo') expect(Number.isFinite(metrics[2]!['objective/kl']!)).toBe(true);
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
    const metrics = await runAll(loop);
    expect(Number.isFinite(metrics[1]!['objective/scores']!)).toBe(true);
    loop.dispose();
    model.dispose();
  });

  it('the judge answers rounds of feedbackBatch pairs with μ: null drops a pair, a fractional μ (a 2:1 vote) trains as given', async () => {
    const codec = new ByteCodec();
    const config = resolveTextRlhfConfig({ labels: 8, feedbackBatch: 3, iterations: 0, evalPrompts: 4, responseLength: 4, rewardEpochs: 1, promptMinTokens: 2, promptMaxTokens: 4 });
    const rng = new Rng(1);
    const model = tiny(4);
    const rounds: Array<[number, number]> = [];
    const votes: Gatherer<TextPairBatch> = {
      name: 'votes',
      gather: (b, round) => {
        rounds.push([round, b.pairs.length]);
        return b.pairs.map((_, i) => (i === 0 ? null : 2 / 3));
      },
    };
    let teacher: Gatherer<TextPairBatch> | undefined;
    const loop = new TextRlhf(config, { model, codec, vocabSize: 257, trainPrompts: makePrompts(hashSplit(ENTRIES).train, codec, 8, 2, 4, rng), evalPrompts: makePrompts(hashSplit(ENTRIES).heldout, codec, 4, 2, 4, rng.fork('e')) }, {
      judge: (t) => ((teacher = t), votes),
    });
    expect(teacher?.name).toBe('sentiment'); // the AFINN judge, handed to whoever answers (people fall back on it under --judge mixed)
    expect(loop.iterations).toBe(1);
    await expect(loop.iterate(2)).rejects.toThrow(/outside 1\.\.1/);
    const { metrics } = await loop.iterate(1);
    expect(rounds).toEqual([[1, 3], [2, 3], [3, 2]]);
    expect(metrics).toMatchObject({ iteration: 1, 'feedback/asked': 8, 'feedback/labels': 5, 'feedback/skips': 3, 'feedback/ties': 0 });
    expect(loop.snapshot().state.pairs.map((p) => p.mu)).toEqual(Array(5).fill(2 / 3));
    expect(loop.result?.summary.labels).toBe(5); // the last iteration evaluated the policy
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
