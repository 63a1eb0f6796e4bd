import { describe, expect, it } from 'vitest';
import { runIteration, type Label, type LoopParts } from './parts.js';

/** A toy domain that records the order of calls. */
function toy(log: string[]): LoopParts<number[]> {
  return {
    agent: { improve: (it: number) => (log.push(`plan ${it}`), { entropy: 1 }) },
    sampler: { sample: (it: number) => (log.push(`sample ${it}`), [it, it + 1]) },
    gatherer: {
      name: 'toy',
      gather: async (b: number[], it: number): Promise<Label[]> => {
        log.push(`judge ${it}`);
        await new Promise((r) => setTimeout(r, 1));
        return b.map((x) => (x % 2 ? 1 : 0));
      },
    },
    reward: { fit: (_b: number[], labels: Label[], it: number) => (log.push(`fit ${it}`), { loss: labels.length, 'custom/x': 3 }) },
    evaluator: { evaluate: (_b: number[], _l: Label[], it: number) => (log.push(`eval ${it}`), { goal_rate: it / 10 }) },
  };
}

describe('runIteration', () => {
  it('runs plan → sample → judge → fit → evaluate, with namespaced metrics and timings apart', async () => {
    const log: string[] = [];
    const e1 = await runIteration(toy(log), 1);
    const e2 = await runIteration(toy(log), 2);
    expect(log).toEqual(['plan 1', 'sample 1', 'judge 1', 'fit 1', 'eval 1', 'plan 2', 'sample 2', 'judge 2', 'fit 2', 'eval 2']);
    expect(e2.metrics).toEqual({ iteration: 2, 'objective/goal_rate': 0.2, 'reward/loss': 2, 'custom/x': 3, 'policy/entropy': 1 });
    expect(Object.keys(e2.metrics)).toEqual(['iteration', 'objective/goal_rate', 'reward/loss', 'custom/x', 'policy/entropy']);
    expect(e1.labels).toEqual([1, 0]);
    expect(e1.batch).toEqual([1, 2]);
    expect(Object.keys(e1.timing!).sort()).toEqual(['iteration', 'time/evaluate', 'time/iteration', 'time/judge', 'time/plan', 'time/reward', 'time/sample']);
    expect(e1.timing!['time/judge']!).toBeGreaterThan(0);
  });
});
