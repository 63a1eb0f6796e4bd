/**
 * The arithmetic domain: problems and the held-out pool, the character tokenizer through @huggingface/tokenizers, the
 * bundled model (it is what its pretrain.json says), a tiny pretraining (deterministic), and `rlhf run arithmetic`
 * as a user runs it: bad options exit 2 and write nothing; tiny GRPO / RLOO / PPO runs write summary.json,
 * completions.jsonl and the report; a user's reward module; a process killed after step k (RLHF_STOP_AFTER) resumes
 * to the files of an uninterrupted run.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initTensors, tf } from '../../core/tensor.js';
import { Rng } from '../../core/rng.js';
import { loadCausalLm, readModelConfigJson } from '../../models/load.js';
import { main } from '../../cli/main.js';
import { HELD_OUT_SEED, maxAnswerLength, Problems, problemOf } from './problems.js';
import { ARITHMETIC_EOS_ID, arithmeticTokenizer } from './tokenizer.js';
import { greedyAccuracy, klToReference } from './evaluate.js';
import { PRETRAIN_ARITHMETIC_OPTIONS, pretrainArithmetic } from './pretrain.js';
import { arithmeticModelInfo } from './run.js';

const REPO = resolve(__dirname, '../../..');
const BUNDLED = join(REPO, 'models', 'arithmetic-tiny');
const MAIN = join(REPO, 'src', 'cli', 'main.ts');
const root = mkdtempSync(join(tmpdir(), 'rlhf-arith-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
beforeAll(async () => {
  await initTensors();
});

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env, RLHF_PROGRESS: '' }, cwd: REPO, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const readJsonl = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

/** a run of a few seconds: 4 problems × 4 completions per step, 4 steps, a small evaluation */
const TINY = ['--iterations', '4', '--prompts', '4', '--generations', '4', '--mini-batch-size', '8', '--eval-every', '2', '--eval-problems', '40', '--kl-problems', '10', '--seed', '3'];

describe('problems', () => {
  it('"a+b=" and its digits; the held-out pool is fixed and never sampled for training', () => {
    expect(problemOf(47, 58)).toEqual({ a: 47, b: 58, prompt: '47+58=', answer: '105' });
    expect(maxAnswerLength({ maxOperand: 100 })).toBe(3);
    const p = new Problems({ maxOperand: 20, heldOut: 50 });
    expect(new Problems({ maxOperand: 20, heldOut: 50 }).heldOut).toEqual(p.heldOut); // HELD_OUT_SEED, not the run's seed
    expect(new Set(p.heldOut.map((q) => q.prompt)).size).toBe(50);
    const rng = new Rng(1);
    for (let i = 0; i < 2000; i++) {
      const q = p.sample(rng);
      expect(p.isHeldOut(q.a, q.b)).toBe(false);
    }
    expect(() => p.evalSet(51)).toThrow(/--eval-problems \(51\)/);
    expect(HELD_OUT_SEED).toBe(20_260_512);
  });
});

describe('tokenizer', () => {
  it('one token per character, the end token 0, decodes without spaces', () => {
    const tok = arithmeticTokenizer();
    expect(tok.vocabSize).toBe(13);
    expect(tok.eosId).toBe(ARITHMETIC_EOS_ID);
    const ids = tok.encode('12+34=46<|endoftext|>');
    expect(ids).toEqual([2, 3, 11, 4, 5, 12, 5, 7, 0]);
    expect(tok.decode(ids.slice(0, -1))).toBe('12+34=46');
  });
});

describe('the bundled model (models/arithmetic-tiny)', () => {
  it('is a small Llama whose held-out accuracy is what its pretrain.json says, and KL to itself is 0', () => {
    const raw = readModelConfigJson(BUNDLED);
    expect(raw.model_type).toBe('llama');
    const info = arithmeticModelInfo(raw, BUNDLED);
    const record = JSON.parse(readFileSync(join(BUNDLED, 'pretrain.json'), 'utf8')) as { evalAccuracy: number; reachedTarget: boolean; config: { seed: number } };
    expect(record.reachedTarget).toBe(true);
    expect(record.evalAccuracy).toBeGreaterThanOrEqual(0.2);
    expect(record.evalAccuracy).toBeLessThanOrEqual(0.5);
    const { model, tokenizer } = loadCausalLm(BUNDLED);
    const evalSet = new Problems(info).evalSet(Math.floor(info.heldOut / 2));
    expect(greedyAccuracy(model, tokenizer, evalSet, maxAnswerLength(info) + 1).accuracy).toBeCloseTo(record.evalAccuracy, 6);
    expect(klToReference(model, { model, adapters: false }, tokenizer, evalSet.slice(0, 20), 4, 1, new Rng(0))).toBeCloseTo(0, 6);
    model.dispose();
  });
});

