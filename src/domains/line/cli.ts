/**
 * `rlhf run line [options]`: validates every flag first (a bad value exits 2 with one line naming the flag and
 * writes nothing), then runs the loop with a progress bar on stderr; --json prints the summary as the last stdout line.
 *
 * Test hook: RLHF_STOP_AFTER=k ends the process abruptly (exit 75) right after iteration k's checkpoint.
 */
import { commandFlags, COMMON_RUN_FLAGS, FlagReader, runTargetFromFlags } from '../../cli/args.js';
import { ConfigError } from '../../core/errors.js';
import { ACTIVE_QUERY_FLAGS, ACTIVE_QUERY_HELP, activeQueryFromFlags } from '../../reward/querySelection.js';
import { TEACHER_NAMES, type TeacherConfig } from '../../teachers/bpref.js';
import { LINE_BASELINES, LINE_FEEDBACK, LINE_PRESETS, LINE_PRESET_VALUES, resolveLineConfig, type LineConfig, type LineOverrides } from './config.js';
import { runLine } from './run.js';

export const LINE_FLAGS_SPEC = {
  ...ACTIVE_QUERY_FLAGS,
  preset: { type: 'string' },
  size: { type: 'string' },
  episodes: { type: 'string' },
  'episodes-per-iteration': { type: 'string' },
  'max-steps': { type: 'string' },
  'eval-steps': { type: 'string' },
  feedback: { type: 'string' },
  'segment-length': { type: 'string' },
  'query-buffer': { type: 'string' },
  hidden: { type: 'string' },
  'reward-lr': { type: 'string' },
  'reward-steps': { type: 'string' },
  'policy-lr': { type: 'string' },
  'adam-eps': { type: 'string' },
  discount: { type: 'string' },
  baseline: { type: 'string' },
  'baseline-rate': { type: 'string' },
  'entropy-coef': { type: 'string' },
  'grad-clip': { type: 'string' },
  'raw-state': { type: 'boolean' },
  teacher: { type: 'string' },
  beta: { type: 'string' },
  gamma: { type: 'string' },
  mistake: { type: 'string' },
  skip: { type: 'string' },
  equal: { type: 'string' },
  'no-report': { type: 'boolean' },
} as const;

const D = LINE_PRESET_VALUES.default;
export const LINE_HELP = `rlhf run line — RLHF on a line: walk from 0 to the goal at size−1 (policy MLP + reward MLP, REINFORCE)

usage: rlhf run line [options]

  --preset P                 ${LINE_PRESETS.join(' | ')}: "seed" is the seed demo (per-step regression on the sparse
                             reward, no baseline, lr 1e-3, raw positions, 500 episodes) [default]
  --size N                   positions 0..N−1 [${D.size}]
  --episodes N               training episodes [${D.episodes}]
  --episodes-per-iteration N episodes between reward fits and query rounds [${D.episodesPerIteration}]
  --max-steps N              step cap of a training episode [${D.maxSteps}; seed 1000]
  --eval-steps N             success = goal within N steps [${D.evalSteps}]
  --feedback F               ${LINE_FEEDBACK.join(' | ')} [${D.feedback}]
  --segment-length N         steps per compared segment [${D.segmentLength}]
  --query-buffer N           candidate segments come from the last N episodes [${D.queryBuffer}]
  --hidden N                 hidden units of both MLPs [${D.hidden}]
  --reward-lr LR             reward models' Adam step [${D.rewardLr}]
  --reward-steps N           full-batch Adam steps per iteration [${D.rewardSteps}]
  --policy-lr LR             policy's Adam step [${D.policyLr}]
  --adam-eps E               Adam ε [${D.adamEps}]
  --discount G               γ of the return-to-go over predicted rewards [${D.discount}]
  --baseline B               ${LINE_BASELINES.join(' | ')} [${D.baseline}]
  --baseline-rate R          rate of the moving baseline [${D.baselineRate}]
  --entropy-coef C           entropy bonus [${D.entropyCoef}]
  --grad-clip C              clamp each gradient element after the per-episode mean [${D.gradClip}]
  --raw-state                feed raw positions instead of s/(size−1)
  defaults of the active-query options: --reward-ensemble ${D.rewardEnsemble}, --query-selection ${D.querySelection},
  --labels-per-iteration ${D.labelsPerIteration}, --pool-factor ${D.poolFactor}, no budget
${ACTIVE_QUERY_HELP}

simulated teacher (B-Pref):
  --teacher NAME             ${TEACHER_NAMES.join(', ')} [${D.teacher}]
  --beta B                   rationality β ("inf" = rational)
  --gamma G                  myopia γ ∈ (0, 1]
  --mistake E                mistake probability ε
  --skip E                   skip fraction ε_skip
  --equal E                  equal fraction ε_equal

run:
  --seed N                   seed [0]; the same seed gives the same run
  --out DIR                  run directory [runs/line-<time>]
  --resume                   continue the run in --out from its last checkpoint
  --json                     print the summary as JSON (last line of stdout)
  --quiet                    no progress bar
  --no-report                skip the figures and report.html
`;

