import { describe, expect, it } from 'vitest';
import { logSigmoid, sigmoid, softplus } from './math.js';

describe('stable scalar functions', () => {
  it('sigmoid is 1/(1 + e^−x), finite and exact at the extremes', () => {
    for (const x of [-3, -0.5, 0, 0.5, 3]) expect(sigmoid(x)).toBeCloseTo(1 / (1 + Math.exp(-x)), 14);
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(800)).toBe(1);
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(-40)).toBeGreaterThan(0); // e^−40/(1 + e^−40): no cancellation to 0
  });

  it('logSigmoid and softplus stay finite where the naive forms overflow or give log 0', () => {
    for (const x of [-3, -0.5, 0, 0.5, 3]) {
      expect(logSigmoid(x)).toBeCloseTo(Math.log(1 / (1 + Math.exp(-x))), 14);
      expect(softplus(x)).toBeCloseTo(Math.log(1 + Math.exp(x)), 14);
    }
    expect(logSigmoid(-800)).toBe(-800); // naive: log(0) = −∞
    expect(logSigmoid(800)).toBe(0);
    expect(softplus(800)).toBe(800); // naive: log(∞)
    expect(softplus(-800)).toBe(0);
    expect(softplus(1.7)).toBeCloseTo(-logSigmoid(-1.7), 15);
  });
});
