import { beforeAll, describe, expect, it } from 'vitest';
import { initTensors, tf } from '../core/tensor.js';
import { Rng } from '../core/rng.js';
import { ConfigError } from '../core/errors.js';
import { TensorAdam } from '../optim/tensorAdam.js';
import { evaluateResponses } from './ppo.js';
import { groupAdvantages, grpoLoss, grpoStep, resolveGRPOConfig, type GRPOConfig, type GRPOLossType } from './grpo.js';
import { ToyPolicy } from './toy.js';

beforeAll(async () => {
  await initTensors();
});

describe('group-relative advantages', () => {
  // two groups of G = 4: [1, 0, 0, 1] (mean ½, Bessel std √(1/3) = 0.57735) and [2, 2, 2, 2] (std 0: no signal)
  const rewards = [1, 0, 0, 1, 2, 2, 2, 2];
  it('scale "group": (r − mean_g) / (std_g + 1e-4)', () => {
    const a = groupAdvantages(rewards, 4, 'group');
    expect(Array.from(a.advantages)).toEqual([0.865875, -0.865875, -0.865875, 0.865875, 0, 0, 0, 0].map((x) => expect.closeTo(x, 5)));
    expect(Array.from(a.groupMean)).toEqual([0.5, 2]);
    expect(a.groupStd[0]).toBeCloseTo(0.57735, 5);
    expect(a.fracZeroStd).toBe(0.5);
  });
  it('scale "batch" divides by the batch std (0.886405), "none" by nothing', () => {
    expect(groupAdvantages(rewards, 4, 'batch').advantages[0]).toBeCloseTo(0.564012, 5);
    expect(Array.from(groupAdvantages(rewards, 4, 'none').advantages)).toEqual([0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0]);
  });
  it('refuses rewards that do not split into groups', () => {
    expect(() => groupAdvantages([1, 2, 3], 2)).toThrow(/groups of G = 2/);
  });
});

