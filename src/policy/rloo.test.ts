import { beforeAll, describe, expect, it } from 'vitest';
import { initTensors, tf } from '../core/tensor.js';
import { Rng } from '../core/rng.js';
import { TensorAdam } from '../optim/tensorAdam.js';
import { evaluateResponses } from './ppo.js';
import { resolveRLOOConfig, rlooAdvantages, rlooLoss, rlooStep, sequenceKl } from './rloo.js';
import { ToyPolicy } from './toy.js';

beforeAll(async () => {
  await initTensors();
});

const plain = { beta: 0, normalizeAdvantages: false, rewardClipRange: null } as const;

describe('leave-one-out advantages (hand-computed)', () => {
  it('k = 2: the baseline is the other completion', () => {
    const a = rlooAdvantages([1, 0, 0, 3], null, { ...plain, numGenerations: 2 });
    expect(Array.from(a.baselines)).toEqual([0, 1, 3, 0]);
    expect(Array.from(a.advantages)).toEqual([1, -1, -3, 3]);
  });
  it('k = 3: b_i = (Σ_j r_j − r_i) / 2', () => {
    const a = rlooAdvantages([1, 2, 6], null, { ...plain, numGenerations: 3 });
    expect(Array.from(a.baselines)).toEqual([4, 3.5, 1.5]);
    expect(Array.from(a.advantages)).toEqual([-3, -1.5, 4.5]);
  });
  it('the KL goes into the reward: r′ = r − β Σ_t (log π_old − log π_ref)', () => {
    const kl = sequenceKl([-1, -1, -2, -1, -1, -1, -1, -1], [-1.5, -1, -1.5, -1, -2, -1, -1, -1], [1, 1, 1, 1, 1, 0, 1, 1], 4, 2);
    expect(Array.from(kl)).toEqual([0.5, -0.5, 1, 0]); // row 3's second token is masked
    const a = rlooAdvantages([1, 0, 0, 3], kl, { ...plain, beta: 0.1, numGenerations: 2 });
    expect(Array.from(a.rewards)).toEqual([0.95, 0.05, -0.1, 3].map((x) => expect.closeTo(x, 6)));
    expect(Array.from(a.advantages)).toEqual([0.9, -0.9, -3.1, 3.1].map((x) => expect.closeTo(x, 6)));
  });
  it('normalized over the batch (Bessel std 3.968627), and reward clipping', () => {
    const a = rlooAdvantages([1, 2, 6], null, { ...plain, numGenerations: 3, normalizeAdvantages: true });
    expect(Array.from(a.advantages)).toEqual([-0.75591, -0.377955, 1.133865].map((x) => expect.closeTo(x, 5)));
    const c = rlooAdvantages([1, 2, 6], null, { ...plain, numGenerations: 3, rewardClipRange: [0, 3] });
    expect(Array.from(c.advantages)).toEqual([-1.5, 0, 1.5]); // [1, 2, 3]
  });
});

describe('RLOO loss (hand-computed)', () => {
  it('clipped sequence ratio: ρ = exp(Σ log π_θ − Σ log π_old)', () => {
    // ρ = [e^0.1 = 1.105171, e^−0.5 = 0.606531, 1], A = [1, −1, 2], ε = 0.2:
    //   −1.105171 (inside the clip), +0.8 (ρ < 0.8 with A < 0: clipped), −2  → mean −0.768390
    const out = rlooLoss({ logps: tf.tensor1d([-2, -3, -1]), oldLogps: tf.tensor1d([-2.1, -2.5, -1]), advantages: tf.tensor1d([1, -1, 2]) }, { epsilon: 0.2, epsilonHigh: null });
    expect(out.loss.dataSync()[0]).toBeCloseTo(-0.76839, 5);
    expect(out.clipLow.dataSync()[0]).toBeCloseTo(1 / 3, 6);
    expect(out.clipHigh.dataSync()[0]).toBe(0);
    expect(out.ratio.dataSync()[0]).toBeCloseTo(0.903901, 5);
    tf.dispose(Object.values(out));
  });
  it("TRL's defaults: k = 2, β 0.05, no normalization", () => {
    expect(resolveRLOOConfig()).toMatchObject({ numGenerations: 2, beta: 0.05, epsilon: 0.2, normalizeAdvantages: false, numIterations: 1, learningRate: 1e-6 });
    expect(() => resolveRLOOConfig({ rewardClipRange: [1, 0] })).toThrow(/rewardClipRange/);
  });
});

describe('rlooStep on a toy policy', () => {
  it('raises the reward and leaks no tensors', () => {
    const V = 4;
    const Tr = 3;
    const rng = new Rng(5);
    const policy = new ToyPolicy({ vocab: V, hidden: 8, seed: rng.fork('init') });
    const ref = policy.frozenCopy();
    const config = resolveRLOOConfig({ numGenerations: 4, miniBatchSize: 8, beta: 0.02 });
    const optimizer = new TensorAdam(policy.variables, { lr: 0.05 });
    const ctx = { config, forward: policy.forward, optimizer, variables: policy.variables, rng: rng.fork('mb') };
    const meanReward = (): number => policy.sample(new Int32Array(64).fill(3), 64, 1, Tr, new Rng(9)).reduce((a, x) => a + (x === 1 ? 1 : 0), 0) / 64;
    const before = meanReward();
    const n0 = tf.memory().numTensors;
    let stats: Record<string, number> = {};
    const sample = rng.fork('sample');
    for (let step = 0; step < 40; step++) {
      const B = 16;
      const queries = new Int32Array(B).fill(3);
      const responses = policy.sample(queries, B, 1, Tr, sample);
      const base = { batchSize: B, queryLength: 1, responseLength: Tr, queries, queryMask: new Float32Array(B).fill(1), responses, responseMask: new Float32Array(B * Tr).fill(1) };
      const rewards = Array.from({ length: B }, (_, b) => responses.subarray(b * Tr, (b + 1) * Tr).reduce((a, x) => a + (x === 1 ? 1 : 0), 0));
      const logprobs = evaluateResponses(policy.forward, base).logprobs;
      const refLogprobs = evaluateResponses(ref.forward, base).logprobs;
      const { advantages } = rlooAdvantages(rewards, sequenceKl(logprobs, refLogprobs, base.responseMask, B, Tr), config);
      stats = rlooStep({ ...base, logprobs, advantages }, ctx);
    }
    expect(tf.memory().numTensors).toBe(n0);
    expect(meanReward()).toBeGreaterThan(before + 0.3);
    expect(stats['policy/minibatches']).toBe(2);
    policy.dispose();
    ref.dispose();
  });
});
