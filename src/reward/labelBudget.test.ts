import { describe, expect, it } from 'vitest';
import { LabelBudget, resolveLabelBudget, scheduledLabels } from './labelBudget.js';

describe('label budget', () => {
  it('is never exceeded, whatever the schedule', () => {
    for (const schedule of ['constant', 'decay'] as const)
      for (const budget of [0, 1, 7, 50, 333])
        for (const perIteration of [1, 3, 10, 64]) {
          const b = new LabelBudget(resolveLabelBudget({ budget, perIteration, schedule, decay: 0.8 }));
          for (let t = 0; t < 400; t++) {
            const n = b.allowance(t);
            expect(n).toBeGreaterThanOrEqual(0);
            b.spend(n);
            expect(b.used).toBeLessThanOrEqual(budget);
          }
          // with enough iterations the whole budget is used
          expect(b.used).toBe(budget);
          expect(b.allowance(1000)).toBe(0);
        }
  });

  it('refuses to spend past the budget', () => {
    const b = new LabelBudget(resolveLabelBudget({ budget: 5, perIteration: 10 }));
    expect(b.allowance(0)).toBe(5);
    expect(() => b.spend(6)).toThrow(/budget exceeded/);
  });

  it('decays the per-iteration labels', () => {
    const c = resolveLabelBudget({ perIteration: 20, schedule: 'decay', decay: 0.5 });
    expect([0, 1, 2, 3, 10].map((t) => scheduledLabels(c, t))).toEqual([20, 10, 5, 3, 1]);
    const k = resolveLabelBudget({ perIteration: 20 });
    expect(scheduledLabels(k, 99)).toBe(20);
  });

  it('validates with the flag name', () => {
    expect(() => resolveLabelBudget({ perIteration: 0 })).toThrow(/--labels-per-iteration/);
    expect(() => resolveLabelBudget({ perIteration: 1, budget: -1 })).toThrow(/--label-budget/);
    expect(() => resolveLabelBudget({ perIteration: 1, decay: 1.5 })).toThrow(/--label-decay/);
  });

  it('restores its state', () => {
    const b = new LabelBudget(resolveLabelBudget({ budget: 10, perIteration: 4 }));
    b.spend(4);
    const c = new LabelBudget(b.config);
    c.setState(b.state());
    expect(c.remaining).toBe(6);
  });
});
