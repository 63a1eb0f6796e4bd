import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Judgement, Query } from '../src/api.js';
import { ComparisonView } from '../src/labeling/Comparison.js';
import { CorrectionView } from '../src/labeling/Correction.js';
import { applyTyped, RankingView } from '../src/labeling/Ranking.js';
import { RatingView } from '../src/labeling/Rating.js';

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement('div');
  document.body.appendChild(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
});

const grid = (cells: Array<[number, number]>) => ({ rows: 3, cols: 3, cells, start: [0, 0], goals: [[2, 2]], originBottom: true });
const comparison: Query = {
  id: 'q1',
  runId: 'r',
  kind: 'comparison',
  iteration: 1,
  predicted: 0.25,
  samples: [
    { id: 'L', domain: 'gridworld', payload: grid([[0, 0], [1, 1], [2, 2]]) },
    { id: 'R', domain: 'gridworld', payload: grid([[0, 0], [0, 1]]) },
  ],
};

function press(key: string, target: EventTarget = window) {
  act(() => {
    target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
  });
}

function mount(view: preact.VNode) {
  act(() => render(view, root));
}

describe('ComparisonView', () => {
  it('maps ← → ↓ space to left, right, tie, skip and u to undo', () => {
    const submit = vi.fn<(j: Judgement, said: string) => void>();
    const undo = vi.fn();
    mount(<ComparisonView query={comparison} busy={false} canUndo={true} submit={submit} undo={undo} />);
    for (const k of ['ArrowLeft', 'ArrowRight', 'ArrowDown', ' ']) press(k);
    press('u');
    expect(submit.mock.calls.map((c) => (c[0] as { preferred: string }).preferred)).toEqual(['left', 'right', 'tie', 'skip']);
    expect(submit.mock.calls[0]![0]).toEqual({ kind: 'comparison', leftId: 'L', rightId: 'R', preferred: 'left' });
    expect(undo).toHaveBeenCalledTimes(1);
  });

  it('ignores keys while busy, keys typed into a field and keys with modifiers', () => {
    const submit = vi.fn();
    mount(<ComparisonView query={comparison} busy={true} canUndo={false} submit={submit} undo={() => {}} />);
    press('ArrowLeft');
    mount(<ComparisonView query={comparison} busy={false} canUndo={false} submit={submit} undo={() => {}} />);
    const input = document.createElement('input');
    document.body.appendChild(input);
    press('ArrowLeft', input);
    act(() => void window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', ctrlKey: true })));
    input.remove();
    expect(submit).not.toHaveBeenCalled();
  });

  it("draws both trajectories and the model's P(left ≻ right)", () => {
    mount(<ComparisonView query={comparison} busy={false} canUndo={false} submit={() => {}} undo={() => {}} />);
    const svgs = root.querySelectorAll('svg[data-cells]');
    expect(svgs).toHaveLength(2);
    expect(svgs[0]!.getAttribute('aria-label')).toContain('3 steps, 1 on the goal');
    expect(root.querySelector('[data-testid="predicted"]')!.textContent).toContain('0.25');
  });

  it("asks with the renderer's noun: trajectory, continuation, and 'sample' for a payload only JSON can show", () => {
    const ask = (domain: string, payload: unknown) => {
      const q: Query = { ...comparison, samples: [{ id: 'L', domain, payload }, { id: 'R', domain, payload }] };
      mount(<ComparisonView query={q} busy={false} canUndo={false} submit={() => {}} undo={() => {}} />);
      return root.querySelector('.question')!.textContent;
    };
    expect(ask('gridworld', comparison.samples[0]!.payload)).toBe('Which trajectory is better?');
    expect(ask('text', { prompt: 'a', continuation: 'b' })).toBe('Which continuation is better?');
    expect(ask('someone-elses', { x: 1 })).toBe('Which sample is better?');
  });

  it('explains a payload it cannot draw instead of failing', () => {
    const bad: Query = { ...comparison, samples: [comparison.samples[0]!, { id: 'R', domain: 'gridworld', payload: { rows: 3, cols: 3, cells: [[5, 5]] } }] };
    mount(<ComparisonView query={bad} busy={false} canUndo={false} submit={() => {}} undo={() => {}} />);
    expect(root.querySelector('[role="alert"]')!.textContent).toContain('cells[0] = [5,5] is not a cell of the 3×3 grid');
  });
});

describe('RatingView', () => {
  it('↑ is a thumbs up (1), ↓ a thumbs down (0)', () => {
    const submit = vi.fn();
    const q: Query = { id: 'q', runId: 'r', kind: 'rating', iteration: 0, samples: [{ id: 's', domain: 'text', payload: { prompt: 'a', continuation: 'b' } }] };
    mount(<RatingView query={q} busy={false} canUndo={false} submit={submit} undo={() => {}} />);
    press('ArrowUp');
    press('ArrowDown');
    expect(submit.mock.calls.map((c) => c[0])).toEqual([
      { kind: 'rating', sampleId: 's', value: 1 },
      { kind: 'rating', sampleId: 's', value: 0 },
    ]);
  });
});

describe('RankingView', () => {
  const q: Query = {
    id: 'q',
    runId: 'r',
    kind: 'ranking',
    iteration: 0,
    samples: ['a', 'b', 'c', 'd'].map((id) => ({ id, domain: 'text', payload: { prompt: id, continuation: '' } })),
  };

  it('number keys put samples first in the order typed; Backspace takes one back; Enter submits', () => {
    const submit = vi.fn();
    mount(<RankingView query={q} busy={false} canUndo={false} submit={submit} undo={() => {}} />);
    for (const k of ['3', '1', '4', 'Backspace', '2', '3']) press(k); // "3" again is ignored
    press('Enter');
    expect(submit.mock.calls[0]![0]).toEqual({ kind: 'ranking', sampleIds: ['c', 'a', 'b', 'd'] });
  });

  it('applyTyped keeps the untyped samples in their current order', () => {
    expect(applyTyped([3, 2, 1, 0], [1])).toEqual([1, 3, 2, 0]);
    expect(applyTyped([0, 1, 2], [])).toEqual([0, 1, 2]);
  });
});

describe('CorrectionView', () => {
  const q: Query = {
    id: 'q',
    runId: 'r',
    kind: 'correction',
    iteration: 0,
    samples: [{ id: 's', domain: 'digits', payload: { pixels: new Array(16).fill(0), width: 4, height: 4, prediction: 3, classes: ['a', 'b', 'c', 'd'] } }],
  };

  it('Enter confirms the prediction; a digit gives the label and says whether it was right', () => {
    const submit = vi.fn();
    mount(<CorrectionView query={q} busy={false} canUndo={false} submit={submit} undo={() => {}} />);
    press('Enter');
    press('1');
    press('3');
    expect(submit.mock.calls.map((c) => c[0])).toEqual([
      { kind: 'correction', sampleId: 's', label: 3, correct: true },
      { kind: 'correction', sampleId: 's', label: 1, correct: false },
      { kind: 'correction', sampleId: 's', label: 3, correct: true },
    ]);
    expect(root.querySelector('[data-testid="prediction"]')!.textContent).toBe('3 · d');
  });
});
