/**
 * `rlhf run digits` and `rlhf pretrain digits`. Every flag is validated before anything is written (a bad value is a
 * ConfigError naming the flag: exit 2); the progress bar goes to stderr (off with --quiet); --json prints the summary
 * as the last line of stdout.
 *
 * Test hook: RLHF_STOP_AFTER=k returns (exit 75) right after the first checkpoint at or after step k, as a kill would.
 */
import { commandFlags, COMMON_RUN_FLAGS, runTargetFromFlags } from '../../cli/args.js';
import { ConfigError } from '../../core/errors.js';
import { BACKEND_NAMES, type BackendName } from '../../core/tensor.js';
import { humanJudgeFromFlags, HUMAN_JUDGE_FLAGS, HUMAN_JUDGE_HELP } from '../../loop/people/flags.js';
import { runDigitsWithPeople } from './people.js';
import { DIGITS_FLAGS, DIGITS_HELP, PRETRAIN_FLAGS, PRETRAIN_HELP, digitsConfigFromFlags, pretrainFromFlags } from './config.js';
import { initDigitsTensors } from './kernels.js';
import { saveModels } from './models.js';
import { pretrainDigits, resolvePretrainConfig } from './pretrain.js';
import { runDigits } from './run.js';

export async function digitsCommand(argv: string[]): Promise<number> {
  // 1. parse and validate everything before touching the disk
  const f = commandFlags(argv, { ...COMMON_RUN_FLAGS, ...DIGITS_FLAGS, ...HUMAN_JUDGE_FLAGS }, DIGITS_HELP + HUMAN_JUDGE_HELP);
  if (!f) return 0;
  const config = digitsConfigFromFlags(f);
  const human = humanJudgeFromFlags(f); // --judge human|mixed: people judge on the digits pages of the web app
  const backend = f.choice('backend', BACKEND_NAMES, 'auto') as BackendName;
  const { out, resume, stopAfter } = runTargetFromFlags(f, 'digits');

  // 2. run
  const quiet = f.bool('quiet');
  if (human && config.judge !== 'simulated') {
    // people: the loop applies each judgement as it arrives; Ctrl-C checkpoints, writes the summary and stops
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once('SIGINT', onSigint);
    try {
      const r = await runDigitsWithPeople(config, { out, human, resume, quiet, report: !f.bool('no-report'), backend, signal: stop.signal });
      if (f.bool('json')) console.log(JSON.stringify(r.summary));
      else if (!quiet) console.log(`digits (${config.judge}): ${r.summary.labels} judgements, thumbs-up rate ${r.summary.thumbs_up_rate.toFixed(2)}, classifier ${r.summary.classifier_accuracy_before.toFixed(4)} → ${r.summary.classifier_accuracy_after.toFixed(4)} → ${r.dir}`);
    } finally {
      process.off('SIGINT', onSigint);
    }
    return 0;
  }
  const res = await runDigits(config, { out, resume, quiet, report: !f.bool('no-report'), backend, ...(stopAfter !== undefined ? { stopAfter } : {}) });
  if (!res.summary) return 75;
  const s = res.summary;
  if (f.bool('json')) {
    console.log(JSON.stringify(s));
  } else if (!quiet) {
    console.log(
      `digits: thumbs-up ${s.thumbs_up_rate_first100.toFixed(2)} → ${s.thumbs_up_rate_last100.toFixed(2)} (first/last 100), ` +
        `classifier ${s.classifier_accuracy_before.toFixed(4)} → ${s.classifier_accuracy_after.toFixed(4)}, judge ${s.judge_accuracy.toFixed(4)}, ` +
        `${s.labels} judgements, ${s.seconds.toFixed(1)} s → ${res.dir}`,
    );
  }
  return 0;
}

export async function pretrainDigitsCommand(argv: string[]): Promise<number> {
  const f = commandFlags(argv, PRETRAIN_FLAGS, PRETRAIN_HELP);
  if (!f) return 0;
  const config = resolvePretrainConfig({ ...pretrainFromFlags(f), seed: f.int('seed', 0, { min: -2147483648, max: 2147483647 }) });
  const backend = f.choice('backend', BACKEND_NAMES, 'auto') as BackendName;
  const out = f.string('out') ?? 'runs/digits-pretrained';
  if (out.trim() === '') throw new ConfigError('out', '--out must name a directory');
  const quiet = f.bool('quiet');
  await initDigitsTensors(backend);
  const { models } = pretrainDigits(config, { quiet });
  const path = saveModels(out, models);
  const summary = { path, ...models.meta };
  if (f.bool('json')) console.log(JSON.stringify(summary));
  else if (!quiet)
    console.log(
      `pretrained digits models → ${path}: classifier ${models.meta.classifierAccuracy.toFixed(4)}, judge ${models.meta.judgeAccuracy.toFixed(4)} held-out accuracy; ` +
        `VAE loss ${models.meta.vaeLosses.at(-1)?.toFixed(1) ?? 'n/a'}`,
    );
  return 0;
}
