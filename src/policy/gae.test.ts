import { describe, expect, it } from 'vitest';
import { discountedReturns, gae } from './gae.js';

describe('gae', () => {
  it('matches the recursion computed by hand (γ 0.9, λ 0.8)', () => {
    // t=2: δ = 2 − 1.5 = 0.5;            A = 0.5
    // t=1: δ = 0 + 0.9·1.5 − 1 = 0.35;    A = 0.35 + 0.72·0.5 = 0.71
    // t=0: δ = 1 + 0.9·1 − 0.5 = 1.4;     A = 1.4 + 0.72·0.71 = 1.9112
    const { advantages, returns } = gae([1, 0, 2], [0.5, 1, 1.5], 1, 3, { gamma: 0.9, lambda: 0.8 });
    expect(Array.from(advantages)).toEqual([expect.closeTo(1.9112, 5), expect.closeTo(0.71, 5), expect.closeTo(0.5, 5)]);
    expect(Array.from(returns)).toEqual([expect.closeTo(2.4112, 5), expect.closeTo(1.71, 5), expect.closeTo(2.0, 5)]);
  });

  it('skips padding: a real step bootstraps from the next real step, padding gets 0', () => {
    // row 0: r = [1, 2, pad], V = [1, 1, 9]; γ = λ = 1 ⇒ A = Monte-Carlo return − V = [3 − 1, 2 − 1]
    // row 1: one real token then padding
    const r = [1, 2, 0, 5, 0, 0];
    const v = [1, 1, 9, 2, 7, 7];
    const mask = [1, 1, 0, 1, 0, 0];
    const { advantages, returns } = gae(r, v, 2, 3, { gamma: 1, lambda: 1, mask });
    expect(Array.from(advantages)).toEqual([2, 1, 0, 3, 0, 0]);
    expect(Array.from(returns)).toEqual([3, 2, 0, 5, 0, 0]);
  });

  it('does not bootstrap across an episode end, and bootstraps the last step from lastValues', () => {
    // dones[1] = 1: step 1 ends an episode. t=2: δ = 1 + 10 = 11; t=1: δ = 1, A = 1; t=0: δ = 1 + 0 − 0, A = 1 + 1 = 2
    const { advantages } = gae([1, 1, 1], [0, 0, 0], 1, 3, { gamma: 1, lambda: 1, dones: [0, 1, 0], lastValues: [10] });
    expect(Array.from(advantages)).toEqual([2, 1, 11]);
  });

  it('λ = 0 gives one-step TD errors', () => {
    const { advantages } = gae([1, 1], [0.5, 0.25], 1, 2, { gamma: 0.5, lambda: 0 });
    expect(advantages[0]).toBeCloseTo(1 + 0.5 * 0.25 - 0.5, 6);
    expect(advantages[1]).toBeCloseTo(1 - 0.25, 6);
  });

  it('rejects arrays of the wrong length', () => {
    expect(() => gae([1, 2], [1, 2, 3], 1, 3, { gamma: 1, lambda: 1 })).toThrow(/rewards has 2 entries/);
  });

  it('discountedReturns sums the discounted tail', () => {
    expect(Array.from(discountedReturns([1, 2, 4], 1, 3, 0.5))).toEqual([1 + 0.5 * (2 + 0.5 * 4), 2 + 0.5 * 4, 4]);
  });
});
