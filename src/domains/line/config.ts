/**
 * Line domain config: every hyperparameter in one place, each with its meaning and default, two presets
 * ('default' — the loop that works; 'seed' — the seed demo's configuration, to see the difference) and a resolver
 * that checks every range with a ConfigError naming the CLI flag.
 */
import { ConfigError } from '../../core/errors.js';
import { QUERY_SELECTIONS, resolveQuerySelection, type QuerySelection } from '../../reward/querySelection.js';
import { LABEL_SCHEDULES, type LabelSchedule } from '../../reward/labelBudget.js';
import { resolveTeacher, type TeacherConfig } from '../../teachers/bpref.js';

export const LINE_FEEDBACK = ['comparison', 'regression'] as const;
export type LineFeedback = (typeof LINE_FEEDBACK)[number];
export const LINE_BASELINES = ['none', 'moving', 'expected'] as const;
export type LineBaseline = (typeof LINE_BASELINES)[number];
export const LINE_PRESETS = ['default', 'seed'] as const;
export type LinePreset = (typeof LINE_PRESETS)[number];

export interface LineConfig {
  /** which preset the values started from */
  preset: LinePreset;
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
  /** n₀, queries asked per iteration */
  labelsPerIteration: number;
  /** total queries allowed (Infinity = unlimited) */
  labelBudget: number;
  labelSchedule: LabelSchedule;
  /** d of the 'decay' schedule: n_t = max(1, round(n₀ dᵗ)) */
  labelDecay: number;
  /** which candidate pairs to ask about */
  querySelection: QuerySelection;
  /** candidates drawn per query asked (B-Pref's large_batch / mb_size) */
  poolFactor: number;
  /** candidate segments come from the last this-many episodes (a replay buffer, as PEBBLE's) */
  queryBuffer: number;
  /** K, reward models in the ensemble */
  rewardEnsemble: number;
  /** bootstrap the labels per member (Poisson(1) weights) */
  bootstrap: boolean;
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
  /** teacher name and its B-Pref parameters (comparison feedback) */
  teacher: string;
  teacherConfig: TeacherConfig;
  seed: number;
}

const COMMON = {
  size: 10,
  evalSteps: 50,
  segmentLength: 10,
  labelBudget: Infinity,
  labelSchedule: 'constant' as LabelSchedule,
  labelDecay: 0.9,
  poolFactor: 10,
  queryBuffer: 100,
  bootstrap: true,
  hidden: 32,
  gradClip: 1,
  teacher: 'oracle',
  seed: 0,
};

export const LINE_PRESET_VALUES: Record<LinePreset, Omit<LineConfig, 'teacherConfig'>> = {
  default: {
    ...COMMON,
    preset: 'default',
    episodes: 200,
    episodesPerIteration: 10,
    maxSteps: 50,
    feedback: 'comparison',
    labelsPerIteration: 10,
    querySelection: 'disagreement',
    rewardEnsemble: 3,
    rewardLr: 0.01,
    rewardSteps: 50,
    policyLr: 0.01,
    adamEps: 1e-8,
    discount: 0,
    baseline: 'expected',
    baselineRate: 0.1,
    entropyCoef: 0.01,
    normalizeState: true,
  },
  seed: {
    ...COMMON,
    preset: 'seed',
    episodes: 500,
    episodesPerIteration: 10,
    maxSteps: 1000,
    feedback: 'regression',
    labelsPerIteration: 1,
    querySelection: 'random',
    rewardEnsemble: 1,
    rewardLr: 0.001,
    rewardSteps: 1,
    policyLr: 0.001,
    adamEps: 1e-7,
    discount: 0,
    baseline: 'none',
    baselineRate: 0.1,
    entropyCoef: 0,
    normalizeState: false,
  },
};

/** Flag name of each config field, for error messages. */
export const LINE_FLAGS: Record<keyof LineConfig, string> = {
  preset: 'preset',
  size: 'size',
  episodes: 'episodes',
  episodesPerIteration: 'episodes-per-iteration',
  maxSteps: 'max-steps',
  evalSteps: 'eval-steps',
  feedback: 'feedback',
  segmentLength: 'segment-length',
  labelsPerIteration: 'labels-per-iteration',
  labelBudget: 'label-budget',
  labelSchedule: 'label-schedule',
  labelDecay: 'label-decay',
  querySelection: 'query-selection',
  poolFactor: 'pool-factor',
  queryBuffer: 'query-buffer',
  rewardEnsemble: 'reward-ensemble',
  bootstrap: 'no-bootstrap',
  hidden: 'hidden',
  rewardLr: 'reward-lr',
  rewardSteps: 'reward-steps',
  policyLr: 'policy-lr',
  adamEps: 'adam-eps',
  discount: 'discount',
  baseline: 'baseline',
  baselineRate: 'baseline-rate',
  entropyCoef: 'entropy-coef',
  gradClip: 'grad-clip',
  normalizeState: 'raw-state',
  teacher: 'teacher',
  teacherConfig: 'teacher',
  seed: 'seed',
};

