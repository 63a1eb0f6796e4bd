/**
 * The text RLHF run's config: every option in one place with its meaning and default, the CLI flag that sets it,
 * and a resolver that checks each range with a ConfigError naming the flag.
 */
import { ConfigError } from '../../../core/errors.js';
import { resolveTeacher, type TeacherConfig } from '../../../teachers/bpref.js';
import { SENTIMENT_MODES, type SentimentMode } from '../../../teachers/sentiment.js';
import { DPO_LOSS_TYPES, type DPOLossType } from '../../../policy/dpo.js';

export const TEXT_OPTIMIZERS = ['ppo', 'dpo'] as const;
export type TextOptimizer = (typeof TEXT_OPTIMIZERS)[number];
export const TEXT_JUDGES = ['simulated', 'human', 'mixed'] as const;
export type TextJudge = (typeof TEXT_JUDGES)[number];
export const REWARD_BACKBONES = ['linear', 'bag', 'gpt2'] as const;
export type RewardBackboneKind = (typeof REWARD_BACKBONES)[number];
export const REWARD_SOURCES = ['model', 'judge'] as const;
export type RewardSource = (typeof REWARD_SOURCES)[number];

export interface TextRlhfConfig {
  /** ppo: reward model + PPO with a KL leash; dpo: DPO on the preference pairs */
  optimizer: TextOptimizer;
  /** who labels: the simulated sentiment judge, people in the web app (human), or people with the judge filling in (mixed; ./people.ts) */
  judge: TextJudge;
  /** B-Pref teacher of the simulated judge */
  teacher: string;
  teacherConfig: TeacherConfig;
  /** AFINN total ("score") or per word ("comparative") */
  sentimentMode: SentimentMode;
  /** model directory (config.json + model.safetensors + tokenizer); null = the default pretrained model */
  model: string | null;
  /** corpus the prompts come from; null = the model's corpus, else Debian's fortunes */
  corpus: string | null;
  seed: number;

  /** prompt length, in tokens: uniform in [min, max] */
  promptMinTokens: number;
  promptMaxTokens: number;
  /** held-out prompts of the before/after evaluation */
  evalPrompts: number;
  /** tokens generated per continuation */
  responseLength: number;
  /** sampling temperature (1 = the model's distribution, as PPO assumes) */
  temperature: number;

  /** comparisons asked of the judge (pairs of continuations of the same prompt, from the reference policy) */
  labels: number;
  /**
   * reward model backbone: 'linear' = token counts with a linear head (r = Σ_t w[x_t] + b, lexicon-shaped), 'bag' =
   * a tanh layer over token frequencies, 'gpt2' = the GPT-2's transformer with its own LoRA adapters
   */
  rewardBackbone: RewardBackboneKind;
  /** L2 penalty on the reward model's weights */
  rewardL2: number;
  /** what PPO maximizes: the learned reward model ('model'), or the judge's own score ('judge': an upper-bound ablation without learning the reward) */
  rewardSource: RewardSource;
  rewardEpochs: number;
  rewardLr: number;
  rewardBatchSize: number;
  /** fraction of labels held out for the reward model's accuracy */
  rewardValidation: number;

  /** LoRA rank and α of the policy (and of a gpt2 reward backbone) */
  loraR: number;
  loraAlpha: number;

  /**
   * PPO steps (each: generate a batch, score it, ppoEpochs × minibatches of updates). Default 50 with β₀ 0.25: on
   * seeds 0–2 of the bundled model AFINN +1.42 / +1.23 / +1.22 at KL 4.6 / 3.9 / 4.4 nats; 30 steps with β₀ 0.2 gave
   * +1.56 / +2.33 / +1.00 at KL 5.0 / 6.0 / 5.0 — the gain arrives late and in a jump, so 30 steps sat on the edge
   * (docs/algorithms.md, "Measured").
   */
  iterations: number;
  /** rollouts per PPO step */
  batchSize: number;
  miniBatchSize: number;
  ppoEpochs: number;
  /** Adam learning rate of the policy (PPO and DPO) */
  learningRate: number;
  /** β₀ of the KL penalty */
  klCoef: number;
  /** KL target (nats per sequence) of the adaptive controller */
  klTarget: number;
  klHorizon: number;
  /** fixed β instead of the adaptive controller */
  fixedKl: boolean;
  /** standardize reward-model scores by their mean and std on reference samples */
  normalizeScores: boolean;
  /**
   * clip each continuation's (standardized) reward to [−c, c] (TRL score_clip); 0 = no clipping. The judge's AFINN
   * is a sum, so an unclipped learned reward keeps paying for every further positive word ("good good good"); the
   * clip makes one or two enough, and the KL leash then holds
   */
  scoreClip: number;
  /**
   * with the linear reward model (r = Σ_t w[x_t] + b), pay each response token its own w[x_t] as it is generated
   * instead of the whole score at the end (same return, dense credit assignment); default: on exactly when the
   * reward model is linear and PPO maximizes it
   */
  tokenRewards: boolean;

