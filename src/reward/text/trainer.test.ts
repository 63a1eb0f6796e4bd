import { beforeAll, describe, expect, it } from 'vitest';
import { initTensors, tf } from '../../core/tensor.js';
import { Rng } from '../../core/rng.js';
import { BagOfTokensBackbone, gpt2Backbone, lastTokenSelector } from './backbone.js';
import { TextRewardModel, rightPad } from './model.js';
import { fitTextRewardModel, preferenceAccuracy, resolveTextRewardTrainConfig, type TextComparison, type TextRanking } from './trainer.js';
import { Gpt2 } from '../../models/gpt2/model.js';
import { resolveGpt2Config } from '../../models/gpt2/config.js';

beforeAll(async () => {
  await initTensors();
});

// A toy lexicon over 20 tokens: 1–3 are positive words, 4–6 negative; the true reward is their count difference.
const V = 20;
const trueReward = (s: readonly number[]): number => s.reduce((a, t) => a + (t >= 1 && t <= 3 ? 1 : t >= 4 && t <= 6 ? -1 : 0), 0);
function randomSeq(rng: Rng): number[] {
  return Array.from({ length: 3 + rng.int(6) }, () => 1 + rng.int(V - 1));
}
function comparisons(rng: Rng, n: number): TextComparison[] {
  const out: TextComparison[] = [];
  while (out.length < n) {
    const left = randomSeq(rng);
    const right = randomSeq(rng);
    const d = trueReward(left) - trueReward(right);
    out.push({ left, right, mu: d > 0 ? 1 : d < 0 ? 0 : 0.5 });
  }
  return out;
}

describe('text reward model', () => {
  it('learns a lexicon preference by Bradley–Terry; held-out accuracy reported; deterministic; no leaks', () => {
    const data = { comparisons: comparisons(new Rng(1), 400) };
    const fit = (): { acc: number; hist: number[] } => {
      const rng = new Rng(11);
      const model = new TextRewardModel(new BagOfTokensBackbone(V, 16, rng.fork('bb')), rng.fork('head'));
      const n0 = tf.memory().numTensors;
      const f = fitTextRewardModel(model, data, { epochs: 6, batchSize: 32, learningRate: 0.02, seed: 5 });
      expect(tf.memory().numTensors).toBe(n0);
      expect(f.heldOutPairs).toBeGreaterThan(50);
      const fresh = preferenceAccuracy(model, comparisons(new Rng(99), 200));
      (model.backbone as BagOfTokensBackbone).dispose();
      model.dispose();
      return { acc: fresh, hist: f.history.map((h) => h.heldOutAccuracy) };
    };
    const a = fit();
    expect(a.hist[a.hist.length - 1]).toBeGreaterThan(0.85);
    expect(a.acc).toBeGreaterThan(0.85);
    expect(a.hist[0]! <= a.hist[a.hist.length - 1]! + 1e-9).toBe(true);
    const b = fit();
    expect(b.hist).toEqual(a.hist);
  });

  it('a linear bag (sum pooling, hidden 0) has no backbone weights and learns the lexicon with an L2 penalty', () => {
    const rng = new Rng(3);
    const bb = new BagOfTokensBackbone(V, 0, rng.fork('bb'), { pooling: 'sum' });
    expect(bb.trainableVariables()).toHaveLength(0);
    expect(bb.hiddenSize).toBe(V);
    const model = new TextRewardModel(bb, rng.fork('head'));
    fitTextRewardModel(model, { comparisons: comparisons(new Rng(4), 300) }, { epochs: 6, batchSize: 32, learningRate: 0.05, l2: 1e-4 });
    expect(preferenceAccuracy(model, comparisons(new Rng(97), 200))).toBeGreaterThan(0.9);
    // r = Σ_t w[x_t] + b: a positive token adds, a negative one subtracts
    const s = model.scoreSequences([[10, 1], [10, 4], [10, 10]]);
    expect(s[0]! > s[2]! && s[2]! > s[1]!).toBe(true);
    model.dispose();
  });

  it('learns from rankings by Plackett–Luce', () => {
    const rng = new Rng(2);
    const rankings: TextRanking[] = Array.from({ length: 150 }, () => {
      const seqs = [randomSeq(rng), randomSeq(rng), randomSeq(rng), randomSeq(rng)];
      return { sequences: seqs.sort((x, y) => trueReward(y) - trueReward(x)) };
    });
    const model = new TextRewardModel(new BagOfTokensBackbone(V, 16, rng.fork('bb')), rng.fork('head'));
    const f = fitTextRewardModel(model, { comparisons: [], rankings }, { epochs: 8, batchSize: 16, learningRate: 0.02 });
    expect(f.trainRankings).toBe(120);
    expect(preferenceAccuracy(model, comparisons(new Rng(98), 200))).toBeGreaterThan(0.8);
    (model.backbone as BagOfTokensBackbone).dispose();
    model.dispose();
  });

  it('validates its config and inputs', () => {
    expect(() => resolveTextRewardTrainConfig({ validationFraction: 1 })).toThrow(/validationFraction/);
    expect(() => resolveTextRewardTrainConfig({ epoch: 3 } as never)).toThrow(/unknown/);
    expect(() => rightPad([[1], []], 0)).toThrow(/empty/);
    expect(() => lastTokenSelector([0, 0], 1, 2)).toThrow(/no real tokens/);
  });

  it('GPT-2 backbone: the feature is the hidden state at the last real token (padding does not change it)', () => {
    const cfg = resolveGpt2Config({ vocab_size: V, n_positions: 16, n_embd: 8, n_layer: 1, n_head: 2 });
    const gpt = Gpt2.random(cfg, new Rng(4));
    const rm = new TextRewardModel(gpt2Backbone(gpt, { adapters: false }), new Rng(5));
    const s = rm.scoreSequences([[3, 4, 5], [3, 4, 5, 6, 7]]);
    const alone = rm.scoreSequences([[3, 4, 5]]);
    expect(s[0]).toBeCloseTo(alone[0]!, 5);
    expect(s[1]).not.toBeCloseTo(s[0]!, 3);
    expect(rm.trainableVariables()).toHaveLength(2); // frozen backbone: only the head trains
    expect(() => gpt2Backbone(gpt, { adapters: true })).toThrow(/no LoRA adapters/);
    rm.dispose();
    gpt.dispose();
  });
});
