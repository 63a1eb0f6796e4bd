// The curated public surface: src/index.ts exports the pipeline's pieces and every domain under its own name.
import { describe, expect, it } from 'vitest';
import * as rlhf from '../src/index.js';

describe('public API (src/index.ts)', () => {
  it('exports each step of the loop', () => {
    for (const name of ['Rng', 'RlhfError', 'ConfigError', 'initTensors', 'readSafetensors', 'writeSafetensors', 'BPrefTeacher', 'resolveTeacher', 'bradleyTerryLoss', 'plackettLuceLoss', 'RunDir', 'createProgress', 'createServer'] as const) {
      expect(typeof (rlhf as Record<string, unknown>)[name], name).toBe('function');
    }
  });
  it('exports every domain as a namespace', () => {
    for (const d of ['gridworld', 'line', 'adder', 'digits', 'text'] as const) {
      expect(typeof rlhf[d], d).toBe('object');
      expect(Object.keys(rlhf[d]).length, d).toBeGreaterThan(0);
    }
  });
});
