import { beforeAll, describe, expect, it } from 'vitest';
import { initTensors, tf } from '../core/tensor.js';
import { Rng } from '../core/rng.js';
import { ConfigError } from '../core/errors.js';
import {
  AdaptiveKLController,
  FixedKLController,
  computeAdvantages,
  computeRewards,
  evaluateResponses,
  klPenaltyValue,
  makeKLController,
  maskedMean,
  maskedVar,
  maskedWhiten,
  ppoLosses,
  ppoStep,
  resolvePPOConfig,
  type PPORollouts,
} from './ppo.js';
import { ToyPolicy } from './toy.js';
import { TensorAdam } from '../optim/tensorAdam.js';

beforeAll(async () => {
  await initTensors();
});

describe('masked statistics', () => {
  it('ignore padding; variance is Bessel-corrected as TRL', () => {
    const x = [1, 2, 3, 100];
    const m = [1, 1, 1, 0];
    expect(maskedMean(x, m)).toBe(2);
    expect(maskedVar(x, m)).toBeCloseTo(1, 10);
    expect(maskedVar(x, m, false)).toBeCloseTo(2 / 3, 10);
    const w = maskedWhiten(x, m);
    expect(Array.from(w)).toEqual([expect.closeTo(-1, 5), expect.closeTo(0, 5), expect.closeTo(1, 5), 0]);
    const s = maskedWhiten(x, m, false); // scale only: the mean is added back
    expect(s[0]).toBeCloseTo(1, 5);
    expect(s[2]).toBeCloseTo(3, 5);
  });
});

describe('PPO config', () => {
  it('has TRL defaults', () => {
    const c = resolvePPOConfig();
    expect(c).toMatchObject({ initKlCoef: 0.2, klTarget: 6, klHorizon: 10000, gamma: 1, lam: 0.95, cliprange: 0.2, cliprangeValue: 0.2, vfCoef: 0.1, ppoEpochs: 4, whitenAdvantages: true });
  });
  it('names the bad field', () => {
    const bad = (o: Record<string, unknown>, key: string): void => {
      try {
        resolvePPOConfig(o);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        expect((e as ConfigError).key).toBe(key);
      }
    };
    bad({ cliprange: 1.5 }, 'cliprange');
    bad({ lam: -0.1 }, 'lam');
    bad({ ppoEpochs: 2.5 }, 'ppoEpochs');
    bad({ klPenalty: 'huber' }, 'klPenalty');
    bad({ batchSize: 8, miniBatchSize: 16 }, 'miniBatchSize');
    bad({ cliprnage: 0.1 }, 'cliprnage');
  });
});

describe('KL controllers', () => {
  it('adaptive: β ← β (1 + clip(KL/target − 1, ±0.2) n/horizon)', () => {
    const k = new AdaptiveKLController(0.2, 6, 10000);
    k.update(9, 128); // error 0.5 clipped to 0.2
    expect(k.value).toBeCloseTo(0.2 * (1 + (0.2 * 128) / 10000), 12);
    const k2 = new AdaptiveKLController(0.2, 6, 10000);
    k2.update(6.6, 1000); // error 0.1
    expect(k2.value).toBeCloseTo(0.202, 12);
    const k3 = new AdaptiveKLController(0.2, 6, 10000);
    k3.update(0, 500); // error −1 clipped to −0.2
    expect(k3.value).toBeCloseTo(0.2 * (1 - 0.01), 12);
  });
  it('fixed does not move; makeKLController picks by config', () => {
    const f = new FixedKLController(0.3);
    f.update(100, 100);
    expect(f.value).toBe(0.3);
    expect(makeKLController(resolvePPOConfig({ adaptiveKl: false }))).toBeInstanceOf(FixedKLController);
    expect(makeKLController(resolvePPOConfig())).toBeInstanceOf(AdaptiveKLController);
  });
});

