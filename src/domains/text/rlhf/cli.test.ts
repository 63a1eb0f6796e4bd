import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTensors } from '../../../core/tensor.js';
import { Rng } from '../../../core/rng.js';
import { ConfigError } from '../../../core/errors.js';
import { Gpt2 } from '../../../models/gpt2/model.js';
import { resolveGpt2Config } from '../../../models/gpt2/config.js';
import { saveGpt2 } from '../../../models/load.js';
import { textConfigFromArgv } from './cli.js';
import { runText } from './task.js';
import { loadCorpus, promptSplit, splitCorpus } from '../corpus.js';

let tmp = '';
beforeAll(async () => {
  await initTensors();
  tmp = mkdtempSync(join(tmpdir(), 'rlhf-text-'));
  const m = Gpt2.random(resolveGpt2Config({ vocab_size: 257, n_positions: 32, n_embd: 16, n_layer: 1, n_head: 2, eos_token_id: 256, bos_token_id: 256 }), new Rng(1));
  saveGpt2(join(tmp, 'model'), m);
  m.dispose();
  writeFileSync(join(tmp, 'corpus.txt'), Array.from({ length: 600 }, (_, i) => `${i * 7919} is a good number for a happy day.`).join('\n%\n'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const flags = (argv: string[]): ReturnType<typeof textConfigFromArgv> => textConfigFromArgv(argv);

describe('rlhf run text flags', () => {
  it('validate each value and name the flag', () => {
    const bad = (argv: string[], key: string): void => {
      try {
        flags(argv);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        expect((e as ConfigError).key).toBe(key);
      }
    };
    bad(['--optimizer', 'sgd'], 'optimizer');
    bad(['--judge', 'oracle'], 'judge');
    bad(['--kl-target', '0'], 'kl-target');
    bad(['--batch-size', '4', '--mini-batch-size', '8'], 'mini-batch-size');
    bad(['--prompt-min-tokens', '5', '--prompt-max-tokens', '3'], 'prompt-max-tokens');
    bad(['--dpo-loss', 'kto'], 'dpo-loss');
    bad(['--model', join(tmp, 'nowhere')], 'model'); // no config.json there: a bad --model, before anything is written
    expect(flags(['--optimizer', 'dpo', '--teacher', 'noisy', '--mistake', '0.1'])).toMatchObject({ optimizer: 'dpo', teacher: 'noisy', teacherConfig: { epsMistake: 0.1, beta: 1 } });
    expect(flags([]).trainPrompts).toBe(512);
    // people judge one round of --labels-per-iteration pairs at a time; alone, the judge takes rounds of 64
    expect(flags([]).feedbackBatch).toBe(64);
    expect(flags(['--judge', 'human', '--labels-per-iteration', '7']).feedbackBatch).toBe(7);
  });
});

describe('promptSplit', () => {
  it("uses the pretraining's validation split when the model has pretrain.json for the same corpus, else a hash split", () => {
    const corpus = join(tmp, 'corpus.txt');
    const dir = join(tmp, 'split-model');
    mkdirSync(dir);
    expect(promptSplit(corpus, dir).source).toBe('hash');
    writeFileSync(join(dir, 'pretrain.json'), JSON.stringify({ config: { corpus, seed: 3, valFraction: 0.1 } }));
    const s = promptSplit(null, dir);
    expect(s.source).toBe('pretrain');
    const want = splitCorpus(loadCorpus(corpus), 0.1, new Rng(3).fork('split'));
    expect(s.heldout).toEqual(want.val.map((e) => e.text));
    expect(s.train.length + s.heldout.length).toBe(600);
    const other = join(tmp, 'other.txt');
    writeFileSync(other, Array.from({ length: 20 }, (_, i) => `entry ${i}`).join('\n%\n'));
    expect(promptSplit(other, dir).source).toBe('hash'); // another corpus
  });
});

describe('runText', () => {
  const argv = (extra: string[]): string[] => [
    '--model', join(tmp, 'model'), '--corpus', join(tmp, 'corpus.txt'), '--eval-prompts', '4', '--labels', '8', '--iterations', '3', '--batch-size', '4',
    '--mini-batch-size', '2', '--ppo-epochs', '1', '--response-length', '4', '--reward-epochs', '1', '--prompt-max-tokens', '4', '--train-prompts', '16', ...extra,
  ];
  const read = (dir: string, f: string): string => readFileSync(join(dir, f), 'utf8');

  it('writes the run directory; a run stopped after any checkpoint and resumed ends exactly as an uninterrupted one', async () => {
    const config = flags(argv([]));
    const full = await runText(config, { out: join(tmp, 'full'), quiet: true, report: false });
    for (const f of ['config.json', 'metrics.jsonl', 'timing.jsonl', 'summary.json', 'table.json', 'checkpoint.json', 'policy/adapter_config.json', 'policy/value_head.safetensors']) {
      expect(existsSync(join(full.dir!, f)), f).toBe(true);
    }
    expect(existsSync(join(full.dir!, 'report.html'))).toBe(false); // --no-report: the run's products are still written
    // iteration 1 = feedback and reward model, then the 3 PPO steps
    const rows = read(full.dir!, 'metrics.jsonl').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | null>);
    expect(rows.map((r) => r.iteration)).toEqual([1, 2, 3, 4]);
    expect(rows.every((r) => Object.keys(r).every((k) => !k.startsWith('time/')))).toBe(true); // timings go to timing.jsonl
    expect(JSON.parse(read(full.dir!, 'summary.json'))).toEqual(full.summary);
    for (const stopAfter of [1, 2]) {
      const out = join(tmp, `part-${stopAfter}`);
      const stopped = await runText(config, { out, quiet: true, report: false, stopAfter });
      expect(stopped.stopped).toBe(true);
      expect(stopped.summary).toBeUndefined();
      expect(existsSync(join(out, 'table.json'))).toBe(false);
      const resumed = await runText(config, { out, resume: true, quiet: true, report: false });
      const { seconds: _a, ...s1 } = full.summary!;
      const { seconds: _b, ...s2 } = resumed.summary!;
      expect(s2, `stopped after ${stopAfter}`).toEqual(s1);
      expect(read(out, 'metrics.jsonl'), `stopped after ${stopAfter}`).toBe(read(full.dir!, 'metrics.jsonl'));
      expect(read(out, 'table.json')).toBe(read(full.dir!, 'table.json'));
    }
  });

  it('dpo: writes the report with its figure', async () => {
    const res = await runText(flags(argv(['--optimizer', 'dpo', '--dpo-epochs', '2', '--dpo-batch-size', '2'])), { out: join(tmp, 'dpo'), quiet: true });
    expect(res.metrics.map((r) => r.iteration)).toEqual([1, 2, 3]);
    for (const f of ['report.html', 'dpo.svg', 'table.json']) expect(existsSync(join(res.dir!, f)), f).toBe(true);
    expect(res.summary!.optimizer).toBe('dpo');
  });
});
