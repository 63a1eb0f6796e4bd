/**
 * The text RLHF run's config: every option in one place with its meaning and default, and TEXT_RLHF_OPTIONS: each
 * option described once (flag, range, default, help), from which come the resolver (a ConfigError naming the flag),
 * the flag reading and --help.
 */
import { defineOptions, type Option } from '../../../core/config/options.js';
import { teacherOptions, type TeacherConfig } from '../../../teachers/bpref.js';
import { SENTIMENT_MODES, type SentimentMode } from '../../../teachers/sentiment.js';
import { DPO_LOSS_TYPES, type DPOLossType } from '../../../policy/dpo.js';

export const TEXT_OPTIMIZERS = ['ppo', 'dpo'] as const;
export type TextOptimizer = (typeof TEXT_OPTIMIZERS)[number];
export const REWARD_BACKBONES = ['linear', 'bag', 'gpt2'] as const;
export type RewardBackboneKind = (typeof REWARD_BACKBONES)[number];
export const REWARD_SOURCES = ['model', 'judge'] as const;
export type RewardSource = (typeof REWARD_SOURCES)[number];

export interface TextRlhfConfig {
  /** ppo: reward model + PPO with a KL leash; dpo: DPO on the preference pairs */
  optimizer: TextOptimizer;
  /** B-Pref teacher of the simulated judge (who judges — the teacher, people or both — is the run's --judge) */
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
  /** distinct training prompts (non-held-out corpus entries) the feedback pairs and PPO batches draw from */
  trainPrompts: number;
  /** tokens generated per continuation */
  responseLength: number;
  /** sampling temperature (1 = the model's distribution, as PPO assumes) */
  temperature: number;