describe('pretraining', () => {
  it('is deterministic and leaves only the model behind', () => {
    const c = PRETRAIN_ARITHMETIC_OPTIONS.resolve({ maxOperand: 10, heldOut: 10, layers: 1, width: 16, heads: 2, kvHeads: 1, mlp: 32, batch: 16, maxSteps: 6, evalEvery: 3, warmup: 2, out: join(root, 'unused') });
    const n0 = tf.memory().numTensors;
    const a = pretrainArithmetic(c);
    const b = pretrainArithmetic(c);
    expect(a.steps).toBe(6);
    expect(a.curve.map((p) => p.step)).toEqual([3, 6]);
    expect(a.curve).toEqual(b.curve);
    expect([...a.model.paramArrays().values()].map((p) => Array.from(p.data.slice(0, 8)))).toEqual([...b.model.paramArrays().values()].map((p) => Array.from(p.data.slice(0, 8))));
    const params = a.model.params.size;
    a.model.dispose();
    b.model.dispose();
    expect(tf.memory().numTensors).toBe(n0);
    expect(params).toBeGreaterThan(0);
  });
  it('`rlhf pretrain arithmetic` writes a model directory a run loads', async () => {
    const out = join(root, 'pretrained');
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const code = await main(['pretrain', 'arithmetic', '--max-operand', '10', '--held-out', '20', '--layers', '1', '--width', '16', '--heads', '2', '--kv-heads', '1', '--mlp', '32', '--max-steps', '4', '--eval-every', '2', '--out', out, '--quiet']);
    expect(code).toBe(0);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'pretrain.json']) expect(existsSync(join(out, f))).toBe(true);
    expect(arithmeticModelInfo(readModelConfigJson(out), out)).toEqual({ maxOperand: 10, heldOut: 20 });
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    expect(await main(['run', 'arithmetic', '--model', out, ...TINY, '--eval-problems', '10', '--out', join(root, 'on-pretrained'), '--quiet', '--json', '--no-report'])).toBe(0);
    expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject({ iterations: 4, eval_problems: 10 });
  });
});

