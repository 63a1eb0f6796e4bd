/**
 * The digits run's configuration: one interface with documented defaults and DIGITS_OPTIONS, each option described
 * once (the policy's, the classifier's and pretraining's options nested as groups), from which come the resolver
 * (a ConfigError naming the flag), the flag reading (`rlhf run digits`) and --help.
 */
import { defineOptions } from '../../core/config/options.js';
import { LATENT_POLICY_OPTIONS, type LatentPolicyConfig } from './policy.js';
import { CORRECTIONS_OPTIONS, type CorrectionsConfig } from './corrections.js';
import { PRETRAIN_OPTIONS, type PretrainConfig } from './pretrain.js';

export interface DigitsConfig {
  /** seed of the session (policy init and sampling, pool order, replay) and of the simulated person. Default 0. */
  seed: number;
  /** feedback steps: each is one 👍/👎 on a generated image and one answer about a classifier prediction. Default 500. */
  steps: number;
  /**
   * steps per iteration of the loop, B: the images and predictions of an iteration are drawn together, judged
   * together (people see them as one batch of 2B queries) and learned from in order. Default 1 (the policy and the
   * classifier change after every step); with people (--judge human|mixed) and no --batch: --labels-per-iteration / 2.
   */
  batch: number;
  /** a directory with `rlhf pretrain digits` output; empty: pretrain at the start of the run (saved in OUT/pretrained). */
  pretrained: string;
  /** evaluate the classifier's held-out accuracy every this many steps (and at the end). Default 25. */
  evalEvery: number;
  /** images per class in the report's before/after grids. Default 8. */
  gridPerClass: number;
  /** the latent policy (docs/digits.md) */
  policy: LatentPolicyConfig;
  /** the classifier's learning from answers */
  corrections: CorrectionsConfig;
  /** pretraining, used when `pretrained` is empty (its seed is this run's seed) */
  pretrain: PretrainConfig;
}

export type DigitsConfigInput = Partial<Omit<DigitsConfig, 'policy' | 'corrections' | 'pretrain'>> & {
  policy?: Partial<LatentPolicyConfig>;
  corrections?: Partial<CorrectionsConfig>;
  pretrain?: Partial<PretrainConfig>;
};

/** Every option of `rlhf run digits`, described once: the resolver, the flags and --help come from it. */
export const DIGITS_OPTIONS = defineOptions<DigitsConfig, DigitsConfigInput>('digits', [
  { key: 'seed', type: 'int', min: -2147483648, max: 2147483647, default: 0, metavar: 'N', section: 'run', help: 'seed of the session and of the simulated person (and of pretraining)' },
  { key: 'steps', type: 'int', min: 1, max: 1_000_000, default: 500, metavar: 'N', mayDifferOnResume: true, help: 'feedback steps; each = one 👍/👎 + one classifier answer' },
  { key: 'batch', type: 'int', min: 1, max: 10_000, default: 1, metavar: 'B', symbol: 'B', help: 'steps per iteration (drawn, judged and learned from together)', defaultHelp: '1; with people: --labels-per-iteration / 2' },
  {
    key: 'pretrained',
    type: 'string',
    default: '',
    defaultHelp: 'pretrain now, into OUT/pretrained',
    metavar: 'DIR',
    help: 'models from `rlhf pretrain digits --out DIR`',
    check: (v) => (v !== '' && v.trim() === '' ? '--pretrained must name a directory' : undefined),
  },
  { key: 'evalEvery', type: 'int', min: 1, max: 1_000_000, default: 25, metavar: 'N', help: "the classifier's held-out accuracy every N steps (and at the end)" },
  { key: 'gridPerClass', type: 'int', min: 1, max: 64, default: 8, metavar: 'N', help: "images per class in the report's before/after grids" },
  { key: 'policy', type: 'group', options: LATENT_POLICY_OPTIONS, help: 'the latent policy (docs/digits.md)' },
  { key: 'corrections', type: 'group', options: CORRECTIONS_OPTIONS, help: "the classifier's learning from answers" },
  // pretraining, used without --pretrained: its seed is this run's (not a flag here)
  { key: 'pretrain', type: 'group', options: PRETRAIN_OPTIONS, defaults: (c) => ({ seed: c.seed }), noFlags: ['seed'], help: 'pretraining, used when --pretrained is not given' },
]);

export const DEFAULT_DIGITS: DigitsConfig = DIGITS_OPTIONS.resolve();

/** Fills defaults and validates every option (unknown keys are errors). */
export function resolveDigitsConfig(input: DigitsConfigInput = {}): DigitsConfig {
  return DIGITS_OPTIONS.resolve(input);
}
