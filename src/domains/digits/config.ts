/**
 * The digits run's configuration: one interface with documented defaults, a resolver that checks every range and
 * names the option, and the mapping from command-line flags (`rlhf run digits`, `rlhf pretrain digits`).
 */
import { ConfigError } from '../../core/errors.js';
import type { FlagReader, FlagSpec } from '../../cli/args.js';
import { DEFAULT_LATENT_POLICY, type LatentPolicyConfig, resolveLatentPolicyConfig } from './policy.js';
import { DEFAULT_CORRECTIONS, type CorrectionsConfig, resolveCorrectionsConfig } from './corrections.js';
import { DEFAULT_PRETRAIN, type PretrainConfig, resolvePretrainConfig } from './pretrain.js';

export const DIGITS_JUDGES = ['simulated', 'human', 'mixed'] as const;
export type DigitsJudge = (typeof DIGITS_JUDGES)[number];

export interface DigitsConfig {
  /** seed of the session (policy init and sampling, pool order, replay) and of the simulated person. Default 0. */
  seed: number;
  /** who judges: "simulated" (the judge classifier and a truthful person, run.ts), "human" or "mixed" (people on the web app's digits pages, people.ts). Default "simulated". */
  judge: DigitsJudge;
  /** feedback steps: each is one 👍/👎 on a generated image and one answer about a classifier prediction. Default 500. */
  steps: number;
  /** a directory with `rlhf pretrain digits` output; empty: pretrain at the start of the run (saved in OUT/pretrained). */
  pretrained: string;
  /** evaluate the classifier's held-out accuracy every this many steps (and at the end). Default 25. */
  evalEvery: number;
  /** save a checkpoint every this many steps (and at the end). Default 50. */
  checkpointEvery: number;
  /** images per class in the report's before/after grids. Default 8. */
  gridPerClass: number;
  /** the latent policy (docs/digits.md) */
  policy: LatentPolicyConfig;
  /** the classifier's learning from answers */
  corrections: CorrectionsConfig;
  /** pretraining, used when `pretrained` is empty (its seed is this run's seed) */
  pretrain: PretrainConfig;
}

export const DEFAULT_DIGITS: DigitsConfig = {
  seed: 0,
  judge: 'simulated',
  steps: 500,
  pretrained: '',
  evalEvery: 25,
  checkpointEvery: 50,
  gridPerClass: 8,
  policy: DEFAULT_LATENT_POLICY,
  corrections: DEFAULT_CORRECTIONS,
  pretrain: DEFAULT_PRETRAIN,
};

export type DigitsConfigInput = Partial<Omit<DigitsConfig, 'policy' | 'corrections' | 'pretrain'>> & {
  policy?: Partial<LatentPolicyConfig>;
  corrections?: Partial<CorrectionsConfig>;
  pretrain?: Partial<PretrainConfig>;
};

function int(name: string, v: number, lo: number, hi: number): void {
  if (!(Number.isInteger(v) && v >= lo && v <= hi)) throw new ConfigError(name, `${name} must be an integer in ${lo}..${hi}, got ${v}`);
}

/** Fills defaults and validates every option (unknown keys are errors). */
export function resolveDigitsConfig(input: DigitsConfigInput = {}): DigitsConfig {
  for (const k of Object.keys(input)) if (!(k in DEFAULT_DIGITS)) throw new ConfigError(k, `unknown digits option "${k}"`);
  const c: DigitsConfig = {
    ...DEFAULT_DIGITS,
    ...input,
    policy: resolveLatentPolicyConfig(input.policy ?? {}),
    corrections: resolveCorrectionsConfig(input.corrections ?? {}),
    pretrain: resolvePretrainConfig({ ...(input.pretrain ?? {}), seed: input.pretrain?.seed ?? input.seed ?? DEFAULT_DIGITS.seed }),
  };
  int('seed', c.seed, -2147483648, 2147483647);
  if (!(DIGITS_JUDGES as readonly string[]).includes(c.judge)) throw new ConfigError('judge', `judge must be one of ${DIGITS_JUDGES.join(', ')}, got "${String(c.judge)}"`);
  int('steps', c.steps, 1, 1_000_000);
  int('evalEvery', c.evalEvery, 1, 1_000_000);
  int('checkpointEvery', c.checkpointEvery, 1, 1_000_000);
  int('gridPerClass', c.gridPerClass, 1, 64);
  if (typeof c.pretrained !== 'string') throw new ConfigError('pretrained', 'pretrained must be a directory path or empty');
  return c;
}

