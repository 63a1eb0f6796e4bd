import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../store/sqlite.js';
import type { FeedbackStore } from '../store/types.js';
import { JsonlLineError, exportJsonlFile, exportLines, importJsonl, importJsonlFile, parseJsonl } from './jsonl.js';
import type { Query } from './types.js';

const stores: FeedbackStore[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function memStore(): FeedbackStore {
  const s = new SqliteStore(':memory:');
  stores.push(s);
  return s;
}

const textQuery = (id: string, prompt: string, a: string, b: string): Query => ({
  id,
  runId: 'txt',
  kind: 'comparison',
  iteration: 0,
  samples: [
    { id: `${id}-a`, domain: 'text', payload: { prompt, response: a } },
    { id: `${id}-b`, domain: 'text', payload: { prompt, response: b } },
  ],
});

async function collect(gen: AsyncGenerator<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of gen) out.push(l);
  return out;
}

describe('TRL export/import (text domain)', () => {
  it('exports winners as prompt/chosen/rejected and skips ties', async () => {
    const s = memStore();
    await s.createRun({ id: 'txt', domain: 'text' });
    const q1 = textQuery('t1', 'Hello', 'great day', 'bad day');
    const q2 = textQuery('t2', 'Hi', 'meh', 'wonderful');
    const q3 = textQuery('t3', 'Yo', 'x', 'y');
    await s.addQueries('txt', [q1, q2, q3]);
    await s.addJudgement({ queryId: 't1', annotator: 'alice', judgement: { kind: 'comparison', leftId: 't1-a', rightId: 't1-b', preferred: 'left' } });
    await s.addJudgement({ queryId: 't2', annotator: 'alice', judgement: { kind: 'comparison', leftId: 't2-a', rightId: 't2-b', preferred: 'right' } });
    await s.addJudgement({ queryId: 't3', annotator: 'alice', judgement: { kind: 'comparison', leftId: 't3-a', rightId: 't3-b', preferred: 'tie' } });
    const lines = await collect(exportLines(s, 'txt'));
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { prompt: 'Hello', chosen: 'great day', rejected: 'bad day' },
      { prompt: 'Hi', chosen: 'wonderful', rejected: 'meh' },
    ]);

    // round trip into another store; re-importing skips everything
    const t = memStore();
    const r = await importJsonl(t, lines.join('\n'), { runId: 'copy' });
    expect(r).toMatchObject({ format: 'trl', lines: 2, runs: 1, queries: 2, judgements: 2, skipped: 0 });
    const back = await collect(exportLines(t, 'copy'));
    expect(back.map((l) => JSON.parse(l))).toEqual(lines.map((l) => JSON.parse(l)));
    const again = await importJsonl(t, lines.join('\n'), { runId: 'copy' });
    expect(again).toMatchObject({ runs: 0, queries: 0, judgements: 0, skipped: 5 });
  });

  it('needs a run for TRL lines and rejects conversational data with the line number', () => {
    expect(() => parseJsonl('{"prompt":"a","chosen":"b","rejected":"c"}')).toThrow(/line 1: .*--run/);
    const bad = '{"prompt":"a","chosen":"b","rejected":"c"}\n\n{"prompt":"a","chosen":[{"role":"user"}],"rejected":"c"}\n';
    try {
      parseJsonl(bad, { runId: 'x' });
      throw new Error('expected a failure');
    } catch (e) {
      expect(e).toBeInstanceOf(JsonlLineError);
      expect((e as JsonlLineError).line).toBe(3);
      expect((e as JsonlLineError).field).toBe('chosen');
    }
  });
});

describe('generic export/import', () => {
  async function gridStore(): Promise<FeedbackStore> {
    const s = memStore();
    await s.createRun({ id: 'gw', domain: 'gridworld' });
    const q: Query = {
      id: 'g1',
      runId: 'gw',
      kind: 'comparison',
      iteration: 3,
      samples: [
        { id: 'g1-a', domain: 'gridworld', payload: { states: [0, 1, 6] } },
        { id: 'g1-b', domain: 'gridworld', payload: { states: [0, 5, 6] } },
      ],
      predicted: 0.7,
    };
    const r: Query = { id: 'g2', runId: 'gw', kind: 'rating', iteration: 3, samples: [{ id: 'g2-a', domain: 'gridworld', payload: { states: [0] } }] };
    await s.addQueries('gw', [q, r], { redundancy: 2 });
    await s.addJudgement({ queryId: 'g1', annotator: 'alice', judgement: { kind: 'comparison', leftId: 'g1-a', rightId: 'g1-b', preferred: 'right' } });
    await s.addJudgement({ queryId: 'g1', annotator: 'teacher:oracle', judgement: { kind: 'comparison', leftId: 'g1-a', rightId: 'g1-b', preferred: 'left' } });
    await s.addJudgement({ queryId: 'g2', annotator: 'bob', judgement: { kind: 'rating', sampleId: 'g2-a', value: 1 } });
    return s;
  }

  it('round-trips queries, payloads, annotators and times through a file', async () => {
    const s = await gridStore();
    const dir = mkdtempSync(join(tmpdir(), 'rlhf-jsonl-'));
    dirs.push(dir);
    const file = join(dir, 'gw.jsonl');
    const res = await exportJsonlFile(s, 'gw', file);
    expect(res).toEqual({ format: 'generic', lines: 3, skipped: 0 });
    const first = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!);
    expect(first).toMatchObject({ domain: 'gridworld', wanted: 2, annotator: 'alice', query: { id: 'g1', predicted: 0.7 } });

    const t = memStore();
    expect(await importJsonlFile(t, file)).toMatchObject({ format: 'generic', lines: 3, runs: 1, queries: 2, judgements: 3 });
    expect(await t.listJudgements('gw')).toEqual(await s.listJudgements('gw'));
    expect((await t.getQuery('g1'))?.samples).toEqual((await s.getQuery('g1'))?.samples);
    expect((await t.getQuery('g1'))?.wanted).toBe(2);
  });

  it('imports nothing from a file with one bad line, naming the line and field', async () => {
    const s = await gridStore();
    const lines = await collect(exportLines(s, 'gw'));
    const broken = JSON.parse(lines[2]!);
    broken.judgement.value = 'yes';
    const text = [lines[0], lines[1], JSON.stringify(broken)].join('\n');
    const t = memStore();
    await expect(importJsonl(t, text)).rejects.toMatchObject({ line: 3, field: 'judgement.value', code: 'E_DATA' });
    expect(await t.listRuns()).toEqual([]);
    // invalid JSON
    await expect(importJsonl(t, `${lines[0]}\n{"domain": `)).rejects.toMatchObject({ line: 2 });
    // a judgement that does not fit its query
    const swapped = JSON.parse(lines[0]!);
    swapped.judgement.leftId = 'g1-b';
    await expect(importJsonl(t, JSON.stringify(swapped))).rejects.toMatchObject({ line: 1, field: 'judgement.leftId' });
    expect(await t.listRuns()).toEqual([]);
  });

  it('rolls back the whole file when the store has a conflicting judgement', async () => {
    const s = await gridStore();
    const lines = await collect(exportLines(s, 'gw'));
    const t = memStore();
    await importJsonl(t, lines[2]!); // bob's rating
    const conflicting = JSON.parse(lines[2]!);
    conflicting.judgement.value = 0;
    await expect(importJsonl(t, [lines[0], JSON.stringify(conflicting)].join('\n'))).rejects.toMatchObject({ code: 'E_CONFLICT' });
    expect(await t.countJudgements('gw')).toBe(1);
    expect(await t.getQuery('g1')).toBeUndefined();
  });
});