  /** DPO β, loss and passes over the pairs */
  dpoBeta: number;
  dpoLoss: DPOLossType;
  dpoEpochs: number;
  dpoBatchSize: number;
}

export const DEFAULT_TEXT_RLHF: Omit<TextRlhfConfig, 'teacherConfig'> = {
  optimizer: 'ppo',
  judge: 'simulated',
  teacher: 'oracle',
  sentimentMode: 'score',
  model: null,
  corpus: null,
  seed: 0,
  promptMinTokens: 2,
  promptMaxTokens: 8,
  evalPrompts: 64,
  responseLength: 24,
  temperature: 0.7,
  labels: 10000,
  rewardBackbone: 'linear',
  rewardL2: 1e-4,
  rewardSource: 'model',
  rewardEpochs: 8,
  rewardLr: 1e-2,
  rewardBatchSize: 32,
  rewardValidation: 0.2,
  loraR: 8,
  loraAlpha: 16,
  iterations: 50,
  batchSize: 32,
  miniBatchSize: 8,
  ppoEpochs: 4,
  learningRate: 1e-3,
  klCoef: 0.25,
  klTarget: 6,
  klHorizon: 10000,
  fixedKl: false,
  normalizeScores: true,
  scoreClip: 2,
  tokenRewards: false,
  dpoBeta: 0.1,
  dpoLoss: 'sigmoid',
  dpoEpochs: 3,
  dpoBatchSize: 8,
};

/** The CLI flag of each field. */
export const TEXT_RLHF_FLAGS: Record<keyof TextRlhfConfig, string> = {
  optimizer: 'optimizer',
  judge: 'judge',
  teacher: 'teacher',
  teacherConfig: 'teacher',
  sentimentMode: 'sentiment-mode',
  model: 'model',
  corpus: 'corpus',
  seed: 'seed',
  promptMinTokens: 'prompt-min-tokens',
  promptMaxTokens: 'prompt-max-tokens',
  evalPrompts: 'eval-prompts',
  responseLength: 'response-length',
  temperature: 'temperature',
  labels: 'labels',
  rewardBackbone: 'reward-backbone',
  rewardL2: 'reward-l2',
  rewardSource: 'reward-source',
  rewardEpochs: 'reward-epochs',
  rewardLr: 'reward-lr',
  rewardBatchSize: 'reward-batch-size',
  rewardValidation: 'reward-validation',
  loraR: 'lora-r',
  loraAlpha: 'lora-alpha',
  iterations: 'iterations',
  batchSize: 'batch-size',
  miniBatchSize: 'mini-batch-size',
  ppoEpochs: 'ppo-epochs',
  learningRate: 'lr',
  klCoef: 'kl-coef',
  klTarget: 'kl-target',
  klHorizon: 'kl-horizon',
  fixedKl: 'fixed-kl',
  normalizeScores: 'no-normalize-scores',
  scoreClip: 'score-clip',
  tokenRewards: 'token-rewards',
  dpoBeta: 'dpo-beta',
  dpoLoss: 'dpo-loss',
  dpoEpochs: 'dpo-epochs',
  dpoBatchSize: 'dpo-batch-size',
};

export type TextRlhfOverrides = Partial<Omit<TextRlhfConfig, 'teacherConfig'>> & { teacherOverrides?: Partial<TeacherConfig> };

const flag = (k: keyof TextRlhfConfig): string => TEXT_RLHF_FLAGS[k];