export type LineOverrides = Partial<Omit<LineConfig, 'teacherConfig'>> & { teacherOverrides?: Partial<TeacherConfig> };

function int(key: keyof LineConfig, v: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new ConfigError(LINE_FLAGS[key], `--${LINE_FLAGS[key]} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}], got ${v}`);
}

function num(key: keyof LineConfig, v: number, lo: number, hi: number, loOpen = false): void {
  if (!(Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && v <= hi))
    throw new ConfigError(LINE_FLAGS[key], `--${LINE_FLAGS[key]} must be in ${loOpen ? '(' : '['}${lo}, ${hi}], got ${v}`);
}

function oneOf<T extends string>(key: keyof LineConfig, v: string, choices: readonly T[]): void {
  if (!(choices as readonly string[]).includes(v)) throw new ConfigError(LINE_FLAGS[key], `--${LINE_FLAGS[key]} must be one of ${choices.join(', ')}; got "${v}"`);
}

/** The preset's values, then the overrides; every field checked. */
export function resolveLineConfig(o: LineOverrides = {}): LineConfig {
  const preset = o.preset ?? 'default';
  oneOf('preset', preset, LINE_PRESETS);
  const { teacherOverrides, ...rest } = o;
  const known = new Set(Object.keys(LINE_FLAGS));
  for (const k of Object.keys(rest)) if (!known.has(k)) throw new ConfigError(k, `unknown line option "${k}"`);
  const c = { ...LINE_PRESET_VALUES[preset], ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) } as Omit<LineConfig, 'teacherConfig'>;
  int('size', c.size, 2, 10_000);
  int('episodes', c.episodes, 1);
  int('episodesPerIteration', c.episodesPerIteration, 1);
  int('maxSteps', c.maxSteps, 1);
  int('evalSteps', c.evalSteps, 1);
  oneOf('feedback', c.feedback, LINE_FEEDBACK);
  int('segmentLength', c.segmentLength, 1);
  int('labelsPerIteration', c.labelsPerIteration, 1);
  if (!(c.labelBudget === Infinity || (Number.isInteger(c.labelBudget) && c.labelBudget >= 0)))
    throw new ConfigError('label-budget', `--label-budget must be an integer ≥ 0, got ${c.labelBudget}`);
  oneOf('labelSchedule', c.labelSchedule, LABEL_SCHEDULES);
  num('labelDecay', c.labelDecay, 0, 1, true);
  oneOf('querySelection', c.querySelection, QUERY_SELECTIONS);
  int('poolFactor', c.poolFactor, 1, 1000);
  int('queryBuffer', c.queryBuffer, 1, 1_000_000);
  int('rewardEnsemble', c.rewardEnsemble, 1, 64);
  resolveQuerySelection(c.querySelection, c.rewardEnsemble);
  int('hidden', c.hidden, 1, 4096);
  num('rewardLr', c.rewardLr, 0, 10, true);
  int('rewardSteps', c.rewardSteps, 1);
  num('policyLr', c.policyLr, 0, 10, true);
  num('adamEps', c.adamEps, 0, 1, true);
  num('discount', c.discount, 0, 1);
  oneOf('baseline', c.baseline, LINE_BASELINES);
  if (c.baseline === 'expected' && c.discount > 0)
    throw new ConfigError('baseline', `--baseline expected is the exact value of the immediate reward; with --discount ${c.discount} use --baseline moving`);
  num('baselineRate', c.baselineRate, 0, 1, true);
  num('entropyCoef', c.entropyCoef, 0, 10);
  num('gradClip', c.gradClip, 0, 1e6, true);
  int('seed', c.seed, 0, 2 ** 31 - 1);
  const teacherConfig = resolveTeacher(c.teacher, teacherOverrides ?? {});
  return { ...c, teacherConfig };
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