/** Flags of `rlhf run digits` beyond the common ones (--out --seed --quiet --json --resume --backend --help). */
export const DIGITS_FLAGS = {
  judge: { type: 'string' },
  steps: { type: 'string' },
  data: { type: 'string' },
  pretrained: { type: 'string' },
  'eval-every': { type: 'string' },
  'checkpoint-every': { type: 'string' },
  'grid-per-class': { type: 'string' },
  options: { type: 'string' },
  sigma: { type: 'string' },
  'lr-logits': { type: 'string' },
  'lr-codes': { type: 'string' },
  'baseline-decay': { type: 'string' },
  'policy-init': { type: 'string' },
  'classifier-lr': { type: 'string' },
  'replay-feedback': { type: 'string' },
  'replay-warm': { type: 'string' },
  'feedback-weight': { type: 'string' },
  'train-size': { type: 'string' },
  'val-size': { type: 'string' },
  'vae-epochs': { type: 'string' },
  'judge-epochs': { type: 'string' },
  'no-report': { type: 'boolean' },
} as const satisfies FlagSpec;

/** Flags of `rlhf pretrain digits`. */
export const PRETRAIN_FLAGS = {
  out: { type: 'string' },
  seed: { type: 'string' },
  quiet: { type: 'boolean' },
  json: { type: 'boolean' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  data: { type: 'string' },
  'train-size': { type: 'string' },
  'val-size': { type: 'string' },
  'vae-epochs': { type: 'string' },
  'vae-batch': { type: 'string' },
  'vae-lr': { type: 'string' },
  'classifier-steps': { type: 'string' },
  'judge-epochs': { type: 'string' },
} as const satisfies FlagSpec;

export const DIGITS_HELP = `rlhf run digits — steer a conditional VAE's images with 👍/👎 and correct a classifier

usage: rlhf run digits [options]

  --judge simulated|human|mixed  who judges (default simulated: the judge classifier and a truthful person)
  --steps N              feedback steps (default ${DEFAULT_DIGITS.steps}); each = one 👍/👎 + one classifier answer
  --data DIR             MNIST-format IDX directory (default ${DEFAULT_PRETRAIN.data})
  --pretrained DIR       models from \`rlhf pretrain digits --out DIR\` (default: pretrain now, into OUT/pretrained)
  --seed N               seed (default 0)
  --out DIR              run directory (default runs/digits-<time>)
  --resume               continue the run in --out from its last checkpoint
  --json                 print the summary as the last line of stdout
  --quiet                no progress bar
  --backend auto|wasm|cpu|tensorflow
  --eval-every N         held-out accuracy every N steps (default ${DEFAULT_DIGITS.evalEvery})
  --checkpoint-every N   checkpoint every N steps (default ${DEFAULT_DIGITS.checkpointEvery})
  --grid-per-class N     images per class in the report grids (default ${DEFAULT_DIGITS.gridPerClass})
  --no-report            skip report.html and figures
 latent policy:
  --options K            codes per class (default ${DEFAULT_LATENT_POLICY.options})
  --sigma S              exploration noise around a code (default ${DEFAULT_LATENT_POLICY.sigma})
  --lr-logits A          step size of the option logits (default ${DEFAULT_LATENT_POLICY.lrLogits})
  --lr-codes A           step size of the codes, 0 = logits only as in the seed (default ${DEFAULT_LATENT_POLICY.lrCodes})
  --baseline-decay B     moving-average baseline decay (default ${DEFAULT_LATENT_POLICY.baselineDecay})
  --policy-init encoder|random   initial codes (default ${DEFAULT_LATENT_POLICY.init})
 classifier answers:
  --classifier-lr LR     Adam learning rate (default ${DEFAULT_CORRECTIONS.lr})
  --replay-feedback N    earlier answers replayed per update (default ${DEFAULT_CORRECTIONS.replayFeedback})
  --replay-warm N        warm-start examples rehearsed per update (default ${DEFAULT_CORRECTIONS.replayWarm})
  --feedback-weight W    weight of answers vs rehearsal, 0 = rehearsal only (default ${DEFAULT_CORRECTIONS.feedbackWeight})
 pretraining (when --pretrained is not given):
  --train-size N --val-size N --vae-epochs N --judge-epochs N`;

export const PRETRAIN_HELP = `rlhf pretrain digits — train the conditional VAE, the classifier's warm start and the simulated judge

usage: rlhf pretrain digits --out DIR [options]

  --out DIR              where to write digits-models.safetensors (default runs/digits-pretrained)
  --data DIR             MNIST-format IDX directory (default ${DEFAULT_PRETRAIN.data})
  --seed N               seed of the splits and weights (default 0)
  --train-size N         training subset (default ${DEFAULT_PRETRAIN.trainSize})
  --val-size N           held-out validation images from t10k (default ${DEFAULT_PRETRAIN.valSize})
  --vae-epochs N         (default ${DEFAULT_PRETRAIN.vaeEpochs})   --vae-batch N (default ${DEFAULT_PRETRAIN.vaeBatch})   --vae-lr LR (default ${DEFAULT_PRETRAIN.vaeLr})
  --classifier-steps N   warm-start steps (default ${DEFAULT_PRETRAIN.classifierSteps})
  --judge-epochs N       judge epochs on the full training set (default ${DEFAULT_PRETRAIN.judgeEpochs})
  --json --quiet --backend auto|wasm|cpu|tensorflow`;

/** Pretraining options from flags (shared by both commands). */
export function pretrainFromFlags(f: FlagReader): Partial<PretrainConfig> {
  const p: Partial<PretrainConfig> = {};
  if (f.has('data')) p.data = f.string('data')!;
  if (f.has('train-size')) p.trainSize = f.int('train-size', 0, { min: 1, max: 60000 });
  if (f.has('val-size')) p.valSize = f.int('val-size', 0, { min: 1, max: 10000 });
  if (f.has('vae-epochs')) p.vaeEpochs = f.int('vae-epochs', 0, { min: 0, max: 1000 });
  if (f.has('vae-batch')) p.vaeBatch = f.int('vae-batch', 0, { min: 1, max: 60000 });
  if (f.has('vae-lr')) p.vaeLr = f.number('vae-lr', 0, { min: 0, max: 1, exclusiveMin: true });
  if (f.has('classifier-steps')) p.classifierSteps = f.int('classifier-steps', 0, { min: 0, max: 1_000_000 });
  if (f.has('judge-epochs')) p.judgeEpochs = f.int('judge-epochs', 0, { min: 0, max: 1000 });
  if (p.data !== undefined && p.data.trim() === '') throw new ConfigError('data', '--data must name a directory');
  return p;
}

/** The run's config from flags; every value is checked and a bad one names its flag. */
export function digitsConfigFromFlags(f: FlagReader): DigitsConfig {
  const input: DigitsConfigInput = {
    seed: f.int('seed', DEFAULT_DIGITS.seed, { min: -2147483648, max: 2147483647 }),
    judge: f.choice('judge', DIGITS_JUDGES, 'simulated'),
    steps: f.int('steps', DEFAULT_DIGITS.steps, { min: 1, max: 1_000_000 }),
    pretrained: f.string('pretrained', ''),
    evalEvery: f.int('eval-every', DEFAULT_DIGITS.evalEvery, { min: 1, max: 1_000_000 }),
    checkpointEvery: f.int('checkpoint-every', DEFAULT_DIGITS.checkpointEvery, { min: 1, max: 1_000_000 }),
    gridPerClass: f.int('grid-per-class', DEFAULT_DIGITS.gridPerClass, { min: 1, max: 64 }),
    policy: {
      options: f.int('options', DEFAULT_LATENT_POLICY.options, { min: 1, max: 1024 }),
      sigma: f.number('sigma', DEFAULT_LATENT_POLICY.sigma, { min: 0, max: 10 }),
      lrLogits: f.number('lr-logits', DEFAULT_LATENT_POLICY.lrLogits, { min: 0, max: 100 }),
      lrCodes: f.number('lr-codes', DEFAULT_LATENT_POLICY.lrCodes, { min: 0, max: 1 }),
      baselineDecay: f.number('baseline-decay', DEFAULT_LATENT_POLICY.baselineDecay, { min: 0, max: 0.999999 }),
      init: f.choice('policy-init', ['encoder', 'random'] as const, DEFAULT_LATENT_POLICY.init),
    },
    corrections: {
      lr: f.number('classifier-lr', DEFAULT_CORRECTIONS.lr, { min: 0, max: 1, exclusiveMin: true }),
      replayFeedback: f.int('replay-feedback', DEFAULT_CORRECTIONS.replayFeedback, { min: 0, max: 4096 }),
      replayWarm: f.int('replay-warm', DEFAULT_CORRECTIONS.replayWarm, { min: 0, max: 4096 }),
      feedbackWeight: f.number('feedback-weight', DEFAULT_CORRECTIONS.feedbackWeight, { min: 0, max: 100 }),
    },
    pretrain: pretrainFromFlags(f),
  };
  if (input.pretrained !== '' && input.pretrained!.trim() === '') throw new ConfigError('pretrained', '--pretrained must name a directory');
  return resolveDigitsConfig(input);
}