function int(k: keyof TextRlhfConfig, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new ConfigError(flag(k), `--${flag(k)} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}], got ${JSON.stringify(v)}`);
}

function num(k: keyof TextRlhfConfig, v: unknown, lo: number, hi: number, loOpen = false): void {
  if (typeof v !== 'number' || !(Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && v <= hi))
    throw new ConfigError(flag(k), `--${flag(k)} must be a number in ${loOpen ? '(' : '['}${lo}, ${hi}], got ${JSON.stringify(v)}`);
}

function oneOf<T extends string>(k: keyof TextRlhfConfig, v: unknown, choices: readonly T[]): void {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) throw new ConfigError(flag(k), `--${flag(k)} must be one of ${choices.join(', ')}; got ${JSON.stringify(v)}`);
}

/** Defaults, then the overrides; every field checked. */
export function resolveTextRlhfConfig(o: TextRlhfOverrides = {}): TextRlhfConfig {
  const { teacherOverrides, ...rest } = o;
  for (const k of Object.keys(rest)) if (!(k in DEFAULT_TEXT_RLHF)) throw new ConfigError(k, `unknown text RLHF option "${k}"`);
  const c = { ...DEFAULT_TEXT_RLHF, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) } as Omit<TextRlhfConfig, 'teacherConfig'>;
  if (rest.tokenRewards === undefined) c.tokenRewards = c.rewardBackbone === 'linear' && c.rewardSource === 'model';
  oneOf('optimizer', c.optimizer, TEXT_OPTIMIZERS);
  oneOf('judge', c.judge, TEXT_JUDGES);
  oneOf('sentimentMode', c.sentimentMode, SENTIMENT_MODES);
  int('seed', c.seed, 0, 2 ** 31 - 1);
  int('promptMinTokens', c.promptMinTokens, 1, 256);
  int('promptMaxTokens', c.promptMaxTokens, c.promptMinTokens, 256);
  int('evalPrompts', c.evalPrompts, 1, 100_000);
  int('responseLength', c.responseLength, 1, 1024);
  num('temperature', c.temperature, 0, 10, true);
  int('labels', c.labels, 2, 10_000_000);
  oneOf('rewardBackbone', c.rewardBackbone, REWARD_BACKBONES);
  num('rewardL2', c.rewardL2, 0, 1e6);
  oneOf('rewardSource', c.rewardSource, REWARD_SOURCES);
  int('rewardEpochs', c.rewardEpochs, 1, 10_000);
  num('rewardLr', c.rewardLr, 0, 1, true);
  int('rewardBatchSize', c.rewardBatchSize, 1, 100_000);
  num('rewardValidation', c.rewardValidation, 0, 0.9);
  int('loraR', c.loraR, 1, 4096);
  num('loraAlpha', c.loraAlpha, 0, 1e6, true);
  int('iterations', c.iterations, 0, 1_000_000);
  int('batchSize', c.batchSize, 1, 100_000);
  int('miniBatchSize', c.miniBatchSize, 1, c.batchSize);
  int('ppoEpochs', c.ppoEpochs, 1, 1000);
  num('learningRate', c.learningRate, 0, 1, true);
  num('klCoef', c.klCoef, 0, 1e6);
  num('klTarget', c.klTarget, 0, 1e6, true);
  num('klHorizon', c.klHorizon, 0, 1e12, true);
  if (c.tokenRewards && c.rewardBackbone !== 'linear')
    throw new ConfigError('token-rewards', `--token-rewards needs a reward model that is a sum over tokens (--reward-backbone linear), got --reward-backbone ${c.rewardBackbone}`);
  if (c.tokenRewards && c.rewardSource !== 'model') throw new ConfigError('token-rewards', '--token-rewards pays the learned reward model per token; it does not apply with --reward-source judge');
  num('scoreClip', c.scoreClip, 0, 1e6);
  num('dpoBeta', c.dpoBeta, 0, 1e6, true);
  oneOf('dpoLoss', c.dpoLoss, DPO_LOSS_TYPES);
  int('dpoEpochs', c.dpoEpochs, 1, 10_000);
  int('dpoBatchSize', c.dpoBatchSize, 1, 100_000);
  const teacherConfig = resolveTeacher(c.teacher, teacherOverrides ?? {}, 'teacher');
  return { ...c, teacherConfig };
}
