/**
 * `rlhf run adder [options]`: validates every flag first (a bad value exits 2 with one line naming the flag and
 * writes nothing), then runs with a progress bar on stderr; --json prints the summary as the last stdout line.
 *
 * Test hook: RLHF_STOP_AFTER=k ends the process abruptly (exit 75) right after epoch k's checkpoint.
 */
import { commandFlags, COMMON_RUN_FLAGS, FlagReader, runTargetFromFlags } from '../../cli/args.js';
import { ConfigError } from '../../core/errors.js';
import { ACTIVATIONS } from '../../reward/mlp.js';
import { ACTIVE_QUERY_FLAGS, ACTIVE_QUERY_HELP, activeQueryFromFlags } from '../../reward/querySelection.js';
import { TEACHER_NAMES, type TeacherConfig } from '../../teachers/bpref.js';
import { ADDER_MODELS, ADDER_PRESETS, ADDER_PRESET_VALUES, ASCENT_METHODS, resolveAdderConfig, type AdderConfig, type AdderOverrides } from './config.js';
import { runAdder } from './run.js';
import { ADDER_TARGETS } from './train.js';

export const ADDER_FLAGS_SPEC = {
  ...ACTIVE_QUERY_FLAGS,
  preset: { type: 'string' },
  'state-max': { type: 'string' },
  epochs: { type: 'string' },
  model: { type: 'string' },
  hidden: { type: 'string' },
  activation: { type: 'string' },
  'init-std': { type: 'string' },
  'input-scale': { type: 'string' },
  slope: { type: 'string' },
  'reward-lr': { type: 'string' },
  'reward-lr-final': { type: 'string' },
  'reward-steps': { type: 'string' },
  'reward-batch': { type: 'string' },
  ascent: { type: 'string' },
  'ascent-lr': { type: 'string' },
  'ascent-steps': { type: 'string' },
  'ascent-init': { type: 'string' },
  'perturb-max': { type: 'string' },
  'perturb-min': { type: 'string' },
  'perturb-tau': { type: 'string' },
  'eval-pairs': { type: 'string' },
  teacher: { type: 'string' },
  beta: { type: 'string' },
  gamma: { type: 'string' },
  mistake: { type: 'string' },
  skip: { type: 'string' },
  equal: { type: 'string' },
  'no-report': { type: 'boolean' },
} as const;

const D = ADDER_PRESET_VALUES.default;
export const ADDER_HELP = `rlhf run adder — preference-based RL on addition: state (a, b), action x, the judge prefers x closer to a + b

usage: rlhf run adder [options]

  --preset P              ${ADDER_PRESETS.join(' | ')}: "seed" is the notebook's RewardNet run (3→6→6→1 LeakyReLU,
                          Adam 1e-3, 600 epochs of 10 pairs used once, plain gradient ascent) [default]
  --model M               ${ADDER_MODELS.join(' | ')}: linear in the seed's features 1 ± k(a+b−x) and sigmoid(a+b−x),
                          or an MLP on (a, b, x) [${D.model}]
  --epochs N              epochs [${D.epochs}]
  --state-max N           a, b uniform integers in [0, N) [${D.stateMax}]
  --hidden W,W            MLP hidden widths [${D.hidden.join(',')}]
  --activation A          ${ACTIVATIONS.join(' | ')} [${D.activation}]
  --init-std S            MLP init N(0, S²) (0 = Glorot) [${D.initStd}]
  --input-scale C         MLP inputs are (a, b, x)/C [${D.inputScale}]
  --slope K               k of the piecewise-linear feature [${D.slope}]
  --reward-lr LR          Adam step [${D.rewardLr} linear, 0.01 mlp]
  --reward-lr-final F     step at the last epoch as a fraction of --reward-lr [${D.rewardLrFinal}]
  --reward-steps N        Adam steps per epoch [${D.rewardSteps}; 8 with --model mlp]
  --reward-batch B        pairs per step from all labels (0 = this epoch's labels only) [${D.rewardBatch}]
  --ascent M              greedy action by ${ASCENT_METHODS.join(' | ')} gradient ascent [${D.ascent}]
  --ascent-lr η           step (fixed) or first step (rprop) [${D.ascentLr}]
  --ascent-steps N        ascent steps [${D.ascentSteps}]
  --ascent-init X         starting action [${D.ascentInit}]
  --perturb-max D, --perturb-min D, --perturb-tau T
                          compared action = greedy + U(−d, d), d = dmin + (dmax − dmin)·exp(−epoch/T) [${D.perturbMax}, ${D.perturbMin}, ${D.perturbTau}]
  --eval-pairs N          held-out pairs [${D.evalPairs}]
  defaults of the active-query options: --labels-per-iteration ${D.labelsPerIteration} (per epoch), --query-selection ${D.querySelection},
  --reward-ensemble ${D.rewardEnsemble}, --pool-factor ${D.poolFactor}, no budget
${ACTIVE_QUERY_HELP}

simulated teacher (B-Pref, true reward −|a + b − x|):
  --teacher NAME          ${TEACHER_NAMES.join(', ')} [${D.teacher}]
  --beta B, --gamma G, --mistake E, --skip E, --equal E

run:
  --seed N                seed [0]; the same seed gives the same run
  --out DIR               run directory [runs/adder-<time>]
  --resume                continue the run in --out from its last checkpoint
  --json                  print the summary as JSON (last line of stdout)
  --quiet                 no progress bar
  --no-report             skip the figures and report.html
`;

