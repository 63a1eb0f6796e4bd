/**
 * Adder domain config: presets ('default' — the loop that meets the targets; 'seed' — the seed notebook's RewardNet
 * run: 3→6→6→1 LeakyReLU, N(0, 0.1) init, Adam 1e-3, 600 epochs of 10 pairs, each pair used once, plain gradient
 * ascent from x = 20) and ADDER_OPTIONS: each option described once (flag, range, default per preset, help), from
 * which come the resolver (a ConfigError naming the CLI flag), the flag reading and --help.
 */
import { defineOptions, type Option } from '../../core/config/options.js';
import { RUN_SECTION } from '../../core/config/runOptions.js';
import { ACTIVATIONS, type Activation } from '../../reward/mlp.js';
import { activeQueryOptions, type ActiveQueryConfig } from '../../reward/querySelection.js';
import { teacherOptions, type TeacherConfigOverrides, type TeacherFields } from '../../teachers/bpref.js';

export const ADDER_MODELS = ['mlp', 'linear'] as const;
export type AdderModel = (typeof ADDER_MODELS)[number];
export const ADDER_PRESETS = ['default', 'seed'] as const;
export type AdderPreset = (typeof ADDER_PRESETS)[number];
export const ASCENT_METHODS = ['rprop', 'fixed'] as const;

/** The adder's options, with the ensemble and active-query fields (an iteration is an epoch) and the teacher block. */
export interface AdderConfig extends ActiveQueryConfig, TeacherFields {
  preset: AdderPreset;
  /** the seed of every random stream: the same seed gives the same metrics.jsonl */
  seed: number;
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
  /** held-out pairs for the metrics */
  evalPairs: number;
}

export type AdderOverrides = TeacherConfigOverrides<AdderConfig>;

const teacher = teacherOptions<AdderConfig>({ params: 'teacherConfig', default: 'oracle' });
const aq = activeQueryOptions<AdderConfig>({ labelsPerIteration: { help: 'n₀, labels asked per epoch' }, poolFactor: { default: 5 } });

