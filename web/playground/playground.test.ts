/**
 * The playground's pure parts (web/playground): URL parameters → settings (the domain's own flags and checks), and the
 * JSONL export/import in `rlhf export`'s generic format. The page itself is tested end to end in
 * test/e2e/playground.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { JudgementRecord, Query } from '../../src/feedback/types.js';
import { exportJsonl, parseJsonlImport } from './jsonl.js';
import { gridworldConfig, settingsFromParams, settingsToParams } from './settings.js';

describe('settings from the URL', () => {
  it('reads the automation contract: a simulated 200-iteration run of seed 1, the domain defaults otherwise', () => {
    const s = settingsFromParams(new URLSearchParams('domain=gridworld&judge=simulated&iterations=200&seed=1&autorun=1'));
    expect(s.playground).toEqual({ domain: 'gridworld', judge: 'simulated', ask: 5, timeout: 0, autorun: true });
    const c = gridworldConfig(s);
    expect([c.size, c.iterations, c.seed, c.batch, c.teacher]).toEqual([5, 200, 1, 100, 'noisy']);
  });

  it("passes the domain's flags to its option set (teacher noise, β = inf) and keeps people's defaults apart", () => {
    const s = settingsFromParams(new URLSearchParams('judge=human&size=6&beta=inf&mistake=0.1&explore-bonus=0'));
    const c = gridworldConfig(s);
    expect([c.size, c.goals, c.exploreBonus, c.teacherParams.beta, c.teacherParams.epsMistake]).toEqual([6, [[5, 5]], 0, Infinity, 0.1]);
    expect([c.batch, c.iterations, c.replayLabels]).toEqual([10, 20, true]); // with people: the page's defaults
    expect(settingsFromParams(settingsToParams(s))).toEqual({ ...s, playground: { ...s.playground, autorun: false } });
  });

  it('rejects unknown and out-of-range settings, naming them', () => {
    expect(() => settingsFromParams(new URLSearchParams('sise=6'))).toThrow(/unknown setting "sise"/);
    expect(() => settingsFromParams(new URLSearchParams('size=0'))).toThrow(/size/);
    expect(() => settingsFromParams(new URLSearchParams('judge=robot'))).toThrow(/judge/);
    expect(() => settingsFromParams(new URLSearchParams('reward-impl=tfjs'))).toThrow(/typed arrays/);
  });
});

describe('JSONL in and out', () => {
  const q: Query = {
    id: 'pg-1:1:0',
    runId: 'pg-1',
    kind: 'comparison',
    iteration: 1,
    samples: [
      { id: 'pg-1:1:0:L', domain: 'gridworld', payload: { rows: 2, cols: 2, cells: [[0, 0]] } },
      { id: 'pg-1:1:0:R', domain: 'gridworld', payload: { rows: 2, cols: 2, cells: [[1, 1]] } },
    ],
    predicted: 0.25,
  };
  const r: JudgementRecord = { queryId: q.id, runId: 'pg-1', annotator: 'you', judgement: { kind: 'comparison', leftId: 'pg-1:1:0:L', rightId: 'pg-1:1:0:R', preferred: 'right' }, createdAt: '2026-01-02T03:04:05.000Z' };

  it('writes the generic lines of rlhf export and reads them back', () => {
    const { text, lines } = exportJsonl('gridworld', [q], [r]);
    expect(lines).toBe(1);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['domain', 'query', 'wanted', 'annotator', 'judgement', 'createdAt']);
    const back = parseJsonlImport(text);
    expect(back).toEqual({ domain: 'gridworld', runId: 'pg-1', queries: [{ id: q.id, runId: q.runId, kind: q.kind, samples: q.samples, iteration: 1, predicted: 0.25 }], records: [r] });
    expect(exportJsonl(back.domain, back.queries, back.records).text).toBe(text);
  });

  it('refuses a bad line, naming it and the field, and TRL lines', () => {
    const good = exportJsonl('gridworld', [q], [r]).text.trim();
    const bad = good.replace('"preferred":"right"', '"preferred":"up"');
    expect(() => parseJsonlImport(`${good}\n${bad}\n`)).toThrow(/line 2: judgement\.preferred/);
    expect(() => parseJsonlImport('{"prompt":"a","chosen":"b","rejected":"c"}')).toThrow(/line 1: .*TRL/);
    expect(() => parseJsonlImport('\n')).toThrow(/no judgement/);
  });
});
