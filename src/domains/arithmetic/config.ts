/**
 * `rlhf run arithmetic` config: every option described once (flag, range, default, help, paper symbol), from which
 * come the resolver (a ConfigError naming the flag), the flag reading and --help. The optimizers' own configs
 * (src/policy: GRPOConfig, RLOOConfig, PPOConfig) are built from these fields in trainer.ts; their defaults here are
 * tuned for a 100k-parameter model trained for minutes (TRL's are for billions of parameters trained for hours: a
 * learning rate of 1e-6 would not move this model), and docs/arithmetic.md says which differ from TRL's and why.
 */
import { defineOptions, type Option } from '../../core/config/options.js';
import { GRPO_LOSS_TYPES, SCALE_REWARDS, type GRPOLossType, type ScaleRewards } from '../../policy/grpo.js';

export const ARITHMETIC_OPTIMIZERS = ['grpo', 'rloo', 'ppo'] as const;
export type ArithmeticOptimizer = (typeof ARITHMETIC_OPTIMIZERS)[number];

/** The model `rlhf run arithmetic` starts from when --model is not given (`rlhf pretrain arithmetic` writes it). */
export const DEFAULT_ARITHMETIC_MODEL_DIR = 'models/arithmetic-tiny';

export interface ArithmeticConfig {
  /** grpo, rloo or ppo */
  optimizer: ArithmeticOptimizer;
  /** the pretrained model's directory; null = models/arithmetic-tiny */
  model: string | null;
  /** reward functions, `SPEC[:WEIGHT]` each (src/teachers/rewardFunctions.ts) */
  rewardFns: string[];
  seed: number;
  /** optimizer steps; each samples a generation batch of prompts × generations completions */
  iterations: number;
  /** P, distinct training problems per step */
  prompts: number;
  /** G (GRPO) / k (RLOO), completions per problem; PPO samples the same batch */
  generations: number;
  /** completions per optimizer step (TRL per_device_train_batch_size) */
  miniBatchSize: number;
  /** μ (GRPO, RLOO) / PPO epochs: passes over each generation batch */
  passes: number;
  /** α, Adam step size */
  learningRate: number;
  /** β: GRPO's k3 KL in the loss, RLOO's KL in the reward, PPO's per-token KL penalty (fixed) */
  beta: number;
  /** ε (ε_low), clip of the ratio */
  epsilon: number;
  /** ε_high, upper clip (GRPO, RLOO); null = ε */
  epsilonHigh: number | null;
  /** GRPO's loss normalisation */
  lossType: GRPOLossType;
  /** GRPO's advantage scaling */
  scaleRewards: ScaleRewards;
  /** T, the sampling temperature (also in the loss, as TRL) */
  temperature: number;
  /** gradient clipping by global norm; 0 = off */
  maxGradNorm: number;
  /** PPO: c_v, weight of the value loss */
  vfCoef: number;
  /** held-out problems of the greedy exact-match accuracy (a prefix of the model's held-out pool) */
  evalProblems: number;
  /** held-out problems of the KL estimate */
  klProblems: number;
  /** evaluate every N steps (and after the last) */
  evalEvery: number;
  /** LoRA rank on every projection; 0 = full fine-tune (the reference is then a frozen copy) */
  loraR: number;
}

const RUN = 'run';
const OPT = 'optimizer';
const EVAL = 'evaluation';

