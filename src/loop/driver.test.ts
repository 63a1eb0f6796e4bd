import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { runTask, type DomainRun, type Task } from './driver.js';
import type { Gatherer, Label, MetricsRow, QueryMaker } from './parts.js';

/** A counter task: iteration k adds k to a running sum; its checkpoint is the sum. */
interface CounterSummary {
  sum: number;
  rows: number;
  judge: string;
}

function counterTask(calls: string[] = []): Task<{ iterations: number; seed: number }, CounterSummary, { sum: number }> {
  return {
    name: 'counter',
    configJson: (c) => ({ ...c }),
    resumeIgnoreKeys: ['iterations'],
    async create(config, ctx): Promise<DomainRun<CounterSummary, { sum: number }>> {
      let sum = 0;
      const teacher: Gatherer<number> = { name: 'teacher:toy', gather: (b) => [b % 2] };
      const maker: QueryMaker<number> = { size: () => 1, query: (_b, _i, iteration, id) => ({ id, runId: '', kind: 'comparison', iteration, samples: [] }) };
      const judge = ctx.judge(teacher, maker);
      return {
        iterations: config.iterations,
        async iterate(it) {
          const labels: Label[] = await judge.gather(it, it);
          sum += it;
          calls.push(`iterate ${it}`);
          return { iteration: it, metrics: { iteration: it, 'objective/sum': sum, 'feedback/label': labels[0] ?? null, 'reward/nan': Number.NaN }, timing: { iteration: it, 'time/iteration': 0.001 } };
        },
        snapshot: () => ({ state: { sum }, arrays: { sum: { shape: [1], data: Float32Array.of(sum) } } }),
        restore(state, arrays) {
          sum = state.sum;
          calls.push(`restore ${sum} ${arrays.get('sum')!.data[0]}`);
        },
        afterIteration: (it) => void calls.push(`after ${it}`),
        progressFields: (m: MetricsRow) => ({ sum: m['objective/sum'] ?? 0 }),
        summarize: (rows, _s) => ({ sum, rows: rows.length, judge: judge.name }),
        async writeReport(dir, _rows, summary) {
          calls.push(`report ${summary.sum} ${existsSync(join(dir, 'summary.json'))}`);
        },
        dispose: () => void calls.push('dispose'),
      };
    },
  };
}

describe('runTask (the run driver)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rlhf-driver-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every iteration, writes config, metrics (NaN → null), timing, checkpoint, summary and report; disposes', async () => {
    const calls: string[] = [];
    const out = join(dir, 'run');
    const res = await runTask(counterTask(calls), { iterations: 3, seed: 1 }, { out, quiet: true });
    expect(res.summary).toEqual({ sum: 6, rows: 3, judge: 'teacher:toy' });
    expect(calls).toEqual(['iterate 1', 'after 1', 'iterate 2', 'after 2', 'iterate 3', 'after 3', 'report 6 true', 'dispose']);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toEqual({ iterations: 3, seed: 1 });
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(metrics[2]).toBe('{"iteration":3,"objective/sum":6,"feedback/label":1,"reward/nan":null}');
    expect(readFileSync(join(out, 'timing.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8'))).toMatchObject({ iteration: 3, state: { run: { sum: 6 } } });
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toEqual(res.summary);
  });

  it('stops after stopAfter (no summary), then --resume continues to the same end state and metrics', async () => {
    const whole = join(dir, 'whole');
    await runTask(counterTask(), { iterations: 5, seed: 1 }, { out: whole, quiet: true });
    const calls: string[] = [];
    const part = join(dir, 'part');
    const first = await runTask(counterTask(calls), { iterations: 5, seed: 1 }, { out: part, quiet: true, stopAfter: 2 });
    expect(first.stopped).toBe(true);
    expect(first.summary).toBeUndefined();
    expect(existsSync(join(part, 'summary.json'))).toBe(false);
    const second = await runTask(counterTask(calls), { iterations: 5, seed: 1 }, { out: part, resume: true, quiet: true });
    expect(calls).toContain('restore 3 3');
    expect(second.summary).toEqual({ sum: 15, rows: 5, judge: 'teacher:toy' });
    expect(readFileSync(join(part, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(whole, 'metrics.jsonl'), 'utf8'));
  });

  it('a resumed run may be longer (resumeIgnoreKeys) but not different', async () => {
    const out = join(dir, 'run');
    await runTask(counterTask(), { iterations: 2, seed: 1 }, { out, quiet: true });
    const longer = await runTask(counterTask(), { iterations: 4, seed: 1 }, { out, resume: true, quiet: true });
    expect(longer.summary).toEqual({ sum: 10, rows: 4, judge: 'teacher:toy' });
    await expect(runTask(counterTask(), { iterations: 4, seed: 2 }, { out, resume: true, quiet: true })).rejects.toThrow(ConfigError);
  });

  it('without out writes nothing and still summarizes', async () => {
    const res = await runTask(counterTask(), { iterations: 2, seed: 1 }, { quiet: true });
    expect(res.dir).toBeUndefined();
    expect(res.summary).toEqual({ sum: 3, rows: 2, judge: 'teacher:toy' });
  });

  it('people: the judge goes through the hooks; every iteration is published; the run is closed ok or failed', async () => {
    const published: number[] = [];
    const closed: boolean[] = [];
    const people = () => ({
      mode: 'human' as const,
      judge: <B, L>(teacher: Gatherer<B, L>): Gatherer<B, L> => ({ name: 'human', gather: async (b: B, it: number) => (await teacher.gather(b, it)).map((l) => (typeof l === 'number' ? ((1 - l) as L) : l)) }),
      publish: async (e: { iteration: number }) => void published.push(e.iteration),
      close: async (ok: boolean) => void closed.push(ok),
    });
    const res = await runTask(counterTask(), { iterations: 2, seed: 1 }, { quiet: true, people });
    expect(res.summary?.judge).toBe('human');
    expect(res.metrics.map((m) => m['feedback/label'])).toEqual([0, 1]);
    expect(published).toEqual([1, 2]);
    expect(closed).toEqual([true]);
    const failing: Task<{ iterations: number; seed: number }, CounterSummary, { sum: number }> = { ...counterTask(), create: async () => Promise.reject(new Error('boom')) };
    await expect(runTask(failing, { iterations: 1, seed: 1 }, { quiet: true, people })).rejects.toThrow('boom');
    expect(closed).toEqual([true, false]);
  });
});
