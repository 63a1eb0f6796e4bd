/**
 * `rlhf run text [options]`: RLHF on a GPT-2 (PPO against a learned reward model, or DPO) with a simulated sentiment
 * judge or people in the web app (--judge human|mixed), over the one run command (src/cli/runCommand.ts) and the run
 * driver (./task.ts). A missing model is a bad --model: exit 2 before anything is written.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { commandSets, runDomainCommand, type DomainCommand } from '../../../cli/runCommand.js';
import { parseArgv } from '../../../cli/args.js';
import { ConfigError } from '../../../core/errors.js';
import { humanJudgeFromFlags } from '../../../loop/people/flags.js';
import type { TextRlhfSummary } from '../summary.js';
import { TEXT_RLHF_OPTIONS, type TextRlhfConfig } from './config.js';
import { DEFAULT_TEXT_MODEL, textTask } from './task.js';

const pct = (v: number | null): string => (v === null ? 'n/a' : `${(100 * v).toFixed(1)}%`);

export const textCommandSpec: DomainCommand<TextRlhfConfig, TextRlhfSummary> = {
  name: 'text',
  title: 'tune a GPT-2 toward more positive continuations from comparisons by a simulated sentiment judge (or people)',
  options: [TEXT_RLHF_OPTIONS],
  configFromFlags(values, human) {
    const config = TEXT_RLHF_OPTIONS.resolveFlags(values);
    const dir = config.model ?? DEFAULT_TEXT_MODEL;
    if (!existsSync(join(dir, 'config.json')))
      throw new ConfigError('model', `--model: no model in ${dir}: run \`rlhf pretrain text\` first, or pass --model DIR (config.json + model.safetensors)`);
    // with people, a round of feedback is the pairs they are shown at a time (--labels-per-iteration)
    return human ? { ...config, feedbackBatch: human.config.labelsPerIteration } : config;
  },
  task: (run) => textTask({ backend: run.backend }),
  headline: (s, _config, dir) =>
    `text ${s.optimizer}: AFINN ${s.sentiment_before.toFixed(2)} → ${s.sentiment_after.toFixed(2)} (${s.sentiment_gain >= 0 ? '+' : ''}${s.sentiment_gain.toFixed(2)}), ` +
    `KL ${s.kl.toFixed(2)} nats, win rate ${pct(s.win_rate)}, reward model accuracy ${pct(s.reward_model_accuracy)}, ${s.labels} labels, ${s.seconds.toFixed(0)} s → ${dir}`,
};

/** The option sets whose flags `rlhf run text` takes. */
export const TEXT_COMMAND_SETS = commandSets(textCommandSpec);

/** The config a command line gives, every flag of `rlhf run text` checked as the command does: for tests and embedders. */
export function textConfigFromArgv(argv: readonly string[]): TextRlhfConfig {
  const { values } = parseArgv(argv, TEXT_COMMAND_SETS);
  return textCommandSpec.configFromFlags(values, humanJudgeFromFlags(values));
}

export function textCommand(argv: string[]): Promise<number> {
  return runDomainCommand(textCommandSpec, argv);
}
