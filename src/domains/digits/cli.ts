/**
 * `rlhf run digits` (over the one run command, src/cli/runCommand.ts) and `rlhf pretrain digits`. Every flag is
 * validated before anything is written (a bad value is a ConfigError naming the flag: exit 2); --json prints the
 * summary as the last line of stdout.
 */
import { commandFlags } from '../../cli/args.js';
import { commandSets, runDomainCommand, type DomainCommand } from '../../cli/runCommand.js';
import { defineOptions, renderHelp } from '../../core/config/options.js';
import { RUN_OPTIONS } from '../../core/config/runOptions.js';
import { DIGITS_OPTIONS, type DigitsConfig } from './config.js';
import { initDigitsTensors } from './kernels.js';
import { saveModels } from './models.js';
import { pretrainDigits, PRETRAIN_OPTIONS } from './pretrain.js';
import { digitsTask } from './run.js';
import type { DigitsSummary } from './summary.js';

export const digitsCommandSpec: DomainCommand<DigitsConfig, DigitsSummary> = {
  name: 'digits',
  title: "steer a conditional VAE's images with 👍/👎 and correct a classifier",
  options: [DIGITS_OPTIONS],
  configFromFlags(values, human) {
    const config = DIGITS_OPTIONS.resolveFlags(values);
    // people see 2 queries per step: without --batch, an iteration asks them --labels-per-iteration queries (a simulated
    // judge recording into --db keeps the simulated run's B)
    const people = human !== undefined && human.config.mode !== 'simulated';
    return people && values.batch === undefined ? { ...config, batch: Math.max(1, Math.floor(human.config.labelsPerIteration / 2)) } : config;
  },
  task: (run) => digitsTask({ backend: run.backend, quiet: run.quiet }),
  headline: (s, _config, dir) =>
    `digits (${s.judge}): thumbs-up ${s.thumbs_up_rate_first100.toFixed(2)} → ${s.thumbs_up_rate_last100.toFixed(2)} (first/last 100), ` +
    `classifier ${s.classifier_accuracy_before.toFixed(4)} → ${s.classifier_accuracy_after.toFixed(4)}, judge ${s.judge_accuracy.toFixed(4)}, ` +
    `${s.labels} judgements, ${s.seconds.toFixed(1)} s → ${dir}`,
};

/** The option sets whose flags `rlhf run digits` takes. */
export const DIGITS_COMMAND_SETS = commandSets(digitsCommandSpec);

export function digitsCommand(argv: string[]): Promise<number> {
  return runDomainCommand(digitsCommandSpec, argv);
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
