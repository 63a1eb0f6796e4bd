/**
 * The driver with its storage and progress injected (the playground's way: an IndexedDB run instead of a run
 * directory, the page instead of the stderr bar): the same rows, checkpoints and exact resume as with `out`.
 */
import { describe, expect, it } from 'vitest';
import type { NamedTensor, TensorToWrite } from '../core/safetensors.js';
import { runTask, type DomainRun, type RunStorage, type StoredCheckpoint, type Task } from './driver.js';
import type { MetricsRow } from './parts.js';

/** A task whose metric depends on its whole history (x ← 3x + it mod 1000), so a bad restore shows. */
function historyTask(): Task<{ iterations: number }, { x: number; rows: number }, { x: number }> {
  return {
    name: 'history',
    configJson: (c) => ({ ...c }),
    async create(config): Promise<DomainRun<{ x: number; rows: number }, { x: number }>> {
      let x = 1;
      return {
        iterations: config.iterations,
        async iterate(it) {
          x = (3 * x + it) % 1000;
          return { iteration: it, metrics: { iteration: it, 'objective/x': x }, timing: { iteration: it, 'time/iteration': 0 } };
        },
        snapshot: () => ({ state: { x }, arrays: { x: { shape: [1], data: Float32Array.of(x) } } }),
        restore(state, arrays) {
          x = state.x;
          expect(arrays.get('x')!.data[0]).toBe(x);
        },
        progressFields: (m) => ({ x: m['objective/x'] ?? 0 }),
        summarize: (rows) => ({ x, rows: rows.length }),
      };
    },
  };
}

/** Storage in memory, as the playground keeps it in IndexedDB (structured clones of rows, state and arrays). */
function memoryStorage(): RunStorage & { rows: Record<'metrics' | 'timing', object[]>; summary?: object; checkpoint?: StoredCheckpoint<unknown> } {
  const s = {
    rows: { metrics: [] as object[], timing: [] as object[] },
    summary: undefined as object | undefined,
    checkpoint: undefined as StoredCheckpoint<unknown> | undefined,
    hasCheckpoint: async () => s.checkpoint !== undefined,
    loadCheckpoint: async <S,>() => structuredClone(s.checkpoint) as StoredCheckpoint<S>,
    truncate: async (last: number, file: 'metrics' | 'timing') => {
      s.rows[file] = s.rows[file].filter((r) => ((r as MetricsRow).iteration ?? Infinity) <= last);
    },
    readMetrics: async () => structuredClone(s.rows.metrics) as MetricsRow[],
    append: async (file: 'metrics' | 'timing', row: object) => void s.rows[file].push(structuredClone(row)),
    saveCheckpoint: async <S,>(iteration: number, state: S, arrays: Record<string, TensorToWrite>) => {
      const m = new Map<string, NamedTensor>();
      for (const [k, v] of Object.entries(arrays)) m.set(k, structuredClone(v) as unknown as NamedTensor);
      s.checkpoint = { iteration, state: structuredClone(state), arrays: m };
    },
    writeSummary: async (summary: object) => void (s.summary = summary),
  };
  return s;
}

describe('runTask with injected storage and progress', () => {
  it('keeps rows, checkpoint and summary in the storage; reports progress to the injected sink', async () => {
    const storage = memoryStorage();
    const seen: string[] = [];
    const res = await runTask(historyTask(), { iterations: 4 }, {
      storage,
      progress: (label, total) => {
        seen.push(`${label} ${total}`);
        return { update: (v, f) => void seen.push(`${v} ${f?.x}`), stop: () => void seen.push('stop') };
      },
    });
    expect(res.summary).toMatchObject({ rows: 4 });
    expect(storage.summary).toEqual(res.summary);
    expect(storage.rows.metrics).toHaveLength(4);
    expect(storage.rows.timing).toHaveLength(4);
    expect(storage.checkpoint!.iteration).toBe(4);
    expect(res.dir).toBeUndefined();
    expect(seen.slice(0, 2)).toEqual(['history 4', '1 4']);
    expect(seen).toContain('stop');
  });

  it('stops after stopAfter and resumes from the storage to the same rows as an uninterrupted run', async () => {
    const whole = memoryStorage();
    await runTask(historyTask(), { iterations: 6 }, { storage: whole, quiet: true });
    const part = memoryStorage();
    const first = await runTask(historyTask(), { iterations: 6 }, { storage: part, quiet: true, stopAfter: 3 });
    expect(first.stopped).toBe(true);
    expect(part.summary).toBeUndefined();
    part.rows.metrics.push({ iteration: 4, 'objective/x': -1 }); // a row written after the checkpoint: redone on resume
    const second = await runTask(historyTask(), { iterations: 6 }, { storage: part, quiet: true, resume: true });
    expect(second.metrics).toEqual(whole.rows.metrics);
    expect(part.rows.metrics).toEqual(whole.rows.metrics);
    expect(part.summary).toEqual(whole.summary);
  });
});
