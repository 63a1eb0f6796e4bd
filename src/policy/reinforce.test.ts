import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { MovingBaseline, returnsToGo, softmaxReinforceGrad } from './reinforce.js';

/** π = softmax(z) */
const softmax = (z: number[]): number[] => {
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

describe('returns and baselines', () => {
  it('returnsToGo: Gₜ = rₜ + γ Gₜ₊₁', () => {
    expect(Array.from(returnsToGo([1, 0, 2], 0.5))).toEqual([1 + 0.5 * (0 + 0.5 * 2), 0 + 0.5 * 2, 2]);
    expect(Array.from(returnsToGo([1, 2, 3], 0))).toEqual([1, 2, 3]);
    expect(returnsToGo([], 0.9).length).toBe(0);
  });

  it('moving baseline: b ← b + η (x − b), one value per key, in the caller’s array', () => {
    const b = new MovingBaseline(0.1);
    expect(b.update(1)).toBe(0); // returns b before the update
    expect(b.get()).toBeCloseTo(0.1, 12);
    b.update(1);
    expect(b.get()).toBeCloseTo(0.19, 12);
    const values = new Float32Array([0.5, 0.5, 0.5]);
    const k = new MovingBaseline(0.5, values);
    k.update(1, 2);
    expect(Array.from(values)).toEqual([0.5, 0.5, 0.75]);
    expect(() => k.get(3)).toThrow(/out of range/);
    expect(() => new MovingBaseline(0)).toThrow(/baseline rate/);
  });
});

describe('softmaxReinforceGrad', () => {
  it('matches the hand-computed gradient on a two-armed bandit', () => {
    // θ = [0, 0] ⇒ π = [½, ½]; actions [0, 1], R = [1, 0], b = ½ ⇒ A = [½, −½], T = 2
    // ∂L/∂z = −(1/T) Σₜ Aₜ (e_aₜ − π) = −½([¼, −¼] + [¼, −¼]) = [−¼, ¼]
    const g = new Float64Array(2);
    softmaxReinforceGrad([0.5, -0.5], [0.5, 0.5], 2, g);
    expect(Array.from(g)).toEqual([-0.25, 0.25]);
  });

  it('equals the finite-difference gradient of L = −(1/T) Σ Aₜ log π(aₜ) − (c_H n/T) H(π)', () => {
    const z = [0.3, -0.7, 1.1];
    const c = [0.8, 0, -1.3]; // advantage sums per action
    const n = 4;
    const T = 5;
    const cH = 0.2;
    const L = (zz: number[]): number => {
      const p = softmax(zz);
      const H = -p.reduce((s, q) => s + q * Math.log(q), 0);
      return -c.reduce((s, ca, a) => s + ca * Math.log(p[a]!), 0) / T - ((cH * n) / T) * H;
    };
    const g = new Float64Array(3);
    softmaxReinforceGrad(c, softmax(z), T, g, { coef: cH, visits: n });
    const h = 1e-6;
    z.forEach((_, a) => {
      const up = z.slice();
      const dn = z.slice();
      up[a]! += h;
      dn[a]! -= h;
      expect(g[a]!).toBeCloseTo((L(up) - L(dn)) / (2 * h), 6);
    });
  });

  it('learns the best arm of a 3-armed bandit with a moving baseline', () => {
    const rng = new Rng(5);
    const means = [0, 1, 0.2];
    const z = [0, 0, 0];
    const base = new MovingBaseline(0.1);
    const g = new Float64Array(3);
    for (let it = 0; it < 300; it++) {
      const p = softmax(z);
      const a = rng.categorical(p);
      const r = means[a]! + 0.1 * rng.normal();
      const c = [0, 0, 0];
      c[a] = r - base.update(r); // A = r − b, then b ← b + η (r − b)
      softmaxReinforceGrad(c, p, 1, g);
      for (let k = 0; k < 3; k++) z[k]! -= 0.5 * g[k]!; // gradient descent on L
    }
    expect(softmax(z)[1]).toBeGreaterThan(0.8);
  });
});