describe('GRPO loss (hand-computed)', () => {
  // N = 2 completions of T = 2 tokens; the second row's second token is padding.
  //   ρ = exp(logp − old) = [[e^0.1, e^−0.1], [1, e^0.5]] = [[1.105171, 0.904837], [1, 1.648721]], A = [1, −1]
  //   ε = 0.05: row 1 token 1 is clipped at 1.05 (A > 0): ℓ = −1.05; token 2: ℓ = −0.904837; row 2 token 1: ℓ = +1
  //   k3 with d = ref − logp: [[0, e^−0.2 + 0.2 − 1 = 0.018731], [e^0.1 − 1.1 = 0.005171, ·]], β = 0.1
  //   masked Σ ℓ + βKL = −1.05 − 0.902964 + 1.000517 = −0.952447
  const inputs = () => ({
    logprobs: tf.tensor2d([[-1, -2], [-0.5, -1]]),
    oldLogprobs: tf.tensor2d([[-1.1, -1.9], [-0.5, -1.5]]),
    refLogprobs: tf.tensor2d([[-1, -2.2], [-0.4, -1]]),
    advantages: tf.tensor1d([1, -1]),
    mask: tf.tensor2d([[1, 1], [1, 0]]),
    numItemsInBatch: 6,
  });
  const base: Pick<GRPOConfig, 'beta' | 'epsilon' | 'epsilonHigh' | 'delta' | 'lossType' | 'importanceSamplingLevel' | 'maxCompletionLength'> = {
    beta: 0.1,
    epsilon: 0.05,
    epsilonHigh: null,
    delta: null,
    lossType: 'bnpo',
    importanceSamplingLevel: 'token',
    maxCompletionLength: 4,
  };
  const run = (over: Partial<typeof base> = {}) => {
    const x = inputs();
    const out = grpoLoss(x, { ...base, ...over });
    const r = { loss: out.loss.dataSync()[0]!, kl: out.kl.dataSync()[0]!, low: out.clipLow.dataSync()[0]!, high: out.clipHigh.dataSync()[0]!, region: out.clipRegion.dataSync()[0]! };
    tf.dispose([...Object.values(out), x.logprobs, x.oldLogprobs, x.refLogprobs, x.advantages, x.mask]);
    return r;
  };
  it.each<[GRPOLossType, number]>([
    ['bnpo', -0.952447 / 3], // Σ mℓ / Σ m
    ['grpo', (-1.952964 / 2 + 1.000517) / 2], // mean over sequences of the per-sequence token mean = 0.012017
    ['dr_grpo', -0.952447 / 8], // Σ mℓ / (N · max_completion_length)
    ['dapo', -0.952447 / 6], // Σ mℓ / tokens of the whole generation batch
  ])('loss type %s', (lossType, want) => {
    expect(run({ lossType }).loss).toBeCloseTo(want, 5);
  });
  it('k3 KL and the clip ratios (masked means over the 3 real tokens)', () => {
    const r = run();
    expect(r.kl).toBeCloseTo((0.018731 + 0.005171) / 3, 5);
    expect(r.high).toBeCloseTo(1 / 3, 6); // row 1 token 1: ρ > 1 + ε with A > 0
    expect(r.low).toBe(0); // row 1 token 2 has ρ < 1 − ε but A > 0: the clip does not bind
    expect(r.region).toBeCloseTo(1 / 3, 6);
  });
  it('β = 0 drops the KL term; ε_high widens the upper clip only', () => {
    expect(run({ beta: 0 }).loss).toBeCloseTo((-1.05 - 0.904837 + 1) / 3, 5);
    expect(run({ epsilonHigh: 0.2 }).loss).toBeCloseTo((-1.105171 - 0.902964 + 1.000517) / 3, 5);
  });
  it('δ caps the unclipped ratio (two-sided GRPO)', () => {
    expect(run({ delta: 1.02, epsilonHigh: 0.2 }).loss).toBeCloseTo((-1.02 - 0.902964 + 1.000517) / 3, 5);
  });
  it('sequence-level importance sampling: ρ = exp(masked mean log-ratio) = 1 for both rows', () => {
    expect(run({ importanceSamplingLevel: 'sequence' }).loss).toBeCloseTo((-1 - 1 + 0.001873 + 1 + 0.000517) / 3, 5);
  });
  it('gradient of an unclipped token: ∂L/∂logp = (−ρA + β(1 − e^d)) / Σm', () => {
    const x = inputs();
    const lp = tf.variable(x.logprobs);
    const g = tf.grad((v: tf.Tensor) => grpoLoss({ ...x, logprobs: v as tf.Tensor2D }, base).loss)(lp);
    const d = g.arraySync() as number[][];
    expect(d[0]![1]).toBeCloseTo((-0.904837 + 0.1 * (1 - Math.exp(-0.2))) / 3, 5); // −0.295570
    expect(d[0]![0]).toBeCloseTo(0, 6); // clipped, and its KL term is at its minimum
    expect(d[1]![1]).toBe(0); // padding
    tf.dispose([g, lp, x.logprobs, x.oldLogprobs, x.refLogprobs, x.advantages, x.mask]);
  });
  it('dapo needs the generation batch token count; β ≠ 0 needs the reference', () => {
    const x = inputs();
    expect(() => grpoLoss({ ...x, numItemsInBatch: undefined }, { ...base, lossType: 'dapo' })).toThrow(/numItemsInBatch/);
    expect(() => grpoLoss({ ...x, refLogprobs: null }, base)).toThrow(/refLogprobs/);
    tf.dispose([x.logprobs, x.oldLogprobs, x.refLogprobs, x.advantages, x.mask]);
  });
});

describe('GRPO config', () => {
  it("has TRL's defaults: dapo, scale by group, β 0, ε 0.2, G 8", () => {
    expect(resolveGRPOConfig()).toMatchObject({ lossType: 'dapo', scaleRewards: 'group', beta: 0, epsilon: 0.2, epsilonHigh: null, numGenerations: 8, numIterations: 1, learningRate: 1e-6, maxGradNorm: 1 });
  });
  it('names the bad field', () => {
    expect(() => resolveGRPOConfig({ lossType: 'ppo' })).toThrow(/lossType/);
    expect(() => resolveGRPOConfig({ numGenerations: 1 })).toThrow(ConfigError);
    expect(() => resolveGRPOConfig({ delta: 1 })).toThrow(/delta/);
    expect(() => resolveGRPOConfig({ nope: 1 })).toThrow(/unknown GRPO option "nope"/);
  });
});

