import { describe, expect, it } from 'vitest';
import { gridworldQueryMaker, type TrajectoryPairBatch } from './queries.js';

describe('gridworldQueryMaker', () => {
  // 3×3 grid, horizon 3: states s = y·3 + x
  const batch: TrajectoryPairBatch = {
    left: { batch: 1, horizon: 3, states: Int32Array.from([0, 1, 2, 5]) }, // (0,0) → (1,0) → (2,0) → (2,1)
    right: { batch: 1, horizon: 3, states: Int32Array.from([0, 3, 6, 7]) }, // (0,0) → (0,1) → (0,2) → (1,2)
  };

  it('draws the judged states s₀..s_{H−1} as [row, col] = [y, x] cells', () => {
    const maker = gridworldQueryMaker({ size: 3, starts: [[0, 0]], goals: [[2, 2]] });
    const q = maker.query(batch, 0, 4, 'r:4:0');
    expect(q.kind).toBe('comparison');
    expect(q.iteration).toBe(4);
    expect(q.samples.map((s) => s.id)).toEqual(['r:4:0:L', 'r:4:0:R']);
    expect(q.samples[0]!.payload).toEqual({ rows: 3, cols: 3, cells: [[0, 0], [0, 1], [0, 2]], start: [0, 0], goals: [[2, 2]], originBottom: true });
    expect((q.samples[1]!.payload as { cells: number[][] }).cells).toEqual([[0, 0], [1, 0], [2, 0]]);
    expect(q.predicted).toBeUndefined();
  });

  it("shows the learned reward's P(left ≻ right) = sigmoid(R(left) − R(right))", () => {
    const r = [0, 0, 1, 0, 0, 0, 0.5, 0, 0]; // state 2 worth 1, state 6 worth 0.5
    const q = gridworldQueryMaker({ size: 3, starts: [[0, 0]], goals: [[2, 2]], learnedReward: () => r }).query(batch, 0, 1, 'x');
    expect(q.predicted).toBeCloseTo(1 / (1 + Math.exp(-0.5)), 12);
  });
});
