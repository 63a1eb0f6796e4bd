/**
 * `rlhf run digits` and `rlhf pretrain digits`. Every flag is validated before anything is written (a bad value is a
 * ConfigError naming the flag: exit 2); the progress bar goes to stderr (off with --quiet); --json prints the summary
 * as the last line of stdout.
 *
 * Test hook: RLHF_STOP_AFTER=k returns (exit 75) right after the first checkpoint at or after step k, as a kill would.
 */
import { commandFlags, runHelp, runTargetFromFlags } from '../../cli/args.js';
import { defineOptions, renderHelp } from '../../core/config/options.js';
import { RUN_OPTIONS } from '../../core/config/runOptions.js';
import { humanJudgeFromFlags, HUMAN_JUDGE_FLAG_SETS } from '../../loop/people/flags.js';
import { runDigitsWithPeople } from './people.js';
import { DIGITS_OPTIONS } from './config.js';
import { initDigitsTensors } from './kernels.js';
import { saveModels } from './models.js';
import { pretrainDigits, PRETRAIN_OPTIONS } from './pretrain.js';
import { runDigits } from './run.js';

/** The option sets whose flags `rlhf run digits` takes. */
export const DIGITS_COMMAND_SETS = [DIGITS_OPTIONS, RUN_OPTIONS, ...HUMAN_JUDGE_FLAG_SETS] as const;

/** `rlhf run digits --help`. */
export function digitsHelp(): string {
  return runHelp("rlhf run digits — steer a conditional VAE's images with 👍/👎 and correct a classifier", [DIGITS_OPTIONS, ...HUMAN_JUDGE_FLAG_SETS], 'rlhf run digits [options]');
}

/** Where `rlhf pretrain digits` writes. */
const PRETRAIN_OUT = defineOptions<{ out: string }>('pretrain digits', [
  { key: 'out', type: 'string', nonEmpty: true, default: 'runs/digits-pretrained', metavar: 'DIR', help: 'where to write digits-models.safetensors' },
]);
/** The option sets whose flags `rlhf pretrain digits` takes. */
export const PRETRAIN_DIGITS_COMMAND_SETS = [PRETRAIN_OUT, PRETRAIN_OPTIONS, RUN_OPTIONS.pick(['backend', 'quiet', 'json'])] as const;

/** `rlhf pretrain digits --help`. */
export function pretrainDigitsHelp(): string {
  return renderHelp('rlhf pretrain digits — train the conditional VAE, the classifier\'s warm start and the simulated judge', PRETRAIN_DIGITS_COMMAND_SETS, 'rlhf pretrain digits --out DIR [options]');
}

export async function digitsCommand(argv: string[]): Promise<number> {
  // 1. parse and validate everything before touching the disk
  const values = commandFlags(argv, DIGITS_COMMAND_SETS, digitsHelp);
  if (!values) return 0;
  const config = DIGITS_OPTIONS.resolveFlags(values);
  const human = humanJudgeFromFlags(values); // --judge human|mixed: people judge on the digits pages of the web app
  const run = RUN_OPTIONS.resolveFlags(values);
  const backend = run.backend;
  const { out, resume, stopAfter } = runTargetFromFlags(run, 'digits');

  // 2. run
  const quiet = run.quiet;
  if (human && config.judge !== 'simulated') {
    // people: the loop applies each judgement as it arrives; Ctrl-C checkpoints, writes the summary and stops
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once('SIGINT', onSigint);
    try {
      const r = await runDigitsWithPeople(config, { out, human, resume, quiet, report: run.report, backend, signal: stop.signal });
      if (run.json) console.log(JSON.stringify(r.summary));
      else if (!quiet) console.log(`digits (${config.judge}): ${r.summary.labels} judgements, thumbs-up rate ${r.summary.thumbs_up_rate.toFixed(2)}, classifier ${r.summary.classifier_accuracy_before.toFixed(4)} → ${r.summary.classifier_accuracy_after.toFixed(4)} → ${r.dir}`);
    } finally {
      process.off('SIGINT', onSigint);
    }
    return 0;
  }
  const res = await runDigits(config, { out, resume, quiet, report: run.report, backend, ...(stopAfter !== undefined ? { stopAfter } : {}) });
  if (!res.summary) return 75;
  const s = res.summary;
  if (run.json) {
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
  const values = commandFlags(argv, PRETRAIN_DIGITS_COMMAND_SETS, pretrainDigitsHelp);
  if (!values) return 0;
  const config = PRETRAIN_OPTIONS.resolveFlags(values);
  const { out } = PRETRAIN_OUT.resolveFlags(values);
  const { backend, quiet, json } = PRETRAIN_DIGITS_COMMAND_SETS[2].resolveFlags(values);
  await initDigitsTensors(backend);
  const { models } = pretrainDigits(config, { quiet });
  const path = saveModels(out, models);
  const summary = { path, ...models.meta };
  if (json) console.log(JSON.stringify(summary));
  else if (!quiet)
    console.log(
      `pretrained digits models → ${path}: classifier ${models.meta.classifierAccuracy.toFixed(4)}, judge ${models.meta.judgeAccuracy.toFixed(4)} held-out accuracy; ` +
        `VAE loss ${models.meta.vaeLosses.at(-1)?.toFixed(1) ?? 'n/a'}`,
    );
  return 0;
}