describe('rlhf run arithmetic: invalid options', () => {
  const cases: Array<[string[], string, RegExp]> = [
    [['--optimizer', 'sgd'], 'optimizer', /--optimizer must be one of grpo, rloo, ppo; got "sgd"/],
    [['--mini-batch-size', '1000'], 'mini-batch-size', /--mini-batch-size must be an integer in \[1, 128\], got 1000/],
    [['--reward-fn', 'lenght=3'], 'reward-fn', /"lenght" is not a built-in reward/],
    [['--reward-fn', './no-such-reward.js'], 'reward-fn', /--reward-fn \.\/no-such-reward\.js: no such file/],
    [['--model', '/no/such/model'], 'model', /--model \/no\/such\/model: no model there/],
    [['--judge', 'human'], 'judge', /scored by its reward functions, not judged by people/],
    [['--loss-type', 'ppo'], 'loss-type', /--loss-type must be one of grpo, bnpo, dr_grpo, dapo/],
    [['--kl-problems', '600'], 'kl-problems', /--kl-problems must be an integer in \[1, 500\]/],
  ];
  for (const [args, flag, message] of cases) {
    it(`${args.join(' ')} → exit 2, one line naming --${flag}, nothing written`, async () => {
      const out = join(root, `bad-${flag}`);
      const errors: string[] = [];
      vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
      vi.spyOn(console, 'log').mockImplementation(() => {});
      expect(await main(['run', 'arithmetic', ...args, '--out', out, '--quiet'])).toBe(2);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^rlhf run arithmetic: /);
      expect(errors[0]).toContain(`--${flag}`);
      expect(errors[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});

describe('rlhf run arithmetic: tiny runs', () => {
  it('GRPO as a process: summary.json, completions.jsonl (every completion of every step), the report with its table', () => {
    const out = join(root, 'grpo');
    const r = cli(['run', 'arithmetic', ...TINY, '--out', out, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/arithmetic 4\/4/);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toEqual(summary);
    for (const k of ['accuracy_before', 'accuracy_after', 'kl', 'labels', 'seconds', 'seed']) expect(summary, k).toHaveProperty(k);
    expect(summary).toMatchObject({ labels: 0, seed: 3, optimizer: 'grpo', iterations: 4, completions: 64 });
    expect(summary.kl as number).toBeGreaterThan(0);
    const rows = readJsonl(join(out, 'completions.jsonl'));
    expect(rows).toHaveLength(4 * 4 * 4);
    expect(rows.map((x) => x.step)).toEqual([1, 2, 3, 4].flatMap((s) => Array(16).fill(s)));
    for (const x of rows) {
      expect(Object.keys(x)).toEqual(['step', 'prompt', 'answer', 'completion', 'reward', 'rewards', 'advantage']);
      expect((x.rewards as Record<string, number>).exact).toBe(x.completion === x.answer ? 1 : 0);
      expect(x.prompt).toMatch(/^\d+\+\d+=$/);
    }
    // GRPO: the advantages of a group sum to 0
    for (let g = 0; g < rows.length; g += 4) expect(rows.slice(g, g + 4).reduce((s, x) => s + (x.advantage as number), 0)).toBeCloseTo(0, 4);
    const metrics = readJsonl(join(out, 'metrics.jsonl'));
    expect(metrics.map((m) => m['eval/accuracy'] === null)).toEqual([true, false, true, false]);
    expect(metrics[3]!['eval/accuracy']).toBe(summary.accuracy_after);
    expect(metrics[0]).toHaveProperty('reward_fn/exact');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Completions by step');
    for (const f of ['accuracy.svg', 'reward.svg', 'kl.svg', 'timing.jsonl']) expect(existsSync(join(out, f))).toBe(true);
  });

  it("RLOO and PPO run in-process; a user's reward module is combined with exact by weight", async () => {
    const mod = join(root, 'short.mjs');
    writeFileSync(mod, 'export default (prompt, completion, extra) => (completion.length <= String(extra.answer).length ? 1 : 0);\n');
    for (const optimizer of ['rloo', 'ppo']) {
      const out = join(root, optimizer);
      const lines: string[] = [];
      vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
      const code = await main(['run', 'arithmetic', ...TINY, '--optimizer', optimizer, '--reward-fn', 'exact', '--reward-fn', `${mod}:0.5`, '--out', out, '--quiet', '--json', '--no-report']);
      expect(code).toBe(0);
      expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject({ optimizer, labels: 0 });
      const rows = readJsonl(join(out, 'completions.jsonl'));
      for (const x of rows) {
        const r = x.rewards as Record<string, number>;
        expect(Object.keys(r)).toEqual(['exact', 'short']);
        expect(x.reward).toBeCloseTo(r.exact! + 0.5 * r.short!, 6);
      }
      const m = readJsonl(join(out, 'metrics.jsonl'));
      expect(m[0]).toHaveProperty('reward_fn/short');
      if (optimizer === 'ppo') expect(m[0]).toHaveProperty('val/vpred');
      if (optimizer === 'rloo') for (let g = 0; g < rows.length; g += 4) expect(rows.slice(g, g + 4).reduce((s, x) => s + (x.advantage as number), 0)).toBeCloseTo(0, 4); // Σ_i (r′_i − b_i) = S − (kS − S)/(k − 1) = 0
    }
  });

  it('killed after step 2 (RLHF_STOP_AFTER), --resume writes the files an uninterrupted run writes', () => {
    const args = ['run', 'arithmetic', ...TINY, '--json', '--quiet', '--no-report'];
    const whole = join(root, 'whole');
    const a = cli([...args, '--out', whole]);
    expect(a.code).toBe(0);
    const cut = join(root, 'cut');
    const b = cli([...args, '--out', cut], { RLHF_STOP_AFTER: '2' });
    expect(b.code).toBe(75);
    expect(readJsonl(join(cut, 'completions.jsonl'))).toHaveLength(2 * 16);
    const c = cli([...args, '--out', cut, '--resume']);
    expect(c.code).toBe(0);
    const last = (s: string) => {
      const { seconds: _s, ...rest } = JSON.parse(s.trim().split('\n').pop()!) as Record<string, unknown>;
      return rest;
    };
    expect(last(c.stdout)).toEqual(last(a.stdout));
    for (const f of ['metrics.jsonl', 'completions.jsonl']) expect(readFileSync(join(cut, f), 'utf8'), f).toBe(readFileSync(join(whole, f), 'utf8'));
  });
});
