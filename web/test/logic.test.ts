import { describe, expect, it } from 'vitest';
import type { MetricEvent } from '../src/api.js';
import { emptyData, foldEvent } from '../src/dashboard/events.js';
import { decodePixels } from '../src/renderers/digits.js';
import { checkGridPayload, summarize } from '../src/renderers/gridworld.js';
import { parseRoute } from '../src/router.js';

const ev = (seq: number, type: string, iteration: number | null, data: Record<string, unknown>): MetricEvent => ({ seq, runId: 'r', type, iteration, data, createdAt: '' });

describe('dashboard events', () => {
  it('folds metrics into per-key series sorted by iteration, last value wins, replays ignored', () => {
    const d = emptyData();
    foldEvent(d, ev(1, 'metrics', 2, { 'reward/loss': 0.5 }));
    foldEvent(d, ev(2, 'metrics', 1, { 'reward/loss': 0.9, 'objective/x': null }));
    foldEvent(d, ev(3, 'metrics', 2, { 'reward/loss': 0.4 }));
    expect(foldEvent(d, ev(3, 'metrics', 3, { 'reward/loss': 7 }))).toBe(false); // same seq again: a replay
    expect(d.metrics.get('reward/loss')).toEqual({ x: [1, 2], y: [0.9, 0.4] });
    expect(Number.isNaN(d.metrics.get('objective/x')!.y[0])).toBe(true);
  });

  it('keeps the status and the latest figure of each type; ignores unknown types', () => {
    const d = emptyData();
    foldEvent(d, ev(1, 'status', null, { status: 'waiting', previous: 'running' }));
    foldEvent(d, ev(2, 'heatmaps', 1, { rows: 1 }));
    foldEvent(d, ev(3, 'heatmaps', 2, { rows: 2 }));
    expect(foldEvent(d, ev(4, 'something', 2, {}))).toBe(false);
    expect(d.status).toBe('waiting');
    expect(d.figures.get('heatmaps')!.seq).toBe(3);
  });
});

describe('gridworld payloads', () => {
  it('accepts a trajectory and summarizes steps on the goal', () => {
    const p = checkGridPayload({ rows: 2, cols: 2, cells: [[0, 0], [1, 1], [1, 1]], goals: [[1, 1]] });
    expect(typeof p).toBe('object');
    expect(summarize(p as Exclude<typeof p, string>)).toEqual({ steps: 3, atGoal: 2, end: [1, 1] });
  });
  it('says what is wrong with a bad one', () => {
    expect(checkGridPayload({ rows: 2, cols: 2, cells: [] })).toMatch(/cells/);
    expect(checkGridPayload({ rows: 0, cols: 2, cells: [[0, 0]] })).toMatch(/rows/);
    expect(checkGridPayload({ rows: 2, cols: 2, cells: [[0, 0]], start: [2, 0] })).toMatch(/start/);
  });
});

describe('image payloads', () => {
  it('decodes flat and nested pixels, 0..255 or 0..1', () => {
    const a = decodePixels({ pixels: [0, 255, 255, 0] });
    expect(a).toMatchObject({ width: 2, height: 2 });
    expect(Array.from((a as { values: Float32Array }).values)).toEqual([0, 1, 1, 0]);
    expect(decodePixels({ pixels: [[0, 0.5, 1]] })).toMatchObject({ width: 3, height: 1 });
    expect(decodePixels({ pixels: [1, 2, 3], width: 2 })).toMatch(/do not fill/);
  });
});

describe('routes', () => {
  it('parses the app paths', () => {
    expect(parseRoute('/')).toEqual({ page: 'home' });
    expect(parseRoute('/label/gw%3A1')).toEqual({ page: 'label', runId: 'gw:1' });
    expect(parseRoute('/dashboard/x/')).toEqual({ page: 'dashboard', runId: 'x' });
    expect(parseRoute('/nope/x/y')).toEqual({ page: 'notFound', path: '/nope/x/y' });
  });
});
