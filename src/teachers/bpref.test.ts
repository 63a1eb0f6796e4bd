import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { BPrefTeacher, NAMED_TEACHERS, TEACHER_NAMES, myopicReturn, preferenceProbability, resolveTeacher, teacherLabel, thresholdsFor, type TeacherConfig } from './bpref.js';

const NO_THRESHOLDS = { skip: 0, equal: 0, floor: 0 };
const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** Share of labels equal to `want` over n draws of the same pair. */
function rate(c: TeacherConfig, left: number[], right: number[], want: string, n: number, seed = 1): number {
  const rng = new Rng(seed);
  let k = 0;
  for (let i = 0; i < n; i++) if (teacherLabel(c, NO_THRESHOLDS, left, right, rng) === want) k++;
  return k / n;
}

/** |observed − p| within 4 standard errors of a binomial share. */
function expectShare(observed: number, p: number, n: number): void {
  expect(Math.abs(observed - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n) + 1e-9);
}

describe('B-Pref teachers', () => {
  it('has the six named teachers with the paper parameters', () => {
    expect(TEACHER_NAMES.sort()).toEqual(['equal', 'mistake', 'myopic', 'noisy', 'oracle', 'skip']);
    expect(NAMED_TEACHERS.oracle).toEqual({ beta: Infinity, gamma: 1, epsMistake: 0, epsSkip: 0, epsEqual: 0 });
    expect(NAMED_TEACHERS.noisy.beta).toBe(1);
    expect(NAMED_TEACHERS.mistake.epsMistake).toBe(0.1);
    expect(NAMED_TEACHERS.skip.epsSkip).toBe(0.1);
    expect(NAMED_TEACHERS.myopic.gamma).toBe(0.9);
    expect(NAMED_TEACHERS.equal.epsEqual).toBe(0.1);
  });

  it('resolveTeacher validates ranges and names the option', () => {
    expect(() => resolveTeacher('nope')).toThrow(/unknown teacher "nope"/);
    expect(() => resolveTeacher('oracle', { beta: 0 })).toThrow(expect.objectContaining({ key: 'beta' }));
    expect(() => resolveTeacher('oracle', { gamma: 1.5 })).toThrow(expect.objectContaining({ key: 'gamma' }));
    expect(() => resolveTeacher('oracle', { epsMistake: 1 })).toThrow(expect.objectContaining({ key: 'mistake' }));
    expect(() => resolveTeacher('oracle', { epsSkip: -1 })).toThrow(expect.objectContaining({ key: 'skip' }));
    expect(() => resolveTeacher('oracle', { epsEqual: -0.1 })).toThrow(expect.objectContaining({ key: 'equal' }));
    expect(resolveTeacher('noisy', { beta: 5 }).beta).toBe(5);
  });

  it('the oracle is rational: always the larger return, exact ties to the left', () => {
    const c = resolveTeacher('oracle');
    expect(rate(c, [1, 2], [0, 0], 'left', 200)).toBe(1);
    expect(rate(c, [0, 0], [0, 0.001], 'right', 200)).toBe(1);
    expect(rate(c, [1, 1], [2, 0], 'left', 200)).toBe(1);
  });

  it('Boltzmann: P(right) = sigmoid(β ΔR) empirically, and β → ∞ becomes rational', () => {
    const n = 20_000;
    for (const beta of [0.5, 1, 2]) {
      const c = resolveTeacher('noisy', { beta });
      const left = [0.3, 0.2];
      const right = [0.5, 0.4]; // ΔR = 0.4
      expect(preferenceProbability(c, left, right)).toBeCloseTo(sig(beta * 0.4), 12);
      expectShare(rate(c, left, right, 'right', n, 7), sig(beta * 0.4), n);
    }
    const huge = resolveTeacher('noisy', { beta: 1e6 });
    const oracle = resolveTeacher('oracle');
    const rngA = new Rng(3);
    const rngB = new Rng(4);
    for (let i = 0; i < 500; i++) {
      const l = [rngA.uniform(), rngA.uniform()];
      const r = [rngA.uniform(), rngA.uniform()];
      expect(teacherLabel(huge, NO_THRESHOLDS, l, r, rngB)).toBe(teacherLabel(oracle, NO_THRESHOLDS, l, r, rngB));
    }
  });

  it('the mistake teacher flips the rational label with probability ε', () => {
    const n = 20_000;
    for (const eps of [0.1, 0.3]) {
      const c = resolveTeacher('mistake', { epsMistake: eps });
      expectShare(rate(c, [1], [0], 'right', n, 11), eps, n);
    }
  });

  it('myopia: γ^(H−1−t) weights make late rewards count more', () => {
    expect(myopicReturn([1, 0, 0], 0.5)).toBeCloseTo(0.25, 12);
    expect(myopicReturn([0, 0, 1], 0.5)).toBe(1);
    const myopic = resolveTeacher('myopic');
    const early = [1, 0, 0, 0];
    const late = [0, 0, 0, 1];
    // equal undiscounted returns: the oracle calls it a tie (→ left), the myopic teacher prefers the late reward
    expect(rate(resolveTeacher('oracle'), late, early, 'left', 100)).toBe(1);
    expect(rate(myopic, early, late, 'right', 100)).toBe(1);
    // it can even prefer a smaller total if it comes late: 0.9³·1.2 = 0.8748 < 0.9
    expect(rate(myopic, [1.2, 0, 0, 0], [0, 0, 0, 0.9], 'right', 100)).toBe(1);
  });

  it('skip: pairs whose better segment returns ≤ θ_skip = ε_skip × mean segment return are skipped', () => {
    const t = new BPrefTeacher(resolveTeacher('skip', { epsSkip: 0.5 }), new Rng(1));
    // segment returns 0, 1, 3, 4, 8, 8 → mean 4 → θ_skip = 2: pairs with max ≤ 2 are skipped
    const labels = t.labelBatch([
      { left: [0], right: [1] },
      { left: [3], right: [4] },
      { left: [8], right: [8] },
    ]);
    expect(labels).toEqual(['skip', 'right', 'left']);
    // the floor shifts rewards before the test (negative rewards): returns −10, −9 | −5, −1 → shifted (floor −10) 0, 1 | 5, 9
    const th = thresholdsFor(resolveTeacher('skip', { epsSkip: 0.5 }), -6.25, 3.75, -10);
    expect(th.skip).toBeCloseTo(1.875, 12);
    expect(teacherLabel(resolveTeacher('skip', { epsSkip: 0.5 }), th, [-10], [-9], new Rng(1))).toBe('skip');
    expect(teacherLabel(resolveTeacher('skip', { epsSkip: 0.5 }), th, [-5], [-1], new Rng(1))).toBe('right');
  });

  it('equal: |ΔR| < θ_equal = ε_equal × |mean return| gives a tie, overriding a mistake', () => {
    const c = resolveTeacher('equal', { epsEqual: 0.1, epsMistake: 0.4 });
    const th = thresholdsFor(c, 10); // θ_equal = 1
    const rng = new Rng(2);
    const labels = Array.from({ length: 200 }, () => teacherLabel(c, th, [10], [10.9], rng));
    expect(labels.every((l) => l === 'tie')).toBe(true);
    const n = 20_000;
    let wrong = 0;
    for (let i = 0; i < n; i++) if (teacherLabel(c, th, [10], [11.5], rng) === 'left') wrong++; // |ΔR| = 1.5 ≥ 1: no tie
    expectShare(wrong / n, 0.4, n);
  });

  it('labelBatch is reproducible from the Rng', () => {
    const pairs = Array.from({ length: 50 }, (_, i) => ({ left: [Math.sin(i)], right: [Math.cos(i)] }));
    const a = new BPrefTeacher(resolveTeacher('noisy'), new Rng(9)).labelBatch(pairs);
    const b = new BPrefTeacher(resolveTeacher('noisy'), new Rng(9)).labelBatch(pairs);
    expect(a).toEqual(b);
  });
});
