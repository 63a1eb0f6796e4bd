import { beforeAll, describe, expect, it } from 'vitest';
import { initTensors, tf } from '../core/tensor.js';
import { Rng } from '../core/rng.js';
import { ConfigError } from '../core/errors.js';
import { dpoLoss, dpoStep, resolveDPOConfig, sequenceLogprobs, type DPOBatch } from './dpo.js';
import { ToyPolicy } from './toy.js';
import { TensorAdam } from '../optim/tensorAdam.js';

beforeAll(async () => {
  await initTensors();
});

const softplus = (x: number): number => Math.log1p(Math.exp(x));

describe('DPO loss', () => {
  // pair 1: chosenLogRatio = −1 − (−2) = 1, rejectedLogRatio = −3 − (−2) = −1, delta = 2
  // pair 2: chosenLogRatio = 0, rejectedLogRatio = 1, delta = −1
  const run = (cfg: { beta: number; labelSmoothing: number; lossType: 'sigmoid' | 'hinge' | 'ipo' }): { loss: number; losses: number[]; chosen: number[]; rejected: number[] } => {
    const out = dpoLoss(tf.tensor1d([-1, -2]), tf.tensor1d([-3, -1]), tf.tensor1d([-2, -2]), tf.tensor1d([-2, -2]), cfg);
    const r = { loss: out.loss.dataSync()[0]!, losses: Array.from(out.losses.dataSync()), chosen: Array.from(out.chosenRewards.dataSync()), rejected: Array.from(out.rejectedRewards.dataSync()) };
    tf.dispose(Object.values(out));
    return r;
  };

  it('sigmoid: −log σ(β·delta), Eq. 7', () => {
    const r = run({ beta: 0.5, labelSmoothing: 0, lossType: 'sigmoid' });
    expect(r.losses[0]).toBeCloseTo(softplus(-1), 5); // −log σ(1) = 0.313262
    expect(r.losses[1]).toBeCloseTo(softplus(0.5), 5); // −log σ(−0.5) = 0.974077
    expect(r.loss).toBeCloseTo((0.313262 + 0.974077) / 2, 5);
    expect(r.chosen).toEqual([expect.closeTo(0.5, 6), expect.closeTo(0, 6)]);
    expect(r.rejected).toEqual([expect.closeTo(-0.5, 6), expect.closeTo(0.5, 6)]);
  });
  it('label smoothing mixes in the flipped label', () => {
    const r = run({ beta: 0.5, labelSmoothing: 0.1, lossType: 'sigmoid' });
    expect(r.losses[0]).toBeCloseTo(0.9 * softplus(-1) + 0.1 * softplus(1), 5);
  });
  it('hinge and ipo', () => {
    const h = run({ beta: 0.5, labelSmoothing: 0, lossType: 'hinge' });
    expect(h.losses).toEqual([expect.closeTo(0, 6), expect.closeTo(1.5, 6)]);
    const i = run({ beta: 0.5, labelSmoothing: 0, lossType: 'ipo' });
    expect(i.losses).toEqual([expect.closeTo(1, 6), expect.closeTo(4, 6)]); // (2 − 1)², (−1 − 1)²
  });
  it('config names the bad field', () => {
    expect(resolveDPOConfig()).toMatchObject({ beta: 0.1, labelSmoothing: 0, lossType: 'sigmoid' });
    expect(() => resolveDPOConfig({ beta: 0 })).toThrow(ConfigError);
    expect(() => resolveDPOConfig({ labelSmoothing: 0.5 })).toThrow(/labelSmoothing/);
    expect(() => resolveDPOConfig({ lossType: 'kto' })).toThrow(/lossType/);
  });
});

// Toy pairs: after start token 3, 4 tokens; the chosen response has more 1s than the rejected one.
function makePairs(rng: Rng, n: number): DPOBatch {
  const T = 5;
  const chosenIds = new Int32Array(n * T);
  const rejectedIds = new Int32Array(n * T);
  for (let i = 0; i < n; i++) {
    chosenIds[i * T] = 3;
    rejectedIds[i * T] = 3;
    for (let t = 1; t < T; t++) {
      chosenIds[i * T + t] = rng.uniform() < 0.6 ? 1 : rng.int(4);
      rejectedIds[i * T + t] = rng.uniform() < 0.6 ? 2 : rng.int(4);
    }
  }
  const mask = new Float32Array(n * T).fill(1);
  const lossMask = new Float32Array(n * T).fill(1);
  for (let i = 0; i < n; i++) lossMask[i * T] = 0; // the prompt does not count
  return { n, length: T, chosenIds, chosenMask: mask, chosenLossMask: lossMask, rejectedIds, rejectedMask: mask, rejectedLossMask: lossMask };
}