describe('per-token rewards', () => {
  it('r_t = −β KL_t plus the score on the last real token', () => {
    const { rewards, kl, nonScoreRewards } = computeRewards([2, -1], [-1, -2, -3, -1, 0, 0], [-1.5, -1, -3, -2, 0, 0], [1, 1, 1, 1, 0, 0], 2, 3, 0.5);
    expect(Array.from(kl)).toEqual([0.5, -1, 0, 1, 0, 0]);
    expect(Array.from(nonScoreRewards)).toEqual([-0.25, 0.5, -0, -0.5, 0, 0]);
    expect(Array.from(rewards)).toEqual([-0.25, 0.5, 2, -1.5, 0, 0]);
  });
  it('KL estimators', () => {
    expect(klPenaltyValue(-1, -2, 'kl')).toBe(1);
    expect(klPenaltyValue(-2, -1, 'abs')).toBe(1);
    expect(klPenaltyValue(-1, -3, 'mse')).toBe(2);
    expect(klPenaltyValue(-1, -1.5, 'k3')).toBeCloseTo(Math.exp(-0.5) - 1 + 0.5, 12);
  });
  it('advantages are whitened over real tokens only', () => {
    const { advantages, returns } = computeAdvantages([0, 0, 1, 0, 2, 0], [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0], 2, 3, { gamma: 1, lam: 1, whitenAdvantages: true, whitenRewards: false });
    expect(Array.from(returns)).toEqual([1, 1, 1, 2, 2, 0]);
    expect(maskedMean(advantages, [1, 1, 1, 1, 1, 0])).toBeCloseTo(0, 5);
    expect(advantages[5]).toBe(0);
  });
});

describe('PPO losses', () => {
  it('match hand-computed values (third token is padding)', () => {
    const t = (a: number[]): tf.Tensor2D => tf.tensor2d(a, [1, 3]);
    const out = ppoLosses(
      {
        logprobs: t([Math.log(1.5), Math.log(0.5), 5]),
        oldLogprobs: t([0, 0, -3]),
        advantages: t([1, -1, 100]),
        returns: t([1, 1, 50]),
        oldValues: t([0, 0, 0]),
        vpreds: t([0.5, -0.1, 9]),
        mask: t([1, 1, 0]),
      },
      { cliprange: 0.2, cliprangeValue: 0.2, vfCoef: 0.1 },
    );
    const v = (s: tf.Scalar): number => s.dataSync()[0]!;
    // pg: −Aρ = [−1.5, 0.5]; −A clip(ρ) = [−1.2, 0.8]; max = [−1.2, 0.8] → −0.2; both tokens clipped
    expect(v(out.pgLoss)).toBeCloseTo(-0.2, 5);
    expect(v(out.pgClipfrac)).toBeCloseTo(1, 6);
    // vf: V_clip = [0.2, −0.1]; (V − R̂)² = [0.25, 1.21]; (V_clip − R̂)² = [0.64, 1.21] → ½·mean(0.64, 1.21)
    expect(v(out.vfLoss)).toBeCloseTo(0.4625, 5);
    expect(v(out.vfClipfrac)).toBeCloseTo(0.5, 6);
    expect(v(out.loss)).toBeCloseTo(-0.2 + 0.1 * 0.4625, 5);
    // k3: mean((ρ − 1) − log ρ) = mean(0.5 − ln 1.5, −0.5 + ln 2)
    expect(v(out.approxKl)).toBeCloseTo((0.5 - Math.log(1.5) + (-0.5 + Math.log(2))) / 2, 5);
    expect(v(out.ratio)).toBeCloseTo(1, 5);
    expect(v(out.vpred)).toBeCloseTo(0.2, 5);
    expect(v(out.valError)).toBeCloseTo(0.73, 5);
    tf.dispose(Object.values(out));
  });
});

// A toy task: after the start token 3, emit 4 tokens from a vocabulary of 4; the score counts the 1s.
const V = 4;
const TR = 4;
function rollouts(policy: ToyPolicy, ref: ToyPolicy, B: number, rng: Rng): PPORollouts {
  const queries = new Int32Array(B).fill(3);
  const queryMask = new Float32Array(B).fill(1);
  const responses = policy.sample(queries, B, 1, TR, rng);
  const responseMask = new Float32Array(B * TR).fill(1);
  const base = { batchSize: B, queryLength: 1, responseLength: TR, queries, queryMask, responses, responseMask };
  const pol = evaluateResponses(policy.forward, base, 16);
  const refOut = evaluateResponses(ref.forward, base, 16);
  const scores = new Float32Array(B);
  for (let i = 0; i < B * TR; i++) if (responses[i] === 1) scores[Math.floor(i / TR)]! += 1;
  return { ...base, logprobs: pol.logprobs, refLogprobs: refOut.logprobs, values: pol.values!, scores };
}

