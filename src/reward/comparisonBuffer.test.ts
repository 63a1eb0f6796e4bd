import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { CheckpointError } from '../core/errors.js';
import { ComparisonBuffer } from './comparisonBuffer.js';
import { countComparisons, returnDifferences } from './tabular.js';

const S = 6;
// two batches of pairs of 3-step state sequences (rows of stride 3)
const batchA = countComparisons(Int32Array.from([0, 1, 2, 3, 3, 3]), Int32Array.from([1, 1, 1, 4, 5, 0]), 2, 3, 3, S, [1, 0]);
const batchB = countComparisons(Int32Array.from([5, 5, 5]), Int32Array.from([2, 2, 4]), 1, 3, 3, S, [0.5]);
const r = [0.1, -0.4, 2, 0.3, -1, 0.7];

describe('ComparisonBuffer', () => {
  it('holds every pushed comparison in order: the same return differences and targets as the batches', () => {
    const buf = new ComparisonBuffer(S, 1, false);
    buf.push(batchA, new Rng(1));
    buf.push(batchB, new Rng(1));
    expect(buf.size).toBe(3);
    const all = buf.all();
    expect(Array.from(returnDifferences(all, r))).toEqual([...returnDifferences(batchA, r), ...returnDifferences(batchB, r)]);
    expect(Array.from(all.mu)).toEqual([1, 0, 0.5]);
    expect(Array.from(all.weight)).toEqual([1, 1, 1]);
  });

  it('bootstraps per member: Poisson(1) weights drawn once per label, old weights unchanged by later pushes', () => {
    const buf = new ComparisonBuffer(S, 3, true);
    const rng = new Rng(7);
    for (let i = 0; i < 200; i++) buf.push(batchA, rng);
    const before = [0, 1, 2].map((k) => Array.from(buf.all(k).weight));
    expect(before[0]).not.toEqual(before[1]); // members resample differently
    const mean = before[0]!.reduce((a, b) => a + b, 0) / before[0]!.length;
    expect(mean).toBeGreaterThan(0.8);
    expect(mean).toBeLessThan(1.2);
    expect(before[0]!.some((w) => w === 0)).toBe(true);
    buf.push(batchB, rng);
    for (let k = 0; k < 3; k++) expect(Array.from(buf.all(k).weight).slice(0, 400)).toEqual(before[k]);
    // one member, or bootstrap off: every weight is 1
    const plain = new ComparisonBuffer(S, 3, false);
    plain.push(batchA, rng);
    expect(Array.from(plain.all(2).weight)).toEqual([1, 1]);
  });

  it('round-trips through checkpoint arrays; a damaged checkpoint is refused with CheckpointError', () => {
    const buf = new ComparisonBuffer(S, 2, true);
    const rng = new Rng(3);
    buf.push(batchA, rng);
    buf.push(batchB, rng);
    const arrays = new Map(Object.entries(buf.arrays()).map(([k, v]) => [k, { data: v.data }]));
    const back = new ComparisonBuffer(S, 2, true);
    back.restore(arrays);
    for (let k = 0; k < 2; k++) expect(back.all(k)).toEqual(buf.all(k));
    back.push(batchA, rng); // still growable after a restore
    expect(back.size).toBe(5);
    const broken = new Map(arrays);
    broken.set('labels.mu', { data: Float32Array.from([1]) });
    expect(() => new ComparisonBuffer(S, 2, true).restore(broken)).toThrow(CheckpointError);
    const missing = new Map(arrays);
    missing.delete('labels.weight.1');
    expect(() => new ComparisonBuffer(S, 2, true).restore(missing)).toThrow(/labels\.weight\.1/);
  });
});