function teacherFromFlags(f: FlagReader, def: string): { teacher: string; overrides: Partial<TeacherConfig> } {
  const teacher = f.choice('teacher', TEACHER_NAMES, def as (typeof TEACHER_NAMES)[number]);
  const o: Partial<TeacherConfig> = {};
  if (f.has('beta')) {
    const raw = f.string('beta')!.trim();
    o.beta = /^\+?inf(inity)?$/i.test(raw) ? Infinity : f.number('beta', 1, { min: 0, exclusiveMin: true });
  }
  if (f.has('gamma')) o.gamma = f.number('gamma', 1, { min: 0, exclusiveMin: true, max: 1 });
  if (f.has('mistake')) {
    o.epsMistake = f.number('mistake', 0, { min: 0 });
    if (o.epsMistake >= 1) throw new ConfigError('mistake', `--mistake must be < 1, got ${o.epsMistake}`);
  }
  if (f.has('skip')) o.epsSkip = f.number('skip', 0, { min: 0 });
  if (f.has('equal')) o.epsEqual = f.number('equal', 0, { min: 0 });
  return { teacher, overrides: o };
}

export function adderConfigFromFlags(f: FlagReader): AdderConfig {
  const preset = f.choice('preset', ADDER_PRESETS, 'default');
  const o: AdderOverrides = { preset, ...activeQueryFromFlags(f) };
  const ints: Array<[keyof AdderOverrides, string, number]> = [
    ['stateMax', 'state-max', 1],
    ['epochs', 'epochs', 1],
    ['rewardSteps', 'reward-steps', 1],
    ['rewardBatch', 'reward-batch', 0],
    ['ascentSteps', 'ascent-steps', 1],
    ['evalPairs', 'eval-pairs', 1],
    ['seed', 'seed', 0],
  ];
  for (const [key, flag, min] of ints) if (f.has(flag)) (o as Record<string, unknown>)[key] = f.int(flag, 0, { min });
  const nums: Array<[keyof AdderOverrides, string, { min?: number; max?: number; exclusiveMin?: boolean }]> = [
    ['initStd', 'init-std', { min: 0 }],
    ['inputScale', 'input-scale', { min: 0, exclusiveMin: true }],
    ['slope', 'slope', { min: 0, exclusiveMin: true }],
    ['rewardLr', 'reward-lr', { min: 0, exclusiveMin: true }],
    ['rewardLrFinal', 'reward-lr-final', { min: 0, max: 1 }],
    ['ascentLr', 'ascent-lr', { min: 0, exclusiveMin: true }],
    ['ascentInit', 'ascent-init', {}],
    ['perturbMax', 'perturb-max', { min: 0 }],
    ['perturbMin', 'perturb-min', { min: 0 }],
    ['perturbTau', 'perturb-tau', { min: 0, exclusiveMin: true }],
  ];
  for (const [key, flag, range] of nums) if (f.has(flag)) (o as Record<string, unknown>)[key] = f.number(flag, 0, range);
  if (f.has('model')) o.model = f.choice('model', ADDER_MODELS, 'linear');
  if (f.has('activation')) o.activation = f.choice('activation', ACTIVATIONS, 'leakyRelu');
  if (f.has('ascent')) o.ascent = f.choice('ascent', ASCENT_METHODS, 'rprop');
  if (f.has('hidden')) {
    const raw = f.string('hidden')!;
    const hs = raw.split(',').map((s) => (s.trim() === '' ? Number.NaN : Number(s)));
    if (!hs.every((h) => Number.isInteger(h) && h >= 1 && h <= 4096)) throw new ConfigError('hidden', `--hidden expects widths like 16,16 (integers in [1, 4096]), got "${raw}"`);
    o.hidden = hs;
  }
  const t = teacherFromFlags(f, ADDER_PRESET_VALUES[preset].teacher);
  o.teacher = t.teacher;
  o.teacherOverrides = t.overrides;
  return resolveAdderConfig(o);
}

export async function adderCommand(argv: string[]): Promise<number> {
  // 1. parse and validate everything before touching the disk
  const f = commandFlags(argv, { ...COMMON_RUN_FLAGS, ...ADDER_FLAGS_SPEC }, ADDER_HELP);
  if (!f) return 0;
  const config = adderConfigFromFlags(f);
  if (f.has('backend')) f.choice('backend', ['auto', 'tensorflow', 'wasm', 'cpu'] as const, 'auto'); // accepted for uniformity; the adder runs on typed arrays
  const { out, resume, stopAfter } = runTargetFromFlags(f, 'adder');

  // 2. run
  const quiet = f.bool('quiet');
  const res = await runAdder(config, { out, resume, quiet, report: !f.bool('no-report'), ...(stopAfter !== undefined ? { stopAfter, stopHard: true } : {}) });
  const s = res.summary!;
  if (f.bool('json')) console.log(JSON.stringify(s));
  else if (!quiet)
    console.log(
      `adder (${config.model}): preference_accuracy ${s.preference_accuracy.toFixed(3)} (target ${ADDER_TARGETS.preferenceAccuracy}), action_mse ${s.action_mse.toFixed(4)} ` +
        `(target ≤ ${ADDER_TARGETS.actionMse}), random-pair accuracy ${s.random_pair_accuracy.toFixed(3)}, ${s.labels} labels, ${s.seconds.toFixed(2)} s → ${res.dir}`,
    );
  return 0;
}
