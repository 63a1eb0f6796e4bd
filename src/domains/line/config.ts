/**
 * Line domain config: every hyperparameter in one place, each with its meaning and default, two presets
 * ('default' — the loop that works; 'seed' — the seed demo's configuration, to see the difference), and LINE_OPTIONS:
 * each option described once (flag, range, default per preset, help), from which come the resolver (a ConfigError
 * naming the CLI flag), the flag reading and --help.
 */
import { defineOptions, type Option } from '../../core/config/options.js';
import { RUN_SECTION } from '../../core/config/runOptions.js';
import { activeQueryOptions, type ActiveQueryConfig } from '../../reward/querySelection.js';
import { teacherOptions, type TeacherConfigOverrides, type TeacherFields } from '../../teachers/bpref.js';

export const LINE_FEEDBACK = ['comparison', 'regression'] as const;
export type LineFeedback = (typeof LINE_FEEDBACK)[number];
export const LINE_BASELINES = ['none', 'moving', 'expected'] as const;
export type LineBaseline = (typeof LINE_BASELINES)[number];
export const LINE_PRESETS = ['default', 'seed'] as const;
export type LinePreset = (typeof LINE_PRESETS)[number];

/** The line's options, with the ensemble and active-query fields and the teacher block (comparison feedback). */
export interface LineConfig extends ActiveQueryConfig, TeacherFields {
  /** which preset the values started from */
  preset: LinePreset;
  /** the seed of every random stream: the same seed gives the same metrics.jsonl */
  seed: number;
  /** positions 0..size−1; the goal is size−1 */
  size: number;
  /** training episodes in total */
  episodes: number;
  /** episodes per iteration (one reward fit and one round of queries per iteration) */
  episodesPerIteration: number;
  /** step cap of a training episode (the seed has none; its peer caps at 1000) */
  maxSteps: number;
  /** success = reaching the goal within this many steps */
  evalSteps: number;
  /** 'comparison': the teacher compares segments, Bradley–Terry fit; 'regression': per-step MSE on the sparse env reward (the seed) */
  feedback: LineFeedback;
  /** steps per compared segment (episodes shorter than this are compared whole) */
  segmentLength: number;
  /** candidate segments come from the last this-many episodes (a replay buffer, as PEBBLE's) */
  queryBuffer: number;
  /** hidden units of the policy and reward MLPs */
  hidden: number;
  /** Adam step size of the reward models */
  rewardLr: number;
  /** full-batch Adam steps on all labels, per iteration (comparison feedback) */
  rewardSteps: number;
  /** Adam step size of the policy */
  policyLr: number;
  /** Adam ε (Keras 1e-7, PyTorch 1e-8) */
  adamEps: number;
  /** γ of the policy's return-to-go over predicted rewards (0 = the immediate predicted reward, as the seed) */
  discount: number;
  /** REINFORCE baseline b: 'none' (the seed), 'moving' (moving average of predicted returns), 'expected' (Σₐ π(a|s) r̂(s,a), with discount 0) */
  baseline: LineBaseline;
  /** moving-average rate of the 'moving' baseline: b ← b + η (G − b) */
  baselineRate: number;
  /** entropy bonus coefficient in the policy loss (exploration) */
  entropyCoef: number;
  /** clamp each accumulated gradient element to [−clip, clip] after the per-episode mean (the seed: 1) */
  gradClip: number;
  /** feed the policy and reward model s/(size−1) instead of the raw position s (the seed: raw) */
  normalizeState: boolean;
}

export type LineOverrides = TeacherConfigOverrides<LineConfig>;

const teacher = teacherOptions<LineConfig>({ params: 'teacherConfig', default: 'oracle' });
const aq = activeQueryOptions<LineConfig>({ rewardEnsemble: { default: 3 }, querySelection: { default: 'disagreement' } });