describe('ppoStep', () => {
  it('raises the score on a toy task, KL grows from 0, and leaks no tensors', () => {
    const rng = new Rng(7);
    const policy = new ToyPolicy({ vocab: V, hidden: 16, seed: rng.fork('init') });
    const ref = policy.frozenCopy();
    const config = resolvePPOConfig({ batchSize: 32, miniBatchSize: 8, initKlCoef: 0.05, learningRate: 0.03, ppoEpochs: 4 });
    const optimizer = new TensorAdam(policy.variables, { lr: config.learningRate });
    const klController = makeKLController(config);
    const ctx = { config, forward: policy.forward, optimizer, variables: policy.variables, klController, rng: rng.fork('ppo') };
    const first = rollouts(policy, ref, 32, rng);
    const before = first.scores.reduce((a, b) => a + b, 0) / 32;
    const s0 = ppoStep(first, ctx);
    expect(s0['objective/kl']).toBeCloseTo(0, 5); // π = π_ref on the first batch
    expect(s0['ppo/minibatches']).toBe(16);
    for (const k of ['objective/kl', 'objective/rlhf_reward', 'objective/non_score_reward', 'policy/clipfrac', 'policy/approx_kl', 'policy/entropy', 'val/vpred', 'val/error', 'val/clipfrac', 'loss/policy', 'loss/value']) {
      expect(Number.isFinite(s0[k]!), k).toBe(true);
    }
    const batch = rollouts(policy, ref, 32, rng);
    const n0 = tf.memory().numTensors;
    ppoStep(batch, ctx);
    expect(tf.memory().numTensors).toBe(n0);
    let last = s0;
    for (let it = 0; it < 12; it++) last = ppoStep(rollouts(policy, ref, 32, rng), ctx);
    const after = rollouts(policy, ref, 64, rng);
    const mean = after.scores.reduce((a, b) => a + b, 0) / 64;
    expect(before).toBeLessThan(2);
    expect(mean).toBeGreaterThan(before + 1);
    expect(last['objective/kl']).toBeGreaterThan(0.05);
    policy.dispose();
    ref.dispose();
  });

  it('adds per-token rewards to r_t (dense credit): objective/scores counts them', () => {
    const rng = new Rng(2);
    const policy = new ToyPolicy({ vocab: V, hidden: 4, seed: rng });
    const r = rollouts(policy, policy.frozenCopy(), 4, rng);
    const config = resolvePPOConfig({ batchSize: 4, miniBatchSize: 4, ppoEpochs: 1 });
    const ctx = { config, forward: policy.forward, optimizer: tf.train.sgd(0.01), klController: makeKLController(config), rng };
    const tokenRewards = new Float32Array(4 * TR).fill(0.5);
    const s = ppoStep({ ...r, scores: new Float32Array(4), tokenRewards }, ctx);
    expect(s['objective/scores']).toBeCloseTo(0.5 * TR, 5);
    expect(() => ppoStep({ ...r, tokenRewards: new Float32Array(3) }, ctx)).toThrow(/tokenRewards has 3 entries/);
    policy.dispose();
  });

  it('rejects rollouts of the wrong shape', () => {
    const rng = new Rng(1);
    const policy = new ToyPolicy({ vocab: V, hidden: 4, seed: rng });
    const r = rollouts(policy, policy, 4, rng);
    const config = resolvePPOConfig({ batchSize: 4, miniBatchSize: 4 });
    const ctx = { config, forward: policy.forward, optimizer: tf.train.sgd(0.1), klController: makeKLController(config), rng };
    expect(() => ppoStep({ ...r, scores: new Float32Array(3) }, ctx)).toThrow(/scores has 3 entries/);
    policy.dispose();
  });
});
