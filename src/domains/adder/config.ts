/**
 * Adder domain config: presets ('default' — the loop that meets the targets; 'seed' — the seed notebook's RewardNet
 * run: 3→6→6→1 LeakyReLU, N(0, 0.1) init, Adam 1e-3, 600 epochs of 10 pairs, each pair used once, plain gradient
 * ascent from x = 20) and a resolver that checks every field with a ConfigError naming the CLI flag.
 */
import { ConfigError } from '../../core/errors.js';
import { ACTIVATIONS, type Activation } from '../../reward/mlp.js';
import { QUERY_SELECTIONS, resolveQuerySelection, type QuerySelection } from '../../reward/querySelection.js';
import { LABEL_SCHEDULES, type LabelSchedule } from '../../reward/labelBudget.js';
import { resolveTeacher, type TeacherConfig } from '../../teachers/bpref.js';

export const ADDER_MODELS = ['mlp', 'linear'] as const;
export type AdderModel = (typeof ADDER_MODELS)[number];
export const ADDER_PRESETS = ['default', 'seed'] as const;
export type AdderPreset = (typeof ADDER_PRESETS)[number];
export const ASCENT_METHODS = ['rprop', 'fixed'] as const;

export interface AdderConfig {
  preset: AdderPreset;
  /** states (a, b) are integers drawn uniformly from [0, stateMax) */
  stateMax: number;
  /** training epochs (one round of queries and reward updates each) */
  epochs: number;
  /** reward model: 'mlp' on (a, b, x), or 'linear' in the seed's two features */
  model: AdderModel;
  /** hidden layer widths of the MLP */
  hidden: number[];
  activation: Activation;
  /** MLP init: std of N(0, std²) for weights and biases (the seed's rand_weights(0.1, 0.1) is std √0.1); 0 = Glorot */
  initStd: number;
  /** MLP inputs are (a, b, x)/inputScale */
  inputScale: number;
  /** k of the piecewise-linear feature 1 ± k·(a+b−x) */
  slope: number;
  /** Adam step size of the reward models */
  rewardLr: number;
  /** Adam step size at the last epoch, as a fraction of rewardLr (linear decay; 1 = constant) */
  rewardLrFinal: number;
  /** Adam steps per epoch */
  rewardSteps: number;
  /** pairs per Adam step, drawn from all labels so far (bootstrap-weighted); 0 = only this epoch's labels (the seed) */
  rewardBatch: number;
  /** greedy action: gradient ascent method, step, steps, start */
  ascent: 'rprop' | 'fixed';
  ascentLr: number;
  ascentSteps: number;
  ascentInit: number;
  /** perturbation of the compared action: U(−d, d), d_t = dMin + (dMax − dMin) exp(−t/τ) */
  perturbMax: number;
  perturbMin: number;
  perturbTau: number;
  /** n₀, queries per epoch */
  labelsPerIteration: number;
  labelBudget: number;
  labelSchedule: LabelSchedule;
  labelDecay: number;
  querySelection: QuerySelection;
  poolFactor: number;
  rewardEnsemble: number;
  bootstrap: boolean;
  /** held-out pairs for the metrics */
  evalPairs: number;
  teacher: string;
  teacherConfig: TeacherConfig;
  seed: number;
}

const COMMON = {
  stateMax: 20,
  slope: 0.1,
  perturbMin: 0.2,
  labelBudget: Infinity,
  labelSchedule: 'constant' as LabelSchedule,
  labelDecay: 0.9,
  evalPairs: 300,
  teacher: 'oracle',
  seed: 0,
};

export const ADDER_PRESET_VALUES: Record<AdderPreset, Omit<AdderConfig, 'teacherConfig'>> = {
  default: {
    ...COMMON,
    preset: 'default',
    epochs: 100,
    model: 'linear',
    hidden: [16, 16],
    activation: 'leakyRelu',
    initStd: 0,
    inputScale: 20,
    rewardLr: 0.05, // 0.01 when --model mlp (see resolveAdderConfig)
    rewardLrFinal: 0.1,
    rewardSteps: 4,
    rewardBatch: 64,
    ascent: 'rprop',
    ascentLr: 2,
    ascentSteps: 40,
    ascentInit: 20,
    perturbMax: 8,
    perturbTau: 25,
    labelsPerIteration: 10,
    querySelection: 'random',
    poolFactor: 5,
    rewardEnsemble: 1,
    bootstrap: true,
  },
  seed: {
    ...COMMON,
    preset: 'seed',
    epochs: 600,
    model: 'mlp',
    hidden: [6, 6],
    activation: 'leakyRelu',
    initStd: Math.sqrt(0.1),
    inputScale: 1,
    rewardLr: 0.001,
    rewardLrFinal: 1,
    rewardSteps: 1,
    rewardBatch: 0,
    ascent: 'fixed',
    ascentLr: 0.02,
    ascentSteps: 100,
    ascentInit: 20,
    perturbMax: 0.2 + Math.exp(2), // exp(−(t − 200)/100) + 0.2
    perturbTau: 100,
    labelsPerIteration: 10,
    querySelection: 'random',
    poolFactor: 1,
    rewardEnsemble: 1,
    bootstrap: false,
  },
};

