import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { resolveHumanJudgeConfig } from '../../loop/people/gatherer.js';
import { digitsCommand, digitsCommandSpec, pretrainDigitsCommand } from './cli.js';
import { resolveDigitsConfig } from './config.js';
import { runDigits } from './run.js';
import { writeSynthIdxDir } from './testing.js';

const root = mkdtempSync(join(tmpdir(), 'rlhf-digits-run-'));
const dataDir = writeSynthIdxDir(join(root, 'data'), 300, 100, true);
const TINY = ['--data', dataDir, '--train-size', '200', '--val-size', '50', '--vae-epochs', '1', '--judge-epochs', '1', '--steps', '30', '--eval-every', '10', '--grid-per-class', '2', '--options', '4', '--quiet'];

afterEach(() => {
  vi.restoreAllMocks();
});

async function configErrorOf(argv: string[]): Promise<ConfigError> {
  try {
    await digitsCommand(argv);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`expected a ConfigError for ${argv.join(' ')}`);
}

describe('rlhf run digits: flags', () => {
  it('rejects bad values naming the flag, before writing anything', async () => {
    const out = join(root, 'never');
    const cases: Array<[string[], string]> = [
      [['--steps', '0'], 'steps'],
      [['--steps', 'ten'], 'steps'],
      [['--sigma=-1'], 'sigma'],
      [['--options', '2.5'], 'options'],
      [['--lr-codes', '2'], 'lr-codes'],
      [['--policy-init', 'zeros'], 'policy-init'],
      [['--classifier-lr', '0'], 'classifier-lr'],
      [['--replay-warm=-3'], 'replay-warm'],
      [['--train-size', '0'], 'train-size'],
      [['--judge', 'oracle'], 'judge'],
      [['--batch', '0'], 'batch'],
      [['--judge-timeout', '5'], 'judge-timeout'], // people-only flags need --judge human|mixed
      [['--judge', 'human', '--judge-timeout', '0'], 'judge-timeout'],
      [['--backend', 'gpu'], 'backend'],
      [['--resume'], 'resume'],
    ];
    for (const [argv, key] of cases) {
      const e = await configErrorOf([...argv, ...(argv[0] === '--resume' ? [] : ['--out', out])]);
      expect(e.key, argv.join(' ')).toBe(key);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('with people and no --batch, an iteration asks --labels-per-iteration queries (two per step); the simulated judge keeps B = 1', () => {
    const human = { config: resolveHumanJudgeConfig({ mode: 'human', labelsPerIteration: 10 }), port: 0, portGiven: true, annotator: 'a' };
    expect(digitsCommandSpec.configFromFlags({}, undefined).batch).toBe(1);
    expect(digitsCommandSpec.configFromFlags({}, human).batch).toBe(5);
    expect(digitsCommandSpec.configFromFlags({ batch: '3' }, human).batch).toBe(3);
    expect(digitsCommandSpec.configFromFlags({}, { ...human, config: { ...human.config, labelsPerIteration: 1 } }).batch).toBe(1);
    expect(digitsCommandSpec.configFromFlags({}, { ...human, config: { ...human.config, mode: 'simulated' } }).batch).toBe(1); // --db with the simulated judge
  });

  it('pretrain --help and run --help print usage', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await digitsCommand(['--help'])).toBe(0);
    expect(await pretrainDigitsCommand(['--help'])).toBe(0);
    expect(String(log.mock.calls[0]?.[0])).toMatch(/rlhf run digits/);
    expect(String(log.mock.calls[1]?.[0])).toMatch(/rlhf pretrain digits/);
  });
});

describe('rlhf run digits: a tiny run', () => {
  it('writes config, metrics, summary, report; --json prints the summary last; --resume reproduces the run', async () => {
    const out = join(root, 'full');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await digitsCommand([...TINY, '--out', out, '--json'])).toBe(0);
    const printed = JSON.parse(String(log.mock.calls.at(-1)?.[0])) as Record<string, number>;
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Record<string, number>;
    expect(printed).toEqual(summary);
    for (const k of ['thumbs_up_rate_first100', 'thumbs_up_rate_last100', 'classifier_accuracy_before', 'classifier_accuracy_after', 'judge_accuracy', 'labels', 'seconds', 'seed'])
      expect(summary[k], k).toBeTypeOf('number');
    expect(summary.labels).toBe(60);
    expect(summary.judge_accuracy).toBeGreaterThan(0.5); // the synthetic classes are easy
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(rows).toHaveLength(30);
    expect(rows.filter((r) => 'classifier/accuracy' in r).map((r) => r.iteration)).toEqual([10, 20, 30]);
    expect(rows[0]).toHaveProperty('feedback/thumbs_up_rate');
    for (const f of ['config.json', 'report.html', 'grid-before.png', 'grid-after.png', 'thumbs-up.png', 'classifier-accuracy.svg', 'pretrained/digits-models.safetensors'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/Generated images before feedback/);
    expect(html).toMatch(/data:image\/png;base64,/);

    // interrupted after step 10, then resumed with the same pretrained models: the same metrics and summary
    const cut = join(root, 'cut');
    const config = resolveDigitsConfig({
      seed: 0,
      steps: 30,
      evalEvery: 10,
      gridPerClass: 2,
      pretrained: join(out, 'pretrained'),
      policy: { options: 4 },
    });
    const ref = await runDigits(config, { out: join(root, 'ref'), quiet: true, report: false });
    const first = await runDigits(config, { out: cut, quiet: true, report: false, stopAfter: 10 });
    expect(first.summary).toBeUndefined();
    expect(first.metrics).toHaveLength(10);
    const resumed = await runDigits(config, { out: cut, quiet: true, report: false, resume: true });
    const strip = (s: object) => Object.fromEntries(Object.entries(s).filter(([k]) => !k.includes('seconds')));
    expect(strip(resumed.summary!)).toEqual(strip(ref.summary!));
    const metrics = (d: string) =>
      readFileSync(join(d, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as object);
    expect(metrics(cut)).toEqual(metrics(join(root, 'ref'))); // metrics.jsonl is a function of seed and config only
    // the same run with the pretrained models it made itself gives the first run's numbers
    expect(strip(ref.summary!)).toEqual(strip({ ...summary, pretrain_seconds: 0 }));
  });
});

describe('rlhf run digits: batches of steps', () => {
  it('--batch B: one metrics row per iteration of B steps (the last one shorter), labels for every step, accuracy where a multiple of --eval-every falls; --resume exact', async () => {
    const pretrained = join(root, 'full', 'pretrained'); // made by the tiny run above
    const config = resolveDigitsConfig({ seed: 1, steps: 30, batch: 4, evalEvery: 10, gridPerClass: 2, pretrained, policy: { options: 4 } });
    const ref = await runDigits(config, { out: join(root, 'batch-ref'), quiet: true, report: false });
    const s = ref.summary!;
    expect(s.labels).toBe(60);
    expect(ref.metrics).toHaveLength(8);
    expect(ref.metrics.map((r) => r['feedback/labels'])).toEqual([8, 16, 24, 32, 40, 48, 56, 60]);
    expect(ref.metrics.filter((r) => 'classifier/accuracy' in r).map((r) => r.iteration)).toEqual([3, 5, 8]); // steps 9–12, 17–20, 29–30
    expect(ref.metrics.some((r) => 'feedback/class' in r)).toBe(false); // a class per row only when a row is one step
    expect(ref.run.learner.history.thumbs).toHaveLength(30);
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(ref.metrics[0]!['feedback/thumbs_up']).toBeCloseTo(mean(ref.run.learner.history.thumbs.slice(0, 4)), 12);

    const cut = join(root, 'batch-cut');
    expect((await runDigits(config, { out: cut, quiet: true, report: false, stopAfter: 3 })).stopped).toBe(true);
    const resumed = await runDigits(config, { out: cut, quiet: true, report: false, resume: true });
    const strip = (o: object) => Object.fromEntries(Object.entries(o).filter(([k]) => !k.includes('seconds')));
    expect(strip(resumed.summary!)).toEqual(strip(s));
    expect(resumed.metrics).toEqual(ref.metrics);
  });
});