const OPTIONS: Option<LineConfig>[] = [
  { key: 'preset', type: 'enum', choices: LINE_PRESETS, default: 'default', metavar: 'P', help: '"seed": the seed demo (per-step regression on the sparse reward, no baseline, lr 1e-3, raw positions, 500 episodes)' },
  { key: 'size', type: 'int', min: 2, max: 10_000, default: 10, metavar: 'N', help: 'positions 0..N−1; the goal is N−1' },
  { key: 'episodes', type: 'int', min: 1, default: 200, metavar: 'N', mayDifferOnResume: true, help: 'training episodes' },
  { key: 'episodesPerIteration', type: 'int', min: 1, default: 10, metavar: 'N', help: 'episodes between reward fits and query rounds' },
  { key: 'maxSteps', type: 'int', min: 1, default: 50, metavar: 'N', help: 'step cap of a training episode' },
  { key: 'evalSteps', type: 'int', min: 1, default: 50, metavar: 'N', help: 'success = the goal within N steps' },
  { key: 'feedback', type: 'enum', choices: LINE_FEEDBACK, default: 'comparison', metavar: 'F', help: 'comparison: the teacher compares segments (Bradley–Terry); regression: per-step MSE on the sparse env reward (the seed)' },
  { key: 'segmentLength', type: 'int', min: 1, default: 10, metavar: 'N', help: 'steps per compared segment' },
  { key: 'queryBuffer', type: 'int', min: 1, max: 1_000_000, default: 100, metavar: 'N', help: 'candidate segments come from the last N episodes' },
  { key: 'hidden', type: 'int', min: 1, max: 4096, default: 32, metavar: 'N', help: 'hidden units of the policy and reward MLPs' },
  { key: 'rewardLr', type: 'number', min: 0, exclusiveMin: true, max: 10, default: 0.01, metavar: 'LR', help: "reward models' Adam step" },
  { key: 'rewardSteps', type: 'int', min: 1, default: 50, metavar: 'N', help: 'full-batch Adam steps on all labels per iteration' },
  { key: 'policyLr', type: 'number', min: 0, exclusiveMin: true, max: 10, default: 0.01, metavar: 'LR', help: "policy's Adam step" },
  { key: 'adamEps', type: 'number', min: 0, exclusiveMin: true, max: 1, default: 1e-8, metavar: 'E', symbol: 'ε', help: 'Adam ε (Keras 1e-7, PyTorch 1e-8)' },
  { key: 'discount', type: 'number', min: 0, max: 1, default: 0, metavar: 'G', symbol: 'γ', help: 'γ of the return-to-go over predicted rewards (0 = the immediate predicted reward)' },
  {
    key: 'baseline',
    type: 'enum',
    choices: LINE_BASELINES,
    default: 'expected',
    metavar: 'B',
    help: 'REINFORCE baseline: none, moving (average of returns), expected (Σₐ π(a|s) r̂(s,a), needs --discount 0)',
    check: (v, c) => (v === 'expected' && c.discount > 0 ? `--baseline expected is the exact value of the immediate reward; with --discount ${c.discount} use --baseline moving` : undefined),
  },
  { key: 'baselineRate', type: 'number', min: 0, exclusiveMin: true, max: 1, default: 0.1, metavar: 'R', symbol: 'η', help: 'η of the moving baseline: b ← b + η (G − b)' },
  { key: 'entropyCoef', type: 'number', min: 0, max: 10, default: 0.01, metavar: 'C', help: 'entropy bonus in the policy loss' },
  { key: 'gradClip', type: 'number', min: 0, exclusiveMin: true, max: 1e6, default: 1, metavar: 'C', help: 'clamp each gradient element to [−C, C] after the per-episode mean' },
  { key: 'normalizeState', flag: 'raw-state', type: 'bool', sets: false, default: true, help: 'feed raw positions s instead of s/(size−1)' },
  aq.labelsPerIteration,
  aq.labelBudget,
  aq.labelSchedule,
  aq.labelDecay,
  aq.querySelection,
  aq.poolFactor,
  aq.rewardEnsemble,
  aq.bootstrap,
  teacher.teacher,
  teacher.params,
  { key: 'seed', type: 'int', min: 0, max: 2 ** 31 - 1, default: 0, metavar: 'N', section: RUN_SECTION, help: 'seed; the same seed gives the same run' },
];

/** The seed preset: the seed demo's values where they differ from the default preset's. */
const SEED_PRESET: Partial<LineConfig> = {
  episodes: 500,
  maxSteps: 1000,
  feedback: 'regression',
  labelsPerIteration: 1,
  querySelection: 'random',
  rewardEnsemble: 1,
  rewardLr: 0.001,
  rewardSteps: 1,
  policyLr: 0.001,
  adamEps: 1e-7,
  baseline: 'none',
  entropyCoef: 0,
  normalizeState: false,
};

/** Every line option, described once: the resolver, the flags and --help come from it. */
export const LINE_OPTIONS = defineOptions<LineConfig, LineOverrides>('line', OPTIONS, { presets: { key: 'preset', values: { seed: SEED_PRESET } } });

/** The resolved config of each preset. */
export const LINE_PRESET_VALUES: Record<LinePreset, LineConfig> = { default: LINE_OPTIONS.resolve({ preset: 'default' }), seed: LINE_OPTIONS.resolve({ preset: 'seed' }) };

/** The preset's values, then the overrides; every field checked (ConfigError names the flag). */
export function resolveLineConfig(o: LineOverrides = {}): LineConfig {
  return LINE_OPTIONS.resolve(o);
}

/** Number of iterations: ceil(episodes / episodesPerIteration). */
export function lineIterations(c: LineConfig): number {
  return Math.ceil(c.episodes / c.episodesPerIteration);
}

/** The config as JSON (config.json; β = ∞ and an unlimited budget are written as the string "Infinity", which JSON cannot hold). */
export function lineConfigToJson(c: LineConfig): Record<string, unknown> {
  const inf = (v: number) => (Number.isFinite(v) ? v : 'Infinity');
  return { ...c, labelBudget: inf(c.labelBudget), teacherConfig: { ...c.teacherConfig, beta: inf(c.teacherConfig.beta) } };
}