export const ADDER_FLAGS: Record<keyof AdderConfig, string> = {
  preset: 'preset',
  stateMax: 'state-max',
  epochs: 'epochs',
  model: 'model',
  hidden: 'hidden',
  activation: 'activation',
  initStd: 'init-std',
  inputScale: 'input-scale',
  slope: 'slope',
  rewardLr: 'reward-lr',
  rewardLrFinal: 'reward-lr-final',
  rewardSteps: 'reward-steps',
  rewardBatch: 'reward-batch',
  ascent: 'ascent',
  ascentLr: 'ascent-lr',
  ascentSteps: 'ascent-steps',
  ascentInit: 'ascent-init',
  perturbMax: 'perturb-max',
  perturbMin: 'perturb-min',
  perturbTau: 'perturb-tau',
  labelsPerIteration: 'labels-per-iteration',
  labelBudget: 'label-budget',
  labelSchedule: 'label-schedule',
  labelDecay: 'label-decay',
  querySelection: 'query-selection',
  poolFactor: 'pool-factor',
  rewardEnsemble: 'reward-ensemble',
  bootstrap: 'no-bootstrap',
  evalPairs: 'eval-pairs',
  teacher: 'teacher',
  teacherConfig: 'teacher',
  seed: 'seed',
};

export type AdderOverrides = Partial<Omit<AdderConfig, 'teacherConfig'>> & { teacherOverrides?: Partial<TeacherConfig> };

function fail(key: keyof AdderConfig, msg: string): never {
  throw new ConfigError(ADDER_FLAGS[key], `--${ADDER_FLAGS[key]} ${msg}`);
}
function int(key: keyof AdderConfig, v: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(v) || v < min || v > max) fail(key, `must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}], got ${v}`);
}
function num(key: keyof AdderConfig, v: number, lo: number, hi: number, loOpen = false): void {
  if (!(Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && v <= hi)) fail(key, `must be in ${loOpen ? '(' : '['}${lo}, ${hi}], got ${v}`);
}
function oneOf(key: keyof AdderConfig, v: string, choices: readonly string[]): void {
  if (!choices.includes(v)) fail(key, `must be one of ${choices.join(', ')}; got "${v}"`);
}

export function resolveAdderConfig(o: AdderOverrides = {}): AdderConfig {
  const preset = o.preset ?? 'default';
  oneOf('preset', preset, ADDER_PRESETS);
  const { teacherOverrides, ...rest } = o;
  const known = new Set(Object.keys(ADDER_FLAGS));
  for (const k of Object.keys(rest)) if (!known.has(k)) throw new ConfigError(k, `unknown adder option "${k}"`);
  const c = { ...ADDER_PRESET_VALUES[preset], ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) } as Omit<AdderConfig, 'teacherConfig'>;
  // the default preset's step size and steps are for the 2-parameter model; an MLP wants a smaller step, taken more
  // often, unless given (5 seeds, 1000 labels: 4 steps → accuracy 0.973–0.993, 8 steps → 0.993–0.997)
  if (preset === 'default' && c.model === 'mlp' && rest.rewardLr === undefined) c.rewardLr = 0.01;
  if (preset === 'default' && c.model === 'mlp' && rest.rewardSteps === undefined) c.rewardSteps = 8;
  int('stateMax', c.stateMax, 1, 1_000_000);
  int('epochs', c.epochs, 1);
  oneOf('model', c.model, ADDER_MODELS);
  if (!Array.isArray(c.hidden) || c.hidden.length === 0 || !c.hidden.every((h) => Number.isInteger(h) && h >= 1 && h <= 4096))
    fail('hidden', `must be hidden widths like 16,16 (integers in [1, 4096]), got ${JSON.stringify(c.hidden)}`);
  oneOf('activation', c.activation, ACTIVATIONS);
  num('initStd', c.initStd, 0, 100);
  num('inputScale', c.inputScale, 0, 1e9, true);
  num('slope', c.slope, 0, 1e6, true);
  num('rewardLr', c.rewardLr, 0, 10, true);
  num('rewardLrFinal', c.rewardLrFinal, 0, 1);
  int('rewardSteps', c.rewardSteps, 1);
  int('rewardBatch', c.rewardBatch, 0);
  oneOf('ascent', c.ascent, ASCENT_METHODS);
  num('ascentLr', c.ascentLr, 0, 1e6, true);
  int('ascentSteps', c.ascentSteps, 1);
  num('ascentInit', c.ascentInit, -1e9, 1e9);
  num('perturbMax', c.perturbMax, 0, 1e6);
  num('perturbMin', c.perturbMin, 0, 1e6);
  if (c.perturbMin > c.perturbMax) fail('perturbMin', `(${c.perturbMin}) must be ≤ --perturb-max (${c.perturbMax})`);
  num('perturbTau', c.perturbTau, 0, 1e9, true);
  int('labelsPerIteration', c.labelsPerIteration, 1);
  if (!(c.labelBudget === Infinity || (Number.isInteger(c.labelBudget) && c.labelBudget >= 0))) fail('labelBudget', `must be an integer ≥ 0, got ${c.labelBudget}`);
  oneOf('labelSchedule', c.labelSchedule, LABEL_SCHEDULES);
  num('labelDecay', c.labelDecay, 0, 1, true);
  oneOf('querySelection', c.querySelection, QUERY_SELECTIONS);
  int('poolFactor', c.poolFactor, 1, 1000);
  int('rewardEnsemble', c.rewardEnsemble, 1, 64);
  resolveQuerySelection(c.querySelection, c.rewardEnsemble);
  int('evalPairs', c.evalPairs, 1, 1_000_000);
  int('seed', c.seed, 0, 2 ** 31 - 1);
  const teacherConfig = resolveTeacher(c.teacher, teacherOverrides ?? {});
  return { ...c, hidden: c.hidden.slice(), teacherConfig };
}

/** The config as JSON (config.json; β = ∞ and an unlimited budget are written as the string "Infinity", which JSON cannot hold). */
export function adderConfigToJson(c: AdderConfig): Record<string, unknown> {
  const inf = (v: number) => (Number.isFinite(v) ? v : 'Infinity');
  return { ...c, labelBudget: inf(c.labelBudget), teacherConfig: { ...c.teacherConfig, beta: inf(c.teacherConfig.beta) } };
}
