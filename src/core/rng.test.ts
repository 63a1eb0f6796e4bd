import { describe, expect, it } from 'vitest';
import { Rng, hashString } from './rng.js';

describe('Rng', () => {
  it('same seed gives the same stream, different seeds different streams', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 100 }, () => a.nextUint32());
    const xb = Array.from({ length: 100 }, () => b.nextUint32());
    const xc = Array.from({ length: 100 }, () => c.nextUint32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('state()/setState() resumes the exact stream, including after normals', () => {
    const a = new Rng(7);
    a.normal(); // an odd number of normals: nothing may be cached outside the state
    const s = a.state();
    const next = [a.normal(), a.uniform(), a.int(10), a.normal()];
    const b = new Rng(999);
    b.setState(s);
    expect([b.normal(), b.uniform(), b.int(10), b.normal()]).toEqual(next);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s); // JSON-serialisable for checkpoints
  });

  it('rejects a non-finite seed', () => {
    expect(() => new Rng(Number.NaN)).toThrow(/finite/);
  });

  it('fork(label) gives independent, reproducible streams and does not advance the parent', () => {
    const p = new Rng(1);
    const before = p.state();
    const f1 = p.fork('rollout');
    const f2 = p.fork('teacher');
    expect(p.state()).toEqual(before);
    const g1 = new Rng(1).fork('rollout');
    const a = Array.from({ length: 20 }, () => f1.uniform());
    expect(Array.from({ length: 20 }, () => g1.uniform())).toEqual(a);
    expect(Array.from({ length: 20 }, () => f2.uniform())).not.toEqual(a);
  });

  it('uniform is in [0, 1) with mean ≈ ½ and variance ≈ 1/12', () => {
    const r = new Rng(3);
    const n = 50_000;
    let m = 0;
    let m2 = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      if (!(u >= 0 && u < 1)) outside++;
      m += u;
      m2 += u * u;
    }
    m /= n;
    expect(outside).toBe(0);
    expect(Math.abs(m - 0.5)).toBeLessThan(0.01); // σ of the mean ≈ 0.0013
    expect(Math.abs(m2 / n - m * m - 1 / 12)).toBeLessThan(0.005);
  });

  it('normal and normalArray have mean ≈ 0 and std ≈ 1 (and honour mean/std)', () => {
    const r = new Rng(5);
    const xs = r.normalArray(40_001, 2, 3);
    expect(xs.length).toBe(40_001);
    let m = 0;
    for (const x of xs) m += x;
    m /= xs.length;
    let v = 0;
    for (const x of xs) v += (x - m) ** 2;
    v /= xs.length;
    expect(Math.abs(m - 3)).toBeLessThan(0.05);
    expect(Math.abs(Math.sqrt(v) - 2)).toBeLessThan(0.05);
    const ys = Array.from({ length: 20_000 }, () => r.normal());
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    expect(Math.abs(my)).toBeLessThan(0.05);
  });

  it('int, categorical, shuffle and sampleIndices behave', () => {
    const r = new Rng(11);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[r.categorical([1, 2, 7])]!++;
    expect(counts[0]! / 30_000).toBeCloseTo(0.1, 1);
    expect(counts[2]! / 30_000).toBeCloseTo(0.7, 1);
    expect(() => r.categorical([0, 0])).toThrow(/positive sum/);
    for (let i = 0; i < 1000; i++) {
      const k = r.int(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
    }
    expect(() => r.int(0)).toThrow();
    const arr = Array.from({ length: 20 }, (_, i) => i);
    expect([...r.shuffle(arr.slice())].sort((a, b) => a - b)).toEqual(arr);
    const idx = r.sampleIndices(10, 6);
    expect(new Set(idx).size).toBe(6);
    expect(idx.every((i) => i >= 0 && i < 10)).toBe(true);
    expect(() => r.sampleIndices(3, 4)).toThrow();
  });

  it('hashString is FNV-1a', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
  });
});