  /** comparisons asked of the judge (pairs of continuations of the same prompt, from the reference policy) */
  labels: number;
  /**
   * pairs generated and judged together, one round of feedback (2× as many continuations in one generation batch).
   * Default 64; with people in the loop the command sets it to --labels-per-iteration, so each round is one set of
   * queries people see (and one wait)
   */
  feedbackBatch: number;
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

export type TextRlhfOverrides = Partial<Omit<TextRlhfConfig, 'teacherConfig'>> & { teacherConfig?: Partial<TeacherConfig> };

const RUN = 'run';
const REWARD = 'reward model';
const PPO = 'PPO';
const DPO = 'DPO';
const teacher = teacherOptions<TextRlhfConfig>({ params: 'teacherConfig', default: 'oracle' });

const OPTIONS: Option<TextRlhfConfig>[] = [
  { key: 'optimizer', type: 'enum', choices: TEXT_OPTIMIZERS, default: 'ppo', metavar: 'NAME', help: 'ppo: reward model + PPO with a KL leash; dpo: DPO on the preference pairs' },
  teacher.teacher,
  { key: 'sentimentMode', type: 'enum', choices: SENTIMENT_MODES, default: 'score', metavar: 'M', help: 'AFINN total (score) or per word (comparative)' },
  { key: 'model', type: 'string', nullable: true, nonEmpty: true, default: null, defaultHelp: 'models/fortunes-tiny', metavar: 'DIR', help: 'GPT-2 directory (config.json + model.safetensors)' },
  { key: 'corpus', type: 'string', nullable: true, nonEmpty: true, default: null, defaultHelp: "the model's pretraining corpus, else Debian's fortunes", metavar: 'PATH', help: 'prompt source: a text/fortune file or directory' },
  { key: 'seed', type: 'int', min: 0, max: 2 ** 31 - 1, default: 0, metavar: 'S', section: RUN, help: 'master seed' },
  { key: 'promptMinTokens', type: 'int', min: 1, max: 256, default: 2, metavar: 'K', help: 'prompt length in tokens, at least (prompts are the first K..M tokens of corpus entries)' },
  { key: 'promptMaxTokens', type: 'int', min: (c) => c.promptMinTokens, max: 256, default: 8, metavar: 'M', help: 'prompt length in tokens, at most' },
  { key: 'evalPrompts', type: 'int', min: 1, max: 100_000, default: 64, metavar: 'N', help: 'held-out prompts of the before/after evaluation' },
  { key: 'trainPrompts', type: 'int', min: 1, max: 10_000_000, default: 512, metavar: 'N', help: 'distinct training prompts (non-held-out entries)' },
  { key: 'responseLength', type: 'int', min: 1, max: 1024, default: 24, metavar: 'N', help: 'tokens generated per continuation' },
  { key: 'temperature', type: 'number', min: 0, exclusiveMin: true, max: 10, default: 0.7, metavar: 'T', help: "sampling temperature (1 = the model's distribution, as PPO assumes)" },
  { key: 'labels', type: 'int', min: 2, max: 10_000_000, default: 10000, metavar: 'N', section: REWARD, help: 'comparisons asked of the judge (pairs of continuations of one prompt, from the reference policy)' },
  {
    key: 'feedbackBatch',
    flag: false,
    type: 'int',
    min: 1,
    max: 100_000,
    default: 64,
    section: REWARD,
    mayDifferOnResume: true, // used in iteration 1 only, before the first checkpoint
    help: 'pairs generated and judged per round of feedback (with people: --labels-per-iteration)',
  },
  { key: 'rewardBackbone', type: 'enum', choices: REWARD_BACKBONES, default: 'linear', metavar: 'B', section: REWARD, help: "linear in token counts, a tanh layer over token frequencies (bag), or the model's transformer with its own LoRA (gpt2)" },
  { key: 'rewardL2', type: 'number', min: 0, max: 1e6, default: 1e-4, metavar: 'L', section: REWARD, help: "L2 penalty on the reward model's weights" },
  { key: 'rewardSource', type: 'enum', choices: REWARD_SOURCES, default: 'model', metavar: 'S', section: REWARD, help: "what PPO maximizes: the learned reward model, or the judge's score itself (an ablation)" },
  { key: 'rewardEpochs', type: 'int', min: 1, max: 10_000, default: 8, metavar: 'N', section: REWARD, help: 'passes over the labels' },
  { key: 'rewardLr', type: 'number', min: 0, exclusiveMin: true, max: 1, default: 1e-2, metavar: 'LR', section: REWARD, help: 'Adam learning rate of the reward model' },
  { key: 'rewardBatchSize', type: 'int', min: 1, max: 100_000, default: 32, metavar: 'N', section: REWARD, help: 'pairs per reward-model step' },
  { key: 'rewardValidation', type: 'number', min: 0, max: 0.9, default: 0.2, metavar: 'F', section: REWARD, help: "fraction of labels held out for the reward model's accuracy" },
  { key: 'loraR', type: 'int', min: 1, max: 4096, default: 8, metavar: 'R', help: 'LoRA rank r of the policy (and of a gpt2 reward backbone)' },
  { key: 'loraAlpha', type: 'number', min: 0, exclusiveMin: true, max: 1e6, default: 16, metavar: 'A', symbol: 'α', help: 'LoRA α' },
  { key: 'iterations', type: 'int', min: 0, max: 1_000_000, default: 50, metavar: 'N', section: PPO, mayDifferOnResume: true, help: 'PPO steps (each: generate a batch, score it, ppo-epochs × minibatches of updates)' },
  { key: 'batchSize', type: 'int', min: 1, max: 100_000, default: 32, metavar: 'N', section: PPO, help: 'rollouts per PPO step' },
  { key: 'miniBatchSize', type: 'int', min: 1, max: (c) => c.batchSize, default: 8, metavar: 'N', section: PPO, help: 'rollouts per gradient step' },
  { key: 'ppoEpochs', type: 'int', min: 1, max: 1000, default: 4, metavar: 'N', section: PPO, help: 'passes per PPO step' },
  { key: 'learningRate', flag: 'lr', type: 'number', min: 0, exclusiveMin: true, max: 1, default: 1e-3, metavar: 'LR', help: 'Adam learning rate of the policy (PPO and DPO)' },
  { key: 'klCoef', type: 'number', min: 0, max: 1e6, default: 0.25, metavar: 'B', symbol: 'β₀', section: PPO, help: 'β₀ of the per-token KL penalty' },
  { key: 'klTarget', type: 'number', min: 0, exclusiveMin: true, max: 1e6, default: 6, metavar: 'K', section: PPO, help: 'KL target (nats per sequence) of the adaptive controller' },
  { key: 'klHorizon', type: 'number', min: 0, exclusiveMin: true, max: 1e12, default: 10000, metavar: 'H', section: PPO, help: 'horizon of the adaptive KL controller' },
  { key: 'fixedKl', type: 'bool', default: false, section: PPO, help: 'keep β fixed (no adaptive controller)' },
  { key: 'normalizeScores', flag: 'no-normalize-scores', type: 'bool', sets: false, default: true, section: PPO, help: 'use raw reward-model scores (default: standardized by their mean and std on reference samples)' },
  { key: 'scoreClip', type: 'number', min: 0, max: 1e6, default: 2, metavar: 'C', section: PPO, help: "clip each continuation's standardized reward to [−C, C] (TRL score_clip); 0 = off" },
  {
    key: 'tokenRewards',
    type: 'bool',
    negatable: true,
    default: (c) => c.rewardBackbone === 'linear' && c.rewardSource === 'model',
    defaultHelp: 'on with the linear reward model',
    section: PPO,
    help: 'pay each token its reward-model weight w[x_t] when generated (dense credit); off: the whole score on the last token',
    check: (v, c) =>
      v && c.rewardBackbone !== 'linear'
        ? `--token-rewards needs a reward model that is a sum over tokens (--reward-backbone linear), got --reward-backbone ${c.rewardBackbone}`
        : v && c.rewardSource !== 'model'
          ? '--token-rewards pays the learned reward model per token; it does not apply with --reward-source judge'
          : undefined,
  },
  { key: 'dpoBeta', type: 'number', min: 0, exclusiveMin: true, max: 1e6, default: 0.1, metavar: 'B', symbol: 'β', section: DPO, help: 'DPO β (higher: less deviation from the reference)' },
  { key: 'dpoLoss', type: 'enum', choices: DPO_LOSS_TYPES, default: 'sigmoid', metavar: 'L', section: DPO, help: 'DPO loss' },
  { key: 'dpoEpochs', type: 'int', min: 1, max: 10_000, default: 3, metavar: 'N', section: DPO, mayDifferOnResume: true, help: 'passes over the pairs' },
  { key: 'dpoBatchSize', type: 'int', min: 1, max: 100_000, default: 8, metavar: 'N', section: DPO, help: 'pairs per DPO step' },
  teacher.params,
];

/** Every text RLHF option, described once: the resolver, the flags and --help come from it. */
export const TEXT_RLHF_OPTIONS = defineOptions<TextRlhfConfig, TextRlhfOverrides>('text RLHF', OPTIONS);

/** The defaults. */
export const DEFAULT_TEXT_RLHF: TextRlhfConfig = TEXT_RLHF_OPTIONS.resolve();

/** Defaults, then the overrides; every field checked (ConfigError names the flag). */
export function resolveTextRlhfConfig(o: TextRlhfOverrides = {}): TextRlhfConfig {
  return TEXT_RLHF_OPTIONS.resolve(o);
}