/** Teacher name and overrides from --teacher/--beta/--gamma/--mistake/--skip/--equal. */
export function teacherFromFlags(f: FlagReader, def: string): { teacher: string; overrides: Partial<TeacherConfig> } {
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

/** The resolved config from flags (throws ConfigError naming the flag). */
export function lineConfigFromFlags(f: FlagReader): LineConfig {
  const preset = f.choice('preset', LINE_PRESETS, 'default');
  const P = LINE_PRESET_VALUES[preset];
  const o: LineOverrides = { preset, ...activeQueryFromFlags(f) };
  const ints: Array<[keyof LineOverrides, string, number]> = [
    ['size', 'size', 2],
    ['episodes', 'episodes', 1],
    ['episodesPerIteration', 'episodes-per-iteration', 1],
    ['maxSteps', 'max-steps', 1],
    ['evalSteps', 'eval-steps', 1],
    ['segmentLength', 'segment-length', 1],
    ['queryBuffer', 'query-buffer', 1],
    ['hidden', 'hidden', 1],
    ['rewardSteps', 'reward-steps', 1],
    ['seed', 'seed', 0],
  ];
  for (const [key, flag, min] of ints) if (f.has(flag)) (o as Record<string, unknown>)[key] = f.int(flag, 0, { min });
  const nums: Array<[keyof LineOverrides, string, { min?: number; max?: number; exclusiveMin?: boolean }]> = [
    ['rewardLr', 'reward-lr', { min: 0, exclusiveMin: true }],
    ['policyLr', 'policy-lr', { min: 0, exclusiveMin: true }],
    ['adamEps', 'adam-eps', { min: 0, exclusiveMin: true }],
    ['discount', 'discount', { min: 0, max: 1 }],
    ['baselineRate', 'baseline-rate', { min: 0, exclusiveMin: true, max: 1 }],
    ['entropyCoef', 'entropy-coef', { min: 0 }],
    ['gradClip', 'grad-clip', { min: 0, exclusiveMin: true }],
  ];
  for (const [key, flag, range] of nums) if (f.has(flag)) (o as Record<string, unknown>)[key] = f.number(flag, 0, range);
  if (f.has('feedback')) o.feedback = f.choice('feedback', LINE_FEEDBACK, P.feedback);
  if (f.has('baseline')) o.baseline = f.choice('baseline', LINE_BASELINES, P.baseline);
  if (f.bool('raw-state')) o.normalizeState = false;
  const t = teacherFromFlags(f, P.teacher);
  o.teacher = t.teacher;
  o.teacherOverrides = t.overrides;
  return resolveLineConfig(o);
}

export async function lineCommand(argv: string[]): Promise<number> {
  // 1. parse and validate everything before touching the disk
  const f = commandFlags(argv, { ...COMMON_RUN_FLAGS, ...LINE_FLAGS_SPEC }, LINE_HELP);
  if (!f) return 0;
  const config = lineConfigFromFlags(f);
  if (f.has('backend')) f.choice('backend', ['auto', 'tensorflow', 'wasm', 'cpu'] as const, 'auto'); // accepted for uniformity; the line runs on typed arrays
  const { out, resume, stopAfter } = runTargetFromFlags(f, 'line');

  // 2. run
  const quiet = f.bool('quiet');
  const res = await runLine(config, { out, resume, quiet, report: !f.bool('no-report'), ...(stopAfter !== undefined ? { stopAfter, stopHard: true } : {}) });
  const s = res.summary!;
  if (f.bool('json')) console.log(JSON.stringify(s));
  else if (!quiet)
    console.log(
      `line ${config.size}: success_rate ${s.success_rate.toFixed(3)} (target ${s.success_target}), ${s.labels} labels` +
        `${s.labels_to_target !== null ? ` (${s.labels_to_target} to target, after ${s.episodes_to_target} episodes)` : ''}, ${s.episodes} episodes, ${s.seconds.toFixed(2)} s → ${res.dir}`,
    );
  return 0;
}
