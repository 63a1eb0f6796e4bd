/**
 * examples/text.ts runs (so it cannot rot): its function, with the example's own code path, on a tiny random model and
 * a small corpus instead of the bundled model (the real settings take about a minute).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTensors } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { Gpt2 } from '../../src/models/gpt2/model.js';
import { resolveGpt2Config } from '../../src/models/gpt2/config.js';
import { saveGpt2 } from '../../src/models/load.js';
import { textExample } from '../../examples/text.js';

const root = mkdtempSync(join(tmpdir(), 'rlhf-example-text-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await initTensors();
  const m = Gpt2.random(resolveGpt2Config({ vocab_size: 257, n_positions: 32, n_embd: 16, n_layer: 1, n_head: 2, eos_token_id: 256, bos_token_id: 256 }), new Rng(1));
  saveGpt2(join(root, 'model'), m);
  m.dispose();
  writeFileSync(join(root, 'corpus.txt'), Array.from({ length: 300 }, (_, i) => `${i * 7919} is a good number for a happy day.`).join('\n%\n'));
});

describe('examples/text.ts', () => {
  it('runs the loop through the public API and prints the feedback, every PPO step and the before/after table', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    const summary = await textExample({
      model: join(root, 'model'), corpus: join(root, 'corpus.txt'), labels: 8, iterations: 2, batchSize: 4, miniBatchSize: 2, ppoEpochs: 1,
      responseLength: 4, rewardEpochs: 1, evalPrompts: 4, trainPrompts: 16, promptMaxTokens: 4,
    });
    vi.restoreAllMocks();
    expect(summary).toMatchObject({ optimizer: 'ppo', eval_prompts: 4, seed: 1 });
    const out = lines.join('\n');
    expect(out).toMatch(/^\d+ comparisons; reward model held-out accuracy/);
    expect(out).toMatch(/PPO step +1 .*\n.*PPO step +2 /);
    expect(out).toMatch(/AFINN -?\d+\.\d\d → -?\d+\.\d\d, KL/);
    expect(out.match(/\n {2}before \(/g)).toHaveLength(4); // the table's rows (at most 5)
  });
});