describe('grpoStep on a toy policy', () => {
  // the reward is the number of 1s among 3 sampled tokens; groups of G = 4 completions per prompt
  const V = 4;
  const Tq = 1;
  const Tr = 3;
  it('raises the reward and leaks no tensors', () => {
    const rng = new Rng(3);
    const policy = new ToyPolicy({ vocab: V, hidden: 8, seed: rng.fork('init') });
    const ref = policy.frozenCopy();
    const config = resolveGRPOConfig({ numGenerations: 4, beta: 0.04, miniBatchSize: 8, learningRate: 0.05 });
    const optimizer = new TensorAdam(policy.variables, { lr: config.learningRate });
    const ctx = { config, forward: policy.forward, optimizer, variables: policy.variables, rng: rng.fork('mb') };
    const sample = rng.fork('sample');
    const meanReward = (): number => {
      const q = new Int32Array(64).fill(3);
      const r = policy.sample(q, 64, Tq, Tr, new Rng(9));
      return r.reduce((a, x) => a + (x === 1 ? 1 : 0), 0) / 64;
    };
    const before = meanReward();
    let stats: Record<string, number> = {};
    const n0 = tf.memory().numTensors;
    for (let step = 0; step < 40; step++) {
      const B = 16;
      const queries = new Int32Array(B).fill(3);
      const responses = policy.sample(queries, B, Tq, Tr, sample);
      const base = { batchSize: B, queryLength: Tq, responseLength: Tr, queries, queryMask: new Float32Array(B).fill(1), responses, responseMask: new Float32Array(B * Tr).fill(1) };
      const rewards = Array.from({ length: B }, (_, b) => responses.subarray(b * Tr, (b + 1) * Tr).reduce((a, x) => a + (x === 1 ? 1 : 0), 0));
      const { advantages } = groupAdvantages(rewards, 4);
      const logprobs = evaluateResponses(policy.forward, base).logprobs;
      const refLogprobs = evaluateResponses(ref.forward, base).logprobs;
      stats = grpoStep({ ...base, logprobs, refLogprobs, advantages }, ctx);
    }
    expect(tf.memory().numTensors).toBe(n0);
    expect(meanReward()).toBeGreaterThan(before + 0.3);
    expect(stats['policy/minibatches']).toBe(2);
    expect(stats['policy/kl']).toBeGreaterThan(0);
    for (const k of ['loss/policy', 'policy/clip_ratio/region_mean', 'policy/entropy', 'policy/grad_norm', 'policy/ratio']) expect(Number.isFinite(stats[k])).toBe(true);
    policy.dispose();
    ref.dispose();
  });
});

describe('grpoStep micro-batches', () => {
  it.each<GRPOLossType>(['grpo', 'bnpo', 'dr_grpo', 'dapo'])('%s: micro-batches of 3 give the update of whole minibatches of 8 (gradients summed, minibatch normalisers)', (lossType) => {
    const V = 4;
    const Tr = 3;
    const B = 16;
    const rng = new Rng(11);
    const a = new ToyPolicy({ vocab: V, hidden: 8, seed: rng.fork('init'), name: 'microA' });
    const b = new ToyPolicy({ vocab: V, hidden: 8, seed: new Rng(0), name: 'microB' }, a);
    const ref = a.frozenCopy();
    const queries = new Int32Array(B).fill(3);
    const responses = a.sample(queries, B, 1, Tr, rng.fork('sample'));
    const responseMask = Float32Array.from({ length: B * Tr }, (_, i) => (i % Tr === 2 && (i / Tr) % 3 === 0 ? 0 : 1)); // some padding
    const base = { batchSize: B, queryLength: 1, responseLength: Tr, queries, queryMask: new Float32Array(B).fill(1), responses, responseMask };
    const rewards = Array.from({ length: B }, (_, r) => responses[r * Tr]! % 2);
    const { advantages } = groupAdvantages(rewards, 4);
    const batch = { ...base, logprobs: evaluateResponses(a.forward, base).logprobs, refLogprobs: evaluateResponses(ref.forward, base).logprobs, advantages };
    const config = resolveGRPOConfig({ numGenerations: 4, beta: 0.1, miniBatchSize: 8, lossType, maxCompletionLength: Tr, learningRate: 0.05 });
    const optA = tf.train.sgd(0.5);
    const optB = tf.train.sgd(0.5);
    const whole = grpoStep(batch, { config, forward: a.forward, optimizer: optA, variables: a.variables, rng: new Rng(1) });
    const split = grpoStep(batch, { config, forward: b.forward, optimizer: optB, variables: b.variables, rng: new Rng(1), microBatchSize: 3 });
    for (let k = 0; k < a.variables.length; k++) {
      const x = a.variables[k]!.dataSync();
      const y = b.variables[k]!.dataSync();
      for (let i = 0; i < x.length; i++) expect(y[i]).toBeCloseTo(x[i]!, 5);
    }
    for (const key of ['loss/policy', 'policy/kl', 'policy/entropy', 'policy/ratio', 'policy/grad_norm']) expect(split[key]).toBeCloseTo(whole[key]!, 5);
    expect(whole['loss/policy']).not.toBe(0);
    optA.dispose();
    optB.dispose();
    a.dispose();
    b.dispose();
    ref.dispose();
  });
});

