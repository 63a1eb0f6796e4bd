/**
 * `rlhf generate` as a user runs it: on the PyTorch-checked fixture Llama (its greedy continuation must be the
 * reference's, cut at the first stop token; --chat renders the ChatML template) and on the bundled GPT-2
 * models/fortunes-tiny; bad flags and unusable model directories exit 2 with one line naming the flag.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from './main.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');
const LLAMA = 'test/fixtures/llama';
const GPT2 = 'models/fortunes-tiny';
const EXPECTED = JSON.parse(readFileSync(join(ROOT, LLAMA, 'expected.json'), 'utf8')) as {
  cli: { prompt: string; ids: number[]; greedy: number[] };
  chat: { messages: { role: string; content: string }[]; rendered: string; ids: number[]; greedy: number[] };
};
/** the fixture's stop ids: config.json eos_token_id [2, 0] and tokenizer_config.json eos_token <|im_end|> = 2 */
const STOPS = new Set([2, 0]);

const tmp = mkdtempSync(join(tmpdir(), 'rlhf-generate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'generate', ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `rlhf generate` in this process, capturing what it prints. */
async function inProcess(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const code = await main(['generate', ...args]);
  return { code, out, err };
}

function cutAtStop(ids: number[]): number[] {
  const i = ids.findIndex((t) => STOPS.has(t));
  return i >= 0 ? ids.slice(0, i + 1) : ids;
}

describe('rlhf generate on the fixture Llama (test/fixtures/llama)', () => {
  it('--greedy --json: the prompt encodes with BOS and the continuation is the PyTorch reference, cut at the first stop token', () => {
    const r = cli(['--model', LLAMA, '--prompt', EXPECTED.cli.prompt, '--greedy', '--max-new-tokens', '8', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ architecture: 'llama', prompt: 'hello world', prompt_ids: EXPECTED.cli.ids, greedy: true, chat: false });
    const want = cutAtStop(EXPECTED.cli.greedy);
    expect(j.token_ids).toEqual(want);
    expect(j.finish_reason).toBe(want.length < 8 ? 'stop' : 'length');
    expect(typeof j.completion).toBe('string');
  });

  it('--chat renders the chat template (ChatML) and continues as the assistant', async () => {
    const r = await inProcess(['--model', LLAMA, '--prompt', 'hello', '--chat', '--greedy', '--max-new-tokens', '8', '--json']);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out[0]!) as Record<string, unknown>;
    expect(j.prompt_text).toBe(EXPECTED.chat.rendered);
    expect(j.prompt_ids).toEqual(EXPECTED.chat.ids);
    expect(j.token_ids).toEqual(cutAtStop(EXPECTED.chat.greedy));
    const sys = await inProcess(['--model', LLAMA, '--prompt', 'hello', '--chat', '--system', 'Be brief.', '--max-new-tokens', '2', '--json']);
    expect((JSON.parse(sys.out.at(-1)!) as { prompt_text: string }).prompt_text).toMatch(/^<\|im_start\|>system\nBe brief\.<\|im_end\|>\n<\|im_start\|>user\nhello/);
  });

  it('samples reproducibly for a seed (temperature, top-k, top-p)', async () => {
    const args = ['--model', LLAMA, '--prompt', 'the cat', '--max-new-tokens', '6', '--temperature', '1.5', '--top-k', '50', '--top-p', '0.95', '--json'];
    const ids = async (seed: string): Promise<unknown> => (JSON.parse((await inProcess([...args, '--seed', seed])).out[0]!) as { token_ids: unknown }).token_ids;
    const a = await ids('1');
    expect(await ids('1')).toEqual(a);
    const others: unknown[] = [];
    for (const seed of ['2', '3', '4']) others.push(await ids(seed)); // one at a time: each run captures console
    expect(others.some((o) => JSON.stringify(o) !== JSON.stringify(a))).toBe(true);
  });
});

describe('rlhf generate on the bundled GPT-2 (models/fortunes-tiny)', () => {
  it('prints a continuation through the real CLI', () => {
    const r = cli(['--model', GPT2, '--prompt', 'You will', '--max-new-tokens', '12', '--seed', '3']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().length).toBeGreaterThan(0);
  });

  it('--json gives the ids, and --greedy is deterministic', async () => {
    const run = async (): Promise<Record<string, unknown>> =>
      JSON.parse((await inProcess(['--model', GPT2, '--prompt', 'A friend', '--greedy', '--max-new-tokens', '10', '--json'])).out[0]!) as Record<string, unknown>;
    const a = await run();
    expect(a).toMatchObject({ architecture: 'gpt2', prompt: 'A friend' });
    expect((a.token_ids as number[]).length).toBeGreaterThan(0);
    expect(await run()).toMatchObject({ token_ids: a.token_ids, completion: a.completion });
  });
});

describe('rlhf generate: invalid flags and model directories', () => {
  const bad = join(tmp, 'mamba');
  const empty = join(tmp, 'empty');
  beforeAll(() => {
    writeFileSync(join(tmp, 'placeholder'), '');
    mkdirSync(empty, { recursive: true });
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'config.json'), JSON.stringify({ model_type: 'mamba', architectures: ['MambaForCausalLM'] }));
  });
  const cases: [string, string[], string, RegExp][] = [
    ['no --model', ['--prompt', 'x'], 'model', /--model DIR is required/],
    ['no --prompt', ['--model', LLAMA], 'prompt', /--prompt TEXT is required/],
    ['a missing directory', ['--model', join(tmp, 'nope'), '--prompt', 'x'], 'model', /--model .*nope: no such directory/],
    ['a directory without config.json', ['--model', empty, '--prompt', 'x'], 'model', /--model .*empty: no config\.json/],
    ['an unsupported model_type', ['--model', bad, '--prompt', 'x'], 'model', /--model .*model_type "mamba".*not supported; rlhfkit loads gpt2, llama and qwen2/],
    ['a file as --model', ['--model', join(tmp, 'placeholder'), '--prompt', 'x'], 'model', /no such directory/],
    ['--chat on a model without a chat template', ['--model', GPT2, '--prompt', 'x', '--chat'], 'chat', /--chat needs a chat template/],
    ['--system without --chat', ['--model', LLAMA, '--prompt', 'x', '--system', 'hi'], 'system', /--system is a chat message; give --chat too/],
    ['--top-p 0', ['--model', LLAMA, '--prompt', 'x', '--top-p', '0'], 'top-p', /--top-p must be in \(0, 1\], got 0$/],
    ['--temperature 0', ['--model', LLAMA, '--prompt', 'x', '--temperature', '0'], 'temperature', /--temperature must be > 0/],
    ['--max-new-tokens 0', ['--model', LLAMA, '--prompt', 'x', '--max-new-tokens', '0'], 'max-new-tokens', /--max-new-tokens must be an integer ≥ 1, got 0$/],
    ['more tokens than the context', ['--model', GPT2, '--prompt', 'x', '--max-new-tokens', '500'], 'max-new-tokens', /--max-new-tokens 500 with a prompt of \d+ tokens exceeds the model's context of 128/],
    ['an unknown flag', ['--model', LLAMA, '--prompt', 'x', '--beams', '4'], 'beams', /Unknown option '--beams'/],
  ];
  for (const [what, args, flag, message] of cases) {
    it(`${what} → exit 2, one line naming --${flag}`, async () => {
      const r = await inProcess(args);
      expect(r.code).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(/^rlhf generate: /);
      expect(r.err[0]).toContain(`--${flag}`);
      expect(r.err[0]).toMatch(message);
    });
  }

  it('--help prints the options and exits 0', async () => {
    const r = await inProcess(['--help']);
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toMatch(/--max-new-tokens N/);
  });
});