const OPTIONS: Option<AdderConfig>[] = [
  { key: 'preset', type: 'enum', choices: ADDER_PRESETS, default: 'default', metavar: 'P', help: '"seed": the notebook\'s RewardNet run (3→6→6→1 LeakyReLU, Adam 1e-3, 600 epochs of 10 pairs used once, plain gradient ascent)' },
  { key: 'model', type: 'enum', choices: ADDER_MODELS, default: 'linear', metavar: 'M', help: "reward model: linear in the seed's features 1 ± k(a+b−x) and sigmoid(a+b−x), or an MLP on (a, b, x)" },
  { key: 'epochs', type: 'int', min: 1, default: 100, metavar: 'N', mayDifferOnResume: true, help: 'epochs (one round of queries and reward updates each)' },
  { key: 'stateMax', type: 'int', min: 1, max: 1_000_000, default: 20, metavar: 'N', help: 'a, b are uniform integers in [0, N)' },
  { key: 'hidden', type: 'list', of: 'int', min: 1, max: 4096, minItems: 1, items: 'hidden widths like 16,16', default: [16, 16], metavar: 'W,W', help: 'MLP hidden widths' },
  { key: 'activation', type: 'enum', choices: ACTIVATIONS, default: 'leakyRelu', metavar: 'A', help: 'MLP activation' },
  { key: 'initStd', type: 'number', min: 0, max: 100, default: 0, metavar: 'S', help: 'MLP init N(0, S²) for weights and biases (0 = Glorot; the seed: √0.1)' },
  { key: 'inputScale', type: 'number', min: 0, exclusiveMin: true, max: 1e9, default: 20, metavar: 'C', help: 'MLP inputs are (a, b, x)/C' },
  { key: 'slope', type: 'number', min: 0, exclusiveMin: true, max: 1e6, default: 0.1, metavar: 'K', symbol: 'k', help: 'k of the piecewise-linear feature 1 ± k·(a+b−x)' },
  // the default preset's step size and steps are for the 2-parameter model; an MLP wants a smaller step, taken more
  // often (5 seeds, 1000 labels: 4 steps → accuracy 0.973–0.993, 8 steps → 0.993–0.997)
  { key: 'rewardLr', type: 'number', min: 0, exclusiveMin: true, max: 10, default: (c) => (c.model === 'mlp' ? 0.01 : 0.05), defaultHelp: '0.05 linear, 0.01 mlp', metavar: 'LR', help: 'Adam step of the reward models' },
  { key: 'rewardLrFinal', type: 'number', min: 0, max: 1, default: 0.1, metavar: 'F', help: 'step at the last epoch as a fraction of --reward-lr (linear decay; 1 = constant)' },
  { key: 'rewardSteps', type: 'int', min: 1, default: (c) => (c.model === 'mlp' ? 8 : 4), defaultHelp: '4 linear, 8 mlp', metavar: 'N', help: 'Adam steps per epoch' },
  { key: 'rewardBatch', type: 'int', min: 0, default: 64, metavar: 'B', help: "pairs per Adam step from all labels so far (0 = this epoch's labels only, the seed)" },
  { key: 'ascent', type: 'enum', choices: ASCENT_METHODS, default: 'rprop', metavar: 'M', help: 'greedy action by rprop or fixed-step gradient ascent on the reward' },
  { key: 'ascentLr', type: 'number', min: 0, exclusiveMin: true, max: 1e6, default: 2, metavar: 'η', help: 'ascent step (fixed) or first step (rprop)' },
  { key: 'ascentSteps', type: 'int', min: 1, default: 40, metavar: 'N', help: 'ascent steps' },
  { key: 'ascentInit', type: 'number', min: -1e9, max: 1e9, default: 20, metavar: 'X', help: 'starting action of the ascent' },
  { key: 'perturbMax', type: 'number', min: 0, max: 1e6, default: 8, metavar: 'D', help: 'compared action = greedy + U(−d, d), d = dmin + (dmax − dmin)·exp(−epoch/τ): dmax' },
  {
    key: 'perturbMin',
    type: 'number',
    min: 0,
    max: 1e6,
    default: 0.2,
    metavar: 'D',
    help: 'dmin of the perturbation',
    check: (v, c) => (v > c.perturbMax ? `--perturb-min (${v}) must be ≤ --perturb-max (${c.perturbMax})` : undefined),
  },
  { key: 'perturbTau', type: 'number', min: 0, exclusiveMin: true, max: 1e9, default: 25, metavar: 'T', symbol: 'τ', help: 'τ of the perturbation decay' },
  aq.labelsPerIteration,
  aq.labelBudget,
  aq.labelSchedule,
  aq.labelDecay,
  aq.querySelection,
  aq.poolFactor,
  aq.rewardEnsemble,
  aq.bootstrap,
  { key: 'evalPairs', type: 'int', min: 1, max: 1_000_000, default: 300, metavar: 'N', help: 'held-out pairs for the metrics' },
  teacher.teacher,
  teacher.params,
  { key: 'seed', type: 'int', min: 0, max: 2 ** 31 - 1, default: 0, metavar: 'N', section: RUN_SECTION, help: 'seed; the same seed gives the same run' },
];

/** The seed preset: the notebook's values where they differ from the default preset's. */
const SEED_PRESET: Partial<AdderConfig> = {
  epochs: 600,
  model: 'mlp',
  hidden: [6, 6],
  initStd: Math.sqrt(0.1),
  inputScale: 1,
  rewardLr: 0.001,
  rewardLrFinal: 1,
  rewardSteps: 1,
  rewardBatch: 0,
  ascent: 'fixed',
  ascentLr: 0.02,
  ascentSteps: 100,
  perturbMax: 0.2 + Math.exp(2), // exp(−(t − 200)/100) + 0.2
  perturbTau: 100,
  poolFactor: 1,
  bootstrap: false,
};

/** Every adder option, described once: the resolver, the flags and --help come from it. */
export const ADDER_OPTIONS = defineOptions<AdderConfig, AdderOverrides>('adder', OPTIONS, { presets: { key: 'preset', values: { seed: SEED_PRESET } } });

/** The resolved config of each preset. */
export const ADDER_PRESET_VALUES: Record<AdderPreset, AdderConfig> = { default: ADDER_OPTIONS.resolve({ preset: 'default' }), seed: ADDER_OPTIONS.resolve({ preset: 'seed' }) };

/** The preset's values, then the overrides; every field checked (ConfigError names the flag). */
export function resolveAdderConfig(o: AdderOverrides = {}): AdderConfig {
  return ADDER_OPTIONS.resolve(o);
}

/** The config as JSON (config.json; β = ∞ and an unlimited budget are written as the string "Infinity", which JSON cannot hold). */
export function adderConfigToJson(c: AdderConfig): Record<string, unknown> {
  const inf = (v: number) => (Number.isFinite(v) ? v : 'Infinity');
  return { ...c, labelBudget: inf(c.labelBudget), teacherConfig: { ...c.teacherConfig, beta: inf(c.teacherConfig.beta) } };
}
