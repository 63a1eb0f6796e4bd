import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { parseSafetensors, serializeSafetensors } from '../core/safetensors.js';
import { Adam, adamStepConstants, adamUpdate, resolveAdamConfig } from './adam.js';

describe('typed-array Adam', () => {
  it('matches a hand-computed first step and PyTorch-style bias correction', () => {
    const adam = new Adam(2, { lr: 0.1 });
    const theta = new Float32Array([1, -1]);
    adam.step(theta, [0.5, -2]);
    // t = 1: m̂ = g, v̂ = g², so θ ← θ − lr · g/(|g| + ε) = θ − 0.1 · sign(g)
    expect(theta[0]).toBeCloseTo(0.9, 6);
    expect(theta[1]).toBeCloseTo(-0.9, 6);
    adam.step(theta, [0.5, -2]);
    expect(theta[0]).toBeCloseTo(0.8, 5); // constant gradient: m̂/√v̂ stays 1
    expect(adam.t).toBe(2);
  });

  it('AdamW: decoupled weight decay shrinks θ by (1 − αλ) with a zero gradient', () => {
    const adam = new Adam(1, { lr: 0.1, weightDecay: 0.5 });
    const theta = new Float64Array([1]);
    adam.step(theta, [0]);
    expect(theta[0]).toBeCloseTo(1 - 0.1 * 0.5, 12);
  });

  it("precision 'float64' updates with the unrounded moments, 'float32' with the stored (rounded) ones", () => {
    const grads = [
      [0.1, -0.3, 1e-3],
      [0.2, 0.2, 0.7],
    ];
    const run = (precision: 'float32' | 'float64') => {
      const adam = new Adam(3, { lr: 0.01, precision });
      const theta = new Float64Array([0.5, 0.25, -1]);
      for (const g of grads) adam.step(theta, g);
      return theta;
    };
    // by hand, the equations in double precision; the moments are stored as float32 either way
    const byHand = (roundFirst: boolean): number[] =>
      [0.5, 0.25, -1].map((th, i) => {
        let m = 0;
        let v = 0;
        grads.forEach((g, k) => {
          const t = k + 1;
          const mNew = 0.9 * m + (1 - 0.9) * g[i]!;
          const vNew = 0.999 * v + (1 - 0.999) * g[i]! * g[i]!;
          m = Math.fround(mNew);
          v = Math.fround(vNew);
          const [mu, vu] = roundFirst ? [m, v] : [mNew, vNew];
          th = th - (0.01 * (mu / (1 - 0.9 ** t))) / (Math.sqrt(vu / (1 - 0.999 ** t)) + 1e-8);
        });
        return th;
      });
    const f32 = Array.from(run('float32'));
    const f64 = Array.from(run('float64'));
    expect(f32).toEqual(byHand(true));
    expect(f64).toEqual(byHand(false));
    expect(f64).not.toEqual(f32); // they differ in the last bits: which is why the choice is a parameter
    f64.forEach((x, i) => expect(Math.abs(x - f32[i]!)).toBeLessThan(1e-9));
  });

  it('resumes exactly: k steps, save (through safetensors bytes), restore into a fresh Adam, continue = uninterrupted, bitwise', () => {
    const rng = new Rng(7);
    const grads = Array.from({ length: 12 }, () => Float32Array.from(rng.normalArray(50)));
    const init = Float32Array.from(rng.normalArray(50));
    for (const precision of ['float32', 'float64'] as const) {
      const a = new Adam(50, { lr: 0.03, precision });
      const ta = init.slice();
      for (const g of grads) a.step(ta, g);
      const b = new Adam(50, { lr: 0.03, precision });
      const tb = init.slice();
      for (const g of grads.slice(0, 5)) b.step(tb, g);
      const file = parseSafetensors(serializeSafetensors({ ...b.toArrays('opt'), theta: { shape: [50], data: tb } }), 'test');
      const c = new Adam(50, { lr: 0.03, precision });
      c.fromArrays('opt', file.tensors);
      const tc = Float32Array.from(file.tensors.get('theta')!.data);
      expect(c.t).toBe(5);
      for (const g of grads.slice(5)) c.step(tc, g);
      expect(Array.from(tc)).toEqual(Array.from(ta));
      expect(Array.from(c.m)).toEqual(Array.from(a.m));
      expect(Array.from(c.v)).toEqual(Array.from(a.v));
    }
  });

  it('adamUpdate may write to another array than it reads (the tensor Adam writes a fresh tensor)', () => {
    const k = adamStepConstants(resolveAdamConfig({ lr: 0.1 }), 1, 0.1);
    const theta = new Float32Array([1, 2]);
    const out = new Float32Array(2);
    adamUpdate(theta, [1, -1], new Float32Array(2), new Float32Array(2), out, k);
    expect(Array.from(theta)).toEqual([1, 2]);
    expect(out[0]).toBeCloseTo(0.9, 6);
    expect(out[1]).toBeCloseTo(2.1, 6);
  });

  it('validates its config and sizes, naming the field', () => {
    expect(() => new Adam(2, { lr: 0 })).toThrow(/learning rate/);
    expect(() => new Adam(2, { lr: 0.1, beta1: 1 })).toThrow(/β₁/);
    expect(() => new Adam(2, { lr: 0.1, eps: 0 })).toThrow(/ε/);
    expect(() => new Adam(2, { lr: 0.1, precision: 'float16' as never })).toThrow(/precision/);
    expect(() => new Adam(2, { lr: 0.1 }).step(new Float32Array(3), [1, 2, 3])).toThrow(/size 2/);
    const a = new Adam(2, { lr: 0.1 });
    expect(() => a.fromArrays('opt', new Map())).toThrow(/no optimizer state "opt.t"/);
  });
});
