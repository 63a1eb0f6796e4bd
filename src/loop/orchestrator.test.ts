import { describe, expect, it } from 'vitest';
import type { Preference } from '../feedback/types.js';
import { RlhfLoop, type IterationEvent } from './orchestrator.js';

/** A toy domain that records the order of calls. */
function toy(log: string[]) {
  return {
    agent: { improve: (it: number) => (log.push(`plan ${it}`), { entropy: 1 }) },
    sampler: { sample: (it: number) => (log.push(`sample ${it}`), [it, it + 1]) },
    gatherer: {
      name: 'toy',
      gather: async (b: number[], it: number): Promise<Preference[]> => {
        log.push(`judge ${it}`);
        await new Promise((r) => setTimeout(r, 1));
        return b.map((x) => (x % 2 ? 'left' : 'right'));
      },
    },
    reward: { fit: (_b: number[], labels: Preference[], it: number) => (log.push(`fit ${it}`), { loss: labels.length, 'custom/x': 3 }) },
    evaluator: { evaluate: (_b: number[], _l: Preference[], it: number) => (log.push(`eval ${it}`), { goal_rate: it / 10 }) },
  };
}

describe('RlhfLoop', () => {
  it('runs plan → sample → judge → fit → evaluate → emit per iteration, with namespaced metrics and timings apart', async () => {
    const log: string[] = [];
    const events: IterationEvent[] = [];
    const ends: number[] = [];
    const res = await new RlhfLoop(toy(log), { iterations: 2, onIterationEnd: (it) => void ends.push(it) })
      .on((e) => {
        log.push(`emit ${e.iteration}`);
        events.push(e);
      })
      .run();
    expect(res).toEqual({ lastIteration: 2, stopped: false });
    expect(log).toEqual(['plan 1', 'sample 1', 'judge 1', 'fit 1', 'eval 1', 'emit 1', 'plan 2', 'sample 2', 'judge 2', 'fit 2', 'eval 2', 'emit 2']);
    expect(ends).toEqual([1, 2]);
    expect(events[1]!.metrics).toEqual({ iteration: 2, 'objective/goal_rate': 0.2, 'reward/loss': 2, 'custom/x': 3, 'policy/entropy': 1 });
    expect(Object.keys(events[0]!.timing).sort()).toEqual(['iteration', 'time/evaluate', 'time/iteration', 'time/judge', 'time/plan', 'time/reward', 'time/sample']);
    expect(events[0]!.timing['time/judge']!).toBeGreaterThan(0);
  });

  it('starts after startIteration (resume) and stops when onIterationEnd says so', async () => {
    const log: string[] = [];
    const res = await new RlhfLoop(toy(log), { iterations: 10, startIteration: 3, onIterationEnd: (it) => (it === 5 ? 'stop' : undefined) }).run();
    expect(res).toEqual({ lastIteration: 5, stopped: true });
    expect(log.filter((l) => l.startsWith('plan'))).toEqual(['plan 4', 'plan 5']);
  });
});
