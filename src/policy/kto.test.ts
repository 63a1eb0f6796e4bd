import { beforeAll, describe, expect, it } from 'vitest';
import { initTensors, tf } from '../core/tensor.js';
import { Rng } from '../core/rng.js';
import { TensorAdam } from '../optim/tensorAdam.js';
import { ktoKlEstimate, ktoLoss, ktoMismatchedPairs, ktoStep, resolveKTOConfig, type KTOBatch } from './kto.js';
import { ToyPolicy } from './toy.js';

beforeAll(async () => {
  await initTensors();
});

describe('KTO loss (hand-computed)', () => {
  // r = log π − log π_ref = [0.5, −0.5, −1], labels [👍, 👎, 👍], z_ref = 0.3, β = 0.1, λ_D = 1, λ_U = 2:
  //   1 − σ(0.1·(0.5 − 0.3)) = 0.495000;  2·(1 − σ(0.1·(0.3 + 0.5))) = 0.960021;  1 − σ(0.1·(−1 − 0.3)) = 0.532454
  const c = { beta: 0.1, desirableWeight: 1, undesirableWeight: 2, lossType: 'kto' as const };
  const run = (labels: number[], kl: number, over: Partial<typeof c> | { lossType: 'apo_zero_unpaired' } = {}) => {
    const out = ktoLoss(tf.tensor1d([-1, -2, -3]), tf.tensor1d([-1.5, -1.5, -2]), tf.tensor1d(labels), kl, { ...c, ...over });
    const r = { loss: out.loss.dataSync()[0]!, losses: Array.from(out.losses.dataSync()), rewards: Array.from(out.rewards.dataSync()) };
    tf.dispose(Object.values(out));
    return r;
  };
  it('desirable 1 − σ(β(r − z)), undesirable 1 − σ(β(z − r)), weighted', () => {
    const r = run([1, 0, 1], 0.3);
    expect(r.losses).toEqual([0.495, 0.960021, 0.532454].map((x) => expect.closeTo(x, 5)));
    expect(r.loss).toBeCloseTo(0.662492, 5);
    expect(r.rewards).toEqual([0.05, -0.05, -0.1].map((x) => expect.closeTo(x, 6)));
  });
  it('a soft label μ mixes the two terms', () => {
    expect(run([0.25, 0, 1], 0.3).losses[0]).toBeCloseTo(0.88125, 5); // 0.25·(1 − σ(0.02)) + 0.75·2·(1 − σ(−0.02))
  });
  it('apo_zero_unpaired: 1 − σ(βr) and σ(βr), no z_ref', () => {
    expect(run([1, 0, 1], 0.3, { lossType: 'apo_zero_unpaired' }).losses).toEqual([0.487503, 0.975005, 0.524979].map((x) => expect.closeTo(x, 5)));
  });
  it('z_ref = max(0, mean(log π − log π_ref)) on the mismatched pairs', () => {
    expect(ktoKlEstimate([-2, -1], [-2.4, -1.2])).toBeCloseTo(0.3, 6);
    expect(ktoKlEstimate([-2, -1], [-1, -1])).toBe(0); // clamped
  });
  it('mismatched pairs rotate the completions by one, as TRL: (x1, y3), (x2, y1), (x3, y2)', () => {
    const p = ktoMismatchedPairs([[1], [2], [3]], [[10, 11], [20], [30]]);
    expect(p.rows).toEqual([[1, 30], [2, 10, 11], [3, 20]]);
    expect(p.completionLengths).toEqual([1, 2, 1]);
  });
  it("TRL's defaults", () => {
    expect(resolveKTOConfig()).toMatchObject({ beta: 0.1, desirableWeight: 1, undesirableWeight: 1, lossType: 'kto', learningRate: 1e-6, batchSize: 8 });
    expect(() => resolveKTOConfig({ beta: 0 })).toThrow(/beta/);
  });
});

describe('ktoStep on a toy policy', () => {
  it('makes 👍 completions more likely and leaks no tensors', () => {
    // prompt token 3; completions of 3 tokens; 👍 when a completion has two or more 1s
    const V = 4;
    const T = 4;
    const rng = new Rng(7);
    const policy = new ToyPolicy({ vocab: V, hidden: 8, seed: rng.fork('init') });
    const ref = policy.frozenCopy();
    const config = resolveKTOConfig({ beta: 0.5 });
    const optimizer = new TensorAdam(policy.variables, { lr: 0.05 });
    const sample = rng.fork('sample');
    const make = (n: number): KTOBatch => {
      const comps = Array.from({ length: n }, () => Array.from(policy.sample(new Int32Array([3]), 1, 1, 3, sample)));
      const labels = Float32Array.from(comps, (c) => (c.filter((x) => x === 1).length >= 2 ? 1 : 0));
      const rows = comps.map((c) => [3, ...c]);
      const kl = ktoMismatchedPairs(comps.map(() => [3]), comps);
      const pack = (rs: number[][]) => ({ ids: Int32Array.from(rs.flat()), mask: new Float32Array(rs.length * T).fill(1), lossMask: Float32Array.from(rs.flatMap(() => [0, 1, 1, 1])) });
      const k = pack(kl.rows);
      return { n, length: T, ...pack(rows), labels, klRows: { m: n, ...k } };
    };
    const rate = (): number => {
      const r = policy.sample(new Int32Array(256).fill(3), 256, 1, 3, new Rng(11));
      let good = 0;
      for (let b = 0; b < 256; b++) if (r.subarray(b * 3, b * 3 + 3).filter((x) => x === 1).length >= 2) good++;
      return good / 256;
    };
    const before = rate();
    const n0 = tf.memory().numTensors;
    let stats: Record<string, number> = {};
    for (let i = 0; i < 30; i++) stats = ktoStep(make(8), { config, policy: policy.forward, reference: ref.forward, optimizer, variables: policy.variables });
    expect(tf.memory().numTensors).toBe(n0);
    expect(rate()).toBeGreaterThan(before + 0.2); // 👍 completions become more likely
    expect(stats.kl).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(stats.loss)).toBe(true);
    policy.dispose();
    ref.dispose();
  });
});
