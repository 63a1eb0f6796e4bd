/**
 * `rlhf run text` as a user runs it, through the one run command (src/cli/runCommand.ts) and the run driver: bad
 * options (and a missing model) exit 2 with one line naming the flag and write nothing; the real process on a tiny
 * random model prints the summary with --json, and a process ended abruptly after iteration k (RLHF_STOP_AFTER, exit
 * 75) resumes with --resume to the same summary and a byte-identical metrics.jsonl.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.js';
import { initTensors } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { Gpt2 } from '../../src/models/gpt2/model.js';
import { resolveGpt2Config } from '../../src/models/gpt2/config.js';
import { saveGpt2 } from '../../src/models/load.js';

const root = mkdtempSync(join(tmpdir(), 'rlhf-cli-text-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

beforeAll(async () => {
  await initTensors();
  const m = Gpt2.random(resolveGpt2Config({ vocab_size: 257, n_positions: 32, n_embd: 16, n_layer: 1, n_head: 2, eos_token_id: 256, bos_token_id: 256 }), new Rng(1));
  saveGpt2(join(root, 'model'), m); // 257 tokens, no tokenizer.json: reads bytes
  m.dispose();
  writeFileSync(join(root, 'corpus.txt'), Array.from({ length: 300 }, (_, i) => `${i * 7919} is a good number for a happy day.`).join('\n%\n'));
});

const MAIN = resolve(__dirname, '../../src/cli/main.ts');

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env, RLHF_PROGRESS: '' },
    cwd: resolve(__dirname, '../..'),
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A tiny run: 8 pairs, 3 PPO steps (4 iterations: feedback + reward model, then the steps). */
const tiny = (): string[] => [
  '--model', join(root, 'model'), '--corpus', join(root, 'corpus.txt'), '--eval-prompts', '4', '--labels', '8', '--iterations', '3', '--batch-size', '4',
  '--mini-batch-size', '2', '--ppo-epochs', '1', '--response-length', '4', '--reward-epochs', '1', '--prompt-max-tokens', '4', '--train-prompts', '16', '--seed', '3',
];

describe('rlhf run text: invalid options', () => {
  const cases: Array<[string[], string, RegExp]> = [
    [['--optimizer', 'sgd'], 'optimizer', /--optimizer must be one of ppo, dpo/],
    [['--judge', 'oracle'], 'judge', /--judge must be one of simulated, human, mixed/],
    [['--kl-target', '0'], 'kl-target', /--kl-target must be in \(0, 1000000\], got 0/],
    [['--model', '/nonexistent/model'], 'model', /no model in \/nonexistent\/model: run `rlhf pretrain text` first/],
    [['--labels-per-iteration', '5'], 'labels-per-iteration', /only applies with --judge human or mixed/],
  ];
  for (const [args, flag, message] of cases) {
    it(`${args.join(' ')} → exit 2, one line naming --${flag}, nothing written`, async () => {
      const out = join(root, `bad-${flag}`);
      const errors: string[] = [];
      vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
      vi.spyOn(console, 'log').mockImplementation(() => {});
      const code = await main(['run', 'text', ...args, '--out', out, '--quiet']);
      expect(code).toBe(2);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^rlhf run text: /);
      expect(errors[0]).toContain(`--${flag}`);
      expect(errors[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});

describe('rlhf run text: the real process', () => {
  it('killed after iteration 2 (RLHF_STOP_AFTER), --resume reproduces the uninterrupted run', () => {
    const whole = join(root, 'whole');
    const a = cli(['run', 'text', ...tiny(), '--out', whole, '--json', '--quiet', '--no-report']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toBe('');
    const cut = join(root, 'cut');
    const b = cli(['run', 'text', ...tiny(), '--out', cut, '--json', '--quiet', '--no-report'], { RLHF_STOP_AFTER: '2' });
    expect(b.code, b.stderr).toBe(75);
    expect(b.stdout).toBe('');
    expect(existsSync(join(cut, 'summary.json'))).toBe(false);
    expect(readFileSync(join(cut, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    const c = cli(['run', 'text', ...tiny(), '--out', cut, '--resume', '--json', '--quiet', '--no-report']);
    expect(c.code, c.stderr).toBe(0);
    const last = (s: string) => {
      const { seconds: _s, ...rest } = JSON.parse(s.trim().split('\n').pop()!) as Record<string, unknown>;
      return rest;
    };
    expect(last(c.stdout)).toEqual(last(a.stdout));
    expect(last(a.stdout)).toMatchObject({ optimizer: 'ppo', seed: 3, eval_prompts: 4 });
    for (const f of ['metrics.jsonl', 'table.json']) expect(readFileSync(join(cut, f), 'utf8'), f).toBe(readFileSync(join(whole, f), 'utf8'));
    for (const f of ['policy/adapter_model.safetensors', 'policy/value_head.safetensors']) expect(readFileSync(join(cut, f)).equals(readFileSync(join(whole, f))), f).toBe(true);
  });
});