const OPTIONS: Option<ArithmeticConfig>[] = [
  { key: 'optimizer', type: 'enum', choices: ARITHMETIC_OPTIMIZERS, default: 'grpo', metavar: 'NAME', help: 'grpo: group-relative advantages; rloo: leave-one-out baseline; ppo: value head + GAE' },
  { key: 'model', type: 'string', nullable: true, nonEmpty: true, default: null, defaultHelp: DEFAULT_ARITHMETIC_MODEL_DIR, metavar: 'DIR', help: 'the pretrained model (rlhf pretrain arithmetic writes one)' },
  {
    key: 'rewardFns',
    flag: 'reward-fn',
    type: 'strings',
    default: ['exact'],
    metavar: 'SPEC[:W]',
    help: 'reward function, repeatable: exact, length=N, regex=P, keyword=W,…, afinn or ./module.js, each with an optional :weight',
    check: (v) => (v.length === 0 ? '--reward-fn: give at least one reward function' : undefined),
  },
  { key: 'seed', type: 'int', min: 0, max: 2 ** 31 - 1, default: 0, metavar: 'N', section: RUN, help: 'seed of the problems, the sampling and the minibatches' },
  { key: 'iterations', type: 'int', min: 1, max: 1_000_000, default: 300, metavar: 'N', mayDifferOnResume: true, help: 'optimizer steps, each on a fresh generation batch' },
  { key: 'prompts', type: 'int', min: 1, max: 10_000, default: 16, metavar: 'P', help: 'problems per step' },
  { key: 'generations', type: 'int', min: 2, max: 256, default: 8, metavar: 'G', symbol: 'G', help: 'completions per problem (GRPO G, RLOO k)' },
  {
    key: 'miniBatchSize',
    type: 'int',
    min: 1,
    max: (c) => c.prompts * c.generations,
    default: 32,
    metavar: 'N',
    section: OPT,
    help: 'completions per optimizer step (≤ prompts × generations)',
  },
  { key: 'passes', type: 'int', min: 1, max: 100, default: 1, metavar: 'N', symbol: 'μ', section: OPT, help: 'passes over each generation batch (GRPO/RLOO num_iterations, PPO epochs)' },
  { key: 'learningRate', flag: 'lr', type: 'number', min: 0, exclusiveMin: true, max: 1, default: 1e-4, metavar: 'LR', symbol: 'α', section: OPT, help: 'Adam step size' },
  { key: 'beta', type: 'number', min: 0, max: 100, default: 0.04, metavar: 'B', symbol: 'β', section: OPT, help: 'KL coefficient: GRPO k3 in the loss, RLOO in the reward, PPO per token (fixed)' },
  { key: 'epsilon', type: 'number', min: 0, exclusiveMin: true, max: 1, exclusiveMax: true, default: 0.2, metavar: 'E', symbol: 'ε', section: OPT, help: 'ratio clip ε (ε_low)' },
  { key: 'epsilonHigh', type: 'number', nullable: true, min: 0, exclusiveMin: true, max: 10, default: null, defaultHelp: 'ε', metavar: 'E', symbol: 'ε_high', section: OPT, help: 'upper ratio clip (GRPO, RLOO; DAPO uses 0.28)' },
  { key: 'lossType', type: 'enum', choices: GRPO_LOSS_TYPES, default: 'dapo', metavar: 'L', section: OPT, help: "GRPO loss normalisation (TRL's default: dapo)" },
  { key: 'scaleRewards', type: 'enum', choices: SCALE_REWARDS, default: 'group', metavar: 'S', section: OPT, help: 'GRPO advantage scaling: by the group std, the batch std, or none (Dr. GRPO)' },
  { key: 'temperature', type: 'number', min: 0, exclusiveMin: true, max: 10, default: 1, metavar: 'T', symbol: 'T', section: OPT, help: 'sampling temperature (the loss uses the same T)' },
  { key: 'maxGradNorm', type: 'number', min: 0, max: 1e6, default: 1, metavar: 'C', section: OPT, help: 'clip gradients to this global norm; 0 = off' },
  { key: 'vfCoef', type: 'number', min: 0, max: 100, default: 0.1, metavar: 'C', symbol: 'c_v', section: OPT, help: 'PPO: weight of the value loss' },
  { key: 'loraR', type: 'int', min: 0, max: 1024, default: 0, metavar: 'R', section: OPT, help: 'LoRA rank on every projection (α = 2R); 0 = full fine-tune' },
  { key: 'evalProblems', type: 'int', min: 1, max: 100_000, default: 500, metavar: 'N', section: EVAL, help: 'held-out problems of the greedy exact-match accuracy' },
  { key: 'klProblems', type: 'int', min: 1, max: (c) => c.evalProblems, default: 200, metavar: 'N', section: EVAL, help: 'held-out problems of the KL(π‖π_ref) estimate (≤ --eval-problems)' },
  { key: 'evalEvery', type: 'int', min: 1, max: 1_000_000, default: 25, metavar: 'N', section: EVAL, help: 'evaluate every N steps (and after the last)' },
];

/** Every arithmetic option, described once. */
export const ARITHMETIC_OPTIONS = defineOptions<ArithmeticConfig>('arithmetic', OPTIONS);

export const DEFAULT_ARITHMETIC: ArithmeticConfig = ARITHMETIC_OPTIONS.resolve();

/** Defaults, then the overrides; every field checked (ConfigError names the flag). */
export function resolveArithmeticConfig(o: Partial<ArithmeticConfig> = {}): ArithmeticConfig {
  return ARITHMETIC_OPTIONS.resolve(o);
}

/** config.json (no Infinity here: the config is JSON as it is). */
export function arithmeticConfigJson(c: ArithmeticConfig): Record<string, unknown> {
  return { ...c, rewardFns: [...c.rewardFns] };
}