describe('dpoStep', () => {
  it('learns the preference on a toy policy, keeps the reference fixed, leaks no tensors', () => {
    const rng = new Rng(3);
    const policy = new ToyPolicy({ vocab: 4, hidden: 16, seed: rng.fork('init') });
    const ref = policy.frozenCopy();
    const config = resolveDPOConfig({ beta: 0.5, learningRate: 0.05 });
    const optimizer = new TensorAdam(policy.variables, { lr: config.learningRate });
    const ctx = { config, policy: policy.forward, reference: ref.forward, optimizer, variables: policy.variables };
    const batch = makePairs(rng, 16);
    const first = dpoStep(batch, ctx);
    expect(first.loss).toBeCloseTo(Math.log(2), 4); // π = π_ref: delta = 0, −log σ(0) = log 2
    expect(first['rewards/margins']).toBeCloseTo(0, 5);
    const n0 = tf.memory().numTensors;
    dpoStep(batch, ctx);
    expect(tf.memory().numTensors).toBe(n0);
    let last = first;
    for (let i = 0; i < 20; i++) last = dpoStep(makePairs(rng, 16), ctx);
    expect(last['rewards/accuracies']).toBeGreaterThan(0.8);
    expect(last['rewards/margins']).toBeGreaterThan(0.5);
    expect(last.loss).toBeLessThan(0.5);
    // the reference is unchanged: its sequence log-probs equal a fresh frozen copy's
    const held = makePairs(rng, 8);
    const a = sequenceLogprobs(ref.forward, held.chosenIds, held.chosenMask, held.chosenLossMask, 8, 5);
    const p = sequenceLogprobs(policy.forward, held.chosenIds, held.chosenMask, held.chosenLossMask, 8, 5);
    const r = sequenceLogprobs(ref.forward, held.rejectedIds, held.rejectedMask, held.rejectedLossMask, 8, 5);
    const pr = sequenceLogprobs(policy.forward, held.rejectedIds, held.rejectedMask, held.rejectedLossMask, 8, 5);
    let wins = 0;
    for (let i = 0; i < 8; i++) if (p[i]! - a[i]! > pr[i]! - r[i]!) wins++;
    expect(wins).toBeGreaterThanOrEqual(7);
    policy.dispose();
    ref.dispose();
  });

  it('IPO compares per-token mean log-probs, as TRL and the IPO paper (one pair, 10 tokens, log-ratio ±0.1 per token, β 0.1: 23.04)', () => {
    // rows [prompt token | 10 response tokens]; per token log π = −0.9 (chosen), −1.1 (rejected), log π_ref = −1
    const T = 11;
    const lossMask = Float32Array.from({ length: T }, (_, t) => (t === 0 ? 0 : 1));
    const batch: DPOBatch = {
      n: 1,
      length: T,
      chosenIds: new Int32Array(T),
      chosenMask: new Float32Array(T).fill(1),
      chosenLossMask: lossMask,
      rejectedIds: new Int32Array(T),
      rejectedMask: new Float32Array(T).fill(1),
      rejectedLossMask: lossMask,
      refChosenLogps: Float32Array.of(-10), // Σ over the 10 tokens
      refRejectedLogps: Float32Array.of(-10),
    };
    const w = tf.variable(tf.scalar(0));
    const perToken = tf.tensor2d([Array.from({ length: T }, () => -0.9), Array.from({ length: T }, () => -1.1)]); // [2, T]: chosen row, rejected row
    const policy = () => ({ logprobs: tf.add(perToken, tf.mul(w, 0)) as tf.Tensor2D });
    const step = (lossType: 'ipo' | 'sigmoid') => dpoStep(batch, { config: resolveDPOConfig({ beta: 0.1, lossType, maxGradNorm: null }), policy, optimizer: tf.train.sgd(0), variables: [w] });
    const ipo = step('ipo');
    // log-ratios per token ±0.1 → delta = 0.1 − (−0.1) = 0.2;  (0.2 − 1/(2·0.1))² = 23.04  (summing gives (2 − 5)² = 9)
    expect(ipo.loss).toBeCloseTo(23.04, 3);
    expect(ipo['logps/chosen']).toBeCloseTo(-0.9, 5); // reported per token, as TRL does for IPO
    expect(ipo['rewards/chosen']).toBeCloseTo(0.1 * 0.1, 5);
    // the DPO (sigmoid) loss keeps the summed log-probs: −log σ(0.1 · 2)
    expect(step('sigmoid').loss).toBeCloseTo(Math.log1p(Math.exp(-0.2)), 5);
    tf.dispose([w, perToken]);
  });

  it('needs reference log-probs from somewhere', () => {
    const rng = new Rng(1);
    const policy = new ToyPolicy({ vocab: 4, hidden: 4, seed: rng });
    const ctx = { config: resolveDPOConfig(), policy: policy.forward, optimizer: tf.train.sgd(0.1) };
    expect(() => dpoStep(makePairs(rng, 2), ctx)).toThrow(/reference/);
    policy.dispose();
  });
});
