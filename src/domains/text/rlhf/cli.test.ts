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
import { promptSplit, runText, textConfigFromArgv } from './cli.js';
import { loadCorpus, splitCorpus } from '../corpus.js';

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
    expect(flags(['--optimizer', 'dpo', '--teacher', 'noisy', '--mistake', '0.1']).config).toMatchObject({ optimizer: 'dpo', teacher: 'noisy', teacherConfig: { epsMistake: 0.1, beta: 1 } });
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
    '--mini-batch-size', '2', '--ppo-epochs', '1', '--response-length', '4', '--reward-epochs', '1', '--prompt-max-tokens', '4', ...extra,
  ];

  it('writes the run directory; a resumed run ends exactly as an uninterrupted one', async () => {
    const { config, trainPrompts } = flags(argv([]));
    const full = await runText(config, { out: join(tmp, 'full'), quiet: true, report: false, trainPrompts: 16 });
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'table.json', 'checkpoint.json', 'policy/adapter_config.json', 'policy/value_head.safetensors']) {
      expect(existsSync(join(full.dir!, f)), f).toBe(true);
    }
    expect(trainPrompts).toBe(512);
    const stopped = await runText(config, { out: join(tmp, 'part'), quiet: true, report: false, trainPrompts: 16, stopAfter: 1 });
    expect(stopped.result).toBeNull();
    const resumed = await runText(config, { out: join(tmp, 'part'), resume: true, quiet: true, report: false, trainPrompts: 16 });
    const { seconds: _a, ...s1 } = full.result!.summary;
    const { seconds: _b, ...s2 } = resumed.result!.summary;
    expect(s2).toEqual(s1);
    const strip = (p: string): unknown[] => readFileSync(p, 'utf8').trim().split('\n').map((l) => Object.fromEntries(Object.entries(JSON.parse(l) as Record<string, unknown>).filter(([k]) => !k.startsWith('time/'))));
    expect(strip(join(resumed.dir!, 'metrics.jsonl'))).toEqual(strip(join(full.dir!, 'metrics.jsonl')));
  });
});
