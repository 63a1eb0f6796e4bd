/**
 * The line and adder renderers: the queries their query makers post (src/domains/{line,adder}/queries.ts) are drawn on
 * the comparison page — a walk on the line, a proposed answer to a + b — and a payload they cannot draw says why.
 */
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Query } from '../src/api.js';
import { ComparisonView } from '../src/labeling/Comparison.js';
import { checkAdderPayload, formatAnswer } from '../src/renderers/adder.js';
import { rendererFor } from '../src/renderers/index.js';
import { checkLinePayload, walkSummary } from '../src/renderers/line.js';
import { lineQueryMaker } from '../../src/domains/line/queries.js';
import type { LineSegment } from '../../src/domains/line/batch.js';
import { adderQueryMaker } from '../../src/domains/adder/queries.js';

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement('div');
  document.body.appendChild(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
});

const show = (q: Query) => act(() => render(<ComparisonView query={q} busy={false} canUndo={false} submit={() => {}} undo={() => {}} />, root));

/** A segment of a walk on the line from its positions and moves (1 = right). */
const segment = (states: number[], actions: number[]): LineSegment => ({
  counts: new Float64Array(0),
  judged: new Float64Array(states.length),
  states: Int32Array.from(states),
  actions: Uint8Array.from(actions),
});

describe('line walks', () => {
  // on a line of 6 (goal 5): 2 → 3 → 4 → 5 reaches the goal; 1 → 0 → 0 → 1 bumps into the left end
  const batch = { episodes: [], queries: [{ left: segment([2, 3, 4], [1, 1, 1]), right: segment([1, 0, 0], [0, 0, 1]) }] };
  const query = lineQueryMaker({ size: 6, learnedReward: () => Float64Array.from({ length: 12 }, (_, i) => i % 2) }).query(batch, 0, 3, 'run:3:0');

  it('the query maker posts what the renderer draws: positions, moves, the goal and where the last move led', () => {
    expect(query.samples.map((s) => s.domain)).toEqual(['line', 'line']);
    expect(query.samples[0]!.payload).toEqual({ size: 6, goal: 5, positions: [2, 3, 4], actions: ['right', 'right', 'right'], end: 5 });
    expect(query.samples[1]!.payload).toMatchObject({ positions: [1, 0, 0], actions: ['left', 'left', 'right'], end: 1 });
    expect(query.predicted).toBeCloseTo(1 / (1 + Math.exp(-2)), 12); // r̂ = 1 for right: R̂(left) − R̂(right) = 3 − 1
    for (const s of query.samples) expect(typeof checkLinePayload(s.payload)).toBe('object');
  });

  it('draws both walks, asks "Which walk is better?" and says what each did', () => {
    show(query);
    expect(root.querySelector('.question')!.textContent).toBe('Which walk is better?');
    const svgs = [...root.querySelectorAll('svg[data-positions]')];
    expect(svgs.map((s) => s.getAttribute('data-end'))).toEqual(['5', '1']);
    expect(svgs[0]!.getAttribute('aria-label')).toContain('3 steps (3 right, 0 left), from 2 to 5 (+3), reaches the goal; goal at 5');
    expect(svgs[1]!.getAttribute('aria-label')).toContain('from 1 to 1 (0)');
    expect(root.querySelector('[role="alert"]')).toBeNull();
    expect(rendererFor(query.samples[0]!).describe(query.samples[1]!)).toBe('3 steps (1 right, 2 left), from 1 to 1 (0); goal at 5');
  });

  it('summarizes a walk', () => {
    const p = checkLinePayload({ size: 10, goal: 9, positions: [4, 5, 4], actions: ['right', 'left', 'left'], end: 3 });
    expect(typeof p === 'object' && walkSummary(p)).toEqual({ steps: 3, right: 1, left: 2, from: 4, end: 3, progress: -1, reached: false });
  });

  it('draws a window of a long line', () => {
    const long = lineQueryMaker({ size: 1000 }).query({ episodes: [], queries: [{ left: segment([500, 501], [1, 1]), right: segment([3, 2], [0, 0]) }] }, 0, 1, 'q');
    show(long);
    const [near, far] = [...root.querySelectorAll('svg[data-positions]')];
    expect(near!.querySelectorAll('rect.grid-cell')).toHaveLength(24); // positions 499..522, not 1000
    expect(far!.querySelectorAll('rect.grid-cell')).toHaveLength(24); // positions 0..23
    expect(root.querySelector('svg[data-positions]')!.getAttribute('aria-label')).toContain('goal at 999');
  });

  it('explains a payload it cannot draw instead of failing', () => {
    expect(checkLinePayload({ size: 6, goal: 5, positions: [2, 4], actions: ['right', 'right'], end: 5 })).toBe('step 0: moving right from 2 does not lead to 4');
    expect(checkLinePayload({ size: 6, goal: 5, positions: [7], actions: ['right'], end: 5 })).toBe('positions[0] = 7 is not a position of the line 0..5');
    expect(checkLinePayload({ size: 6, goal: 5, positions: [1], actions: ['up'], end: 2 })).toBe('actions[0] = "up" is not "left" or "right"');
    const bad: Query = { ...query, samples: [query.samples[0]!, { id: 'R', domain: 'line', payload: { size: 6, goal: 5, positions: [], actions: [], end: 0 } }] };
    show(bad);
    expect(root.querySelector('[role="alert"]')!.textContent).toContain('`positions` must be a non-empty list of positions');
  });
});

describe('adder answers', () => {
  const batch = { a: Float64Array.of(3, 12), b: Float64Array.of(4, 9), xl: Float64Array.of(7.0004, 20), xr: Float64Array.of(5.5, 21.25) };
  const query = adderQueryMaker({ learnedReward: (_a, _b, x) => x.map((v) => -Math.abs(7 - v)) }).query(batch, 0, 2, 'run:2:0');

  it('the query maker posts the sum and the two answers; the page shows the numbers and asks "Which answer is better?"', () => {
    expect(query.samples.map((s) => s.payload)).toEqual([
      { a: 3, b: 4, x: 7.0004 },
      { a: 3, b: 4, x: 5.5 },
    ]);
    expect(query.predicted).toBeCloseTo(1 / (1 + Math.exp(-(-0.0004 + 1.5))), 12);
    show(query);
    expect(root.querySelector('.question')!.textContent).toBe('Which answer is better?');
    expect([...root.querySelectorAll('[data-testid="answer"]')].map((e) => e.textContent)).toEqual(['7.000', '5.500']);
    expect(root.querySelector('figure.sample-adder')!.textContent).toContain('3 + 4 =');
    expect(rendererFor(query.samples[1]!).describe(query.samples[1]!)).toBe('3 + 4 = 5.500');
  });

  it('formats answers and explains a payload it cannot draw', () => {
    expect([formatAnswer(20), formatAnswer(21.25), formatAnswer(-0.12345)]).toEqual(['20', '21.250', '-0.123']);
    expect(checkAdderPayload({ a: 1, b: 2 })).toBe('`x` (the answer) must be a finite number');
    show({ ...query, samples: [query.samples[0]!, { id: 'R', domain: 'adder', payload: { a: 'one', b: 2, x: 3 } }] });
    expect(root.querySelector('[role="alert"]')!.textContent).toContain('`a` and `b` must be finite numbers');
  });
});
