import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTensors } from '../../../core/tensor.js';
import { Rng } from '../../../core/rng.js';
import type { Preference, Query } from '../../../feedback/types.js';
import { resolveHumanJudgeConfig } from '../../../loop/people/gatherer.js';
import type { HumanJudgeSetup } from '../../../loop/people/session.js';
import { openStore } from '../../../store/index.js';
import { Gpt2 } from '../../../models/gpt2/model.js';
import { resolveGpt2Config } from '../../../models/gpt2/config.js';
import { saveGpt2 } from '../../../models/load.js';
import { runText, textConfigFromArgv } from './cli.js';
import { textQueryMaker } from './people.js';
import type { TextSamplePayload } from '../payload.js';

let tmp = '';
beforeAll(async () => {
  await initTensors();
  tmp = mkdtempSync(join(tmpdir(), 'rlhf-text-people-'));
  const m = Gpt2.random(resolveGpt2Config({ vocab_size: 257, n_positions: 32, n_embd: 16, n_layer: 1, n_head: 2, eos_token_id: 256, bos_token_id: 256 }), new Rng(1));
  saveGpt2(join(tmp, 'model'), m);
  m.dispose();
  writeFileSync(join(tmp, 'corpus.txt'), Array.from({ length: 300 }, (_, i) => `${i * 7919} is a good number for a happy day.`).join('\n%\n'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const config = (judge: string) =>
  textConfigFromArgv(['--judge', judge, '--model', join(tmp, 'model'), '--corpus', join(tmp, 'corpus.txt'), '--eval-prompts', '2', '--labels', '4', '--iterations', '1', '--batch-size', '4', '--mini-batch-size', '2', '--ppo-epochs', '1', '--response-length', '4', '--reward-epochs', '1', '--prompt-max-tokens', '4']).config;
const people = (mode: 'human' | 'mixed', timeoutSeconds: number): HumanJudgeSetup => ({
  config: resolveHumanJudgeConfig({ mode, timeoutSeconds, pollMs: 20 }),
  port: 0,
  portGiven: true,
  annotator: 'bo',
});

describe('text with people in the loop', () => {
  it('the query maker shows prompt + each continuation, left and right', () => {
    const q = textQueryMaker.query({ pairs: [{ prompt: 'P', left: ' a', right: ' b' }], simulated: () => [] }, 0, 3, 'r:3:0');
    expect(q.kind).toBe('comparison');
    expect(q.iteration).toBe(3);
    expect(q.samples.map((s) => [s.id, s.domain, s.payload])).toEqual([
      ['r:3:0:L', 'text', { prompt: 'P', continuation: ' a' }],
      ['r:3:0:R', 'text', { prompt: 'P', continuation: ' b' }],
    ]);
  });

  it('human: people answer every pair through the server; the answers are stored and train the reward model', async () => {
    const out = join(tmp, 'human');
    const lines: string[] = [];
    const err = console.error;
    console.error = (l: unknown) => void lines.push(String(l));
    try {
      const run = runText(config('human'), { out, quiet: true, report: false, trainPrompts: 16, people: people('human', 60) });
      // a person at the HTTP API: prefer the longer continuation, tie when equal
      const answered: Array<{ id: string; preferred: Preference }> = [];
      let base = '';
      let token = '';
      for (let i = 0; i < 500 && answered.length < 4; i++) {
        const m = /label as "bo":\s+(\S+)\/label\/\S+#token=(rlhf_\S+)/.exec(lines.join('\n'));
        if (!m) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        [, base, token] = m as unknown as [string, string, string];
        const call = async (method: string, path: string, body: unknown) =>
          (await (await fetch(`${base}${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json()) as { query?: Query | null };
        const r = await call('POST', '/api/runs/human/lease', {});
        if (!r.query) {
          await new Promise((res) => setTimeout(res, 50));
          continue;
        }
        const [L, R] = r.query.samples as unknown as [{ id: string; payload: TextSamplePayload }, { id: string; payload: TextSamplePayload }];
        expect(L.payload.prompt).toBe(R.payload.prompt);
        const d = L.payload.continuation.length - R.payload.continuation.length;
        const preferred: Preference = d > 0 ? 'left' : d < 0 ? 'right' : 'tie';
        await call('POST', `/api/queries/${encodeURIComponent(r.query.id)}/judgement`, { judgement: { kind: 'comparison', leftId: L.id, rightId: R.id, preferred } });
        answered.push({ id: r.query.id, preferred });
      }
      const res = await run;
      expect(answered).toHaveLength(4);
      expect(res.result!.summary.labels).toBe(4); // all four answers (ties included) reached the reward model
      const store = await openStore(join(out, 'feedback.sqlite'));
      try {
        const js = await store.listJudgements('human');
        expect(js.map((j) => [j.queryId, j.annotator, j.judgement.kind === 'comparison' ? j.judgement.preferred : ''])).toEqual(answered.map((a) => [a.id, 'bo', a.preferred]));
        expect((await store.getRun('human'))!.status).toBe('done');
      } finally {
        await store.close();
      }
    } finally {
      console.error = err;
    }
  }, 60_000);

  it('mixed: the sentiment judge answers what nobody answered within the timeout, recorded as teacher:sentiment', async () => {
    const out = join(tmp, 'mixed');
    const err = console.error;
    console.error = () => {};
    try {
      const res = await runText(config('mixed'), { out, quiet: true, report: false, trainPrompts: 16, people: people('mixed', 0.2) });
      expect(res.result).not.toBeNull();
      const store = await openStore(join(out, 'feedback.sqlite'));
      try {
        const js = await store.listJudgements('mixed');
        expect(js).toHaveLength(4);
        expect(new Set(js.map((j) => j.annotator))).toEqual(new Set(['teacher:sentiment']));
      } finally {
        await store.close();
      }
    } finally {
      console.error = err;
    }
  }, 60_000);
});
