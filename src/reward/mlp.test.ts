import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { Adam } from '../optim/adam.js';
import { Mlp, type Activation } from './mlp.js';

/** loss = ½ Σ y², so dL/dy = y */
function loss(m: Mlp, x: Float64Array, n: number): number {
  const y = m.predict(x, n);
  let s = 0;
  for (const v of y) s += 0.5 * v * v;
  return s;
}

describe('Mlp', () => {
  for (const activation of ['tanh', 'leakyRelu', 'relu'] as Activation[])
    it(`backprop matches finite differences (${activation})`, () => {
      const rng = new Rng(1);
      const m = new Mlp({ sizes: [3, 5, 4, 2], activation, init: 'normal', initStd: 0.5 }, rng);
      const n = 4;
      const x = Float64Array.from(rng.normalArray(n * 3));
      const y = m.forward(x, n);
      m.zeroGrad();
      const dx = m.backward(y);
      const h = 1e-3;
      for (let k = 0; k < m.params.length; k++)
        for (let i = 0; i < m.params[k]!.length; i += 3) {
          const p = m.params[k]!;
          const old = p[i]!;
          p[i] = old + h;
          const lp = loss(m, x, n);
          p[i] = old - h;
          const lm = loss(m, x, n);
          p[i] = old;
          const fd = (lp - lm) / (2 * h);
          expect(m.grads[k]![i]!).toBeCloseTo(fd, 2);
        }
      for (let i = 0; i < x.length; i++) {
        const old = x[i]!;
        x[i] = old + h;
        const lp = loss(m, x, n);
        x[i] = old - h;
        const lm = loss(m, x, n);
        x[i] = old;
        expect(dx[i]!).toBeCloseTo((lp - lm) / (2 * h), 2);
      }
    });

  it('learns a regression with Adam, deterministically', () => {
    const fit = (seed: number) => {
      const rng = new Rng(seed);
      const m = new Mlp({ sizes: [1, 16, 1], activation: 'tanh' }, rng);
      const opt = new Adam(m.numParams, { lr: 0.02, precision: 'float32' });
      const xs = Float64Array.from({ length: 32 }, (_, i) => i / 16 - 1);
      let mse = 0;
      for (let step = 0; step < 500; step++) {
        const y = m.forward(xs, 32);
        const dy = new Float64Array(32);
        mse = 0;
        for (let i = 0; i < 32; i++) {
          const e = y[i]! - Math.sin(3 * xs[i]!);
          mse += (e * e) / 32;
          dy[i] = (2 * e) / 32;
        }
        m.zeroGrad();
        m.backward(dy);
        opt.step(m.flatParams, m.flatGrads);
      }
      return { mse, w: Array.from(m.params[0]!) };
    };
    const a = fit(3);
    expect(a.mse).toBeLessThan(0.01);
    expect(fit(3).w).toEqual(a.w);
  });

  it('round-trips weights and optimizer state through arrays', () => {
    const rng = new Rng(2);
    const m = new Mlp({ sizes: [2, 3, 1] }, rng);
    const opt = new Adam(m.numParams, { lr: 0.1 });
    m.forward([1, 2], 1);
    m.zeroGrad();
    m.backward([1]);
    opt.step(m.flatParams, m.flatGrads);
    const arrays = new Map(
      Object.entries({ ...m.toArrays('rm'), ...opt.toArrays('opt') }).map(([k, v]) => [k, { dtype: 'F32' as const, shape: v.shape, data: v.data }]),
    );
    const m2 = new Mlp({ sizes: [2, 3, 1] }, new Rng(99));
    const opt2 = new Adam(m2.numParams, { lr: 0.1 });
    m2.fromArrays('rm', arrays);
    opt2.fromArrays('opt', arrays);
    expect(Array.from(m2.params[0]!)).toEqual(Array.from(m.params[0]!));
    opt.step(m.flatParams, m.flatGrads);
    opt2.step(m2.flatParams, m.flatGrads);
    expect(Array.from(m2.params[2]!)).toEqual(Array.from(m.params[2]!));
    expect(Array.from(m2.flatParams)).toEqual(Array.from(m.flatParams));
  });

  it('keeps every weight in one buffer: params and grads are views of flatParams and flatGrads, layer by layer', () => {
    const m = new Mlp({ sizes: [2, 3, 1] }, new Rng(4));
    expect(m.params.map((p) => p.length)).toEqual([6, 3, 3, 1]);
    expect(m.numParams).toBe(13);
    m.params[2]![1] = 7; // the second entry of W₂ sits at 6 (W₁) + 3 (b₁) + 1
    expect(m.flatParams[10]).toBe(7);
    m.forward([1, -1], 1);
    m.zeroGrad();
    m.backward([1]);
    expect(m.grads[3]![0]).toBe(1); // ∂y/∂b₂ = 1
    expect(m.flatGrads[12]).toBe(1);
  });
});
