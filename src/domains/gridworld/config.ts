/**
 * The gridworld run's configuration: one interface with documented defaults (DESIGN.md: 5×5, start (0,0), goal (4,4),
 * horizon 30, batch 100, 200 iterations, 50 Adam steps at lr 1e-2), a resolver that checks every range and names the
 * option in its error, and the mapping from command-line flags.
 */
import { ConfigError } from '../../core/errors.js';
import { resolveTeacher, TEACHER_NAMES, type TeacherConfig, type TeacherName } from '../../teachers/bpref.js';
import type { FlagReader, FlagSpec } from '../../cli/args.js';
import { ACTIVE_QUERY_FLAGS, QUERY_SELECTIONS, resolveQuerySelection, type QuerySelection } from '../../reward/querySelection.js';
import { LABEL_SCHEDULES, type LabelSchedule } from '../../reward/labelBudget.js';

export const REWARD_IMPLS = ['typed', 'tfjs'] as const;
export type RewardImpl = (typeof REWARD_IMPLS)[number];

export interface GridworldConfig {
  /** N: the grid is N×N (default 5) */
  size: number;
  /** start cells (x, y), chosen uniformly per episode (default [[0, 0]]) */
  starts: Array<[number, number]>;
  /** goal cells (x, y); the true target distribution is uniform over them (default [[N−1, N−1]]) */
  goals: Array<[number, number]>;
  /** probability that a move slips sideways (default 0) */
  slip: number;
  /** ε in the true reward log(p*(s) + ε) (default 1e-6, the seed's) */
  rewardEps: number;
  /** H: steps per rollout and soft-VI backups (default 30) */
  horizon: number;
  /** compared pairs per iteration: 2 × batch rollouts (default 100) */
  batch: number;
  /** loop iterations (default 200) */
  iterations: number;
  /** Adam steps on the Bradley–Terry loss per iteration (default 50) */
  rewardSteps: number;
  /** Adam learning rate (default 1e-2) */
  lr: number;
  /** α, inverse temperature of the soft-VI policy (default 1) */
  temperature: number;
  /** γ, planning discount (default 1) */
  discount: number;
  /** the simulated judge: one of the B-Pref teachers (default "noisy": Boltzmann β = 1, the seed's human) */
  teacher: TeacherName;
  /** the teacher's parameters after overrides (β, γ, ε, ε_skip, ε_equal) */
  teacherParams: TeacherConfig;
  /**
   * c in the count-based exploration bonus: the exploration rollouts (one of each compared pair) follow soft VI on
   * max(r_θ(s), mean r_θ) + c / √(N(s) + 1), N(s) = visits so far; 0 turns exploration off: both rollouts follow the
   * learned reward, as in the seed. Default 3 (docs/gridworld.md: why, and what it does to the 5×5 results).
   */
  exploreBonus: number;
  /** how the reward model is fitted: plain typed arrays ("typed", default) or a tfjs graph ("tfjs"), same math */
  rewardImpl: RewardImpl;
  /** K reward models; the planning reward is their mean (default 1: the seed's single model) */
  rewardEnsemble: number;
  /**
   * members see Poisson(1)-resampled labels (online bootstrap); otherwise they differ by their randomized priors only
   * (default false here: most gridworld labels are coin flips on tied pairs, and members fitted to different resamples
   * of that noise disagree about the noise instead of about the states no label has reached; docs/active-queries.md)
   */
  bootstrap: boolean;
  /**
   * σ of the members' randomized priors: member k starts at logits σ (zₖ − mean_j z_j), zₖ ~ N(0, I), so members
   * disagree about states no label has reached (what `disagreement` asks about) while their mean starts flat, as the
   * single model (default 2; 0 = identical starts, members differ by their bootstrap only; no effect when K = 1)
   */
  ensemblePrior: number;
  /**
   * which of the B sampled pairs the teacher is asked about: "all" (every pair, the seed; default), or choose
   * labelsPerIteration of them: random, disagreement (variance of P(σˡ ≻ σʳ) across members), entropy (of the mean P)
   */
  querySelection: 'all' | QuerySelection;
  /** n₀, pairs asked per iteration (default: B with "all", else ⌈B / poolFactor⌉) */
  labelsPerIteration: number;
  /** with a selection strategy, the default labelsPerIteration keeps the best 1/poolFactor of the B pairs (default 10) */
  poolFactor: number;
  /** total labels the run may ask for (default Infinity) */
  labelBudget: number;
  /** n_t schedule: constant, or decay n_t = max(1, round(n₀ dᵗ)) (default constant) */
  labelSchedule: LabelSchedule;
  /** d of the decay schedule (default 0.9) */
  labelDecay: number;
  /**
   * fit the reward on every label so far (a label buffer, as PEBBLE / B-Pref) instead of this iteration's labels only
   * (the seed's online fit). Default: on when a query selection or a label budget makes labels scarce, off with
   * "all" (the seed). src/reward/comparisonBuffer.ts says why it matters with few labels per iteration.
   */
  replayLabels: boolean;
  /** iterations whose sample paths are drawn (default 1, I/20, I/4, I) */
  pathIterations: number[];
  /** master seed (default 1) */
  seed: number;
}

export const GRIDWORLD_DEFAULTS = {
  size: 5,
  slip: 0,
  rewardEps: 1e-6,
  horizon: 30,
  batch: 100,
  iterations: 200,
  rewardSteps: 50,
  lr: 1e-2,
  temperature: 1,
  discount: 1,
  teacher: 'noisy' as TeacherName,
  exploreBonus: 3,
  rewardImpl: 'typed' as RewardImpl,
  rewardEnsemble: 1,
  bootstrap: false,
  ensemblePrior: 2,
  querySelection: 'all' as 'all' | QuerySelection,
  poolFactor: 10,
  labelBudget: Infinity,
  labelSchedule: 'constant' as LabelSchedule,
  labelDecay: 0.9,
  seed: 1,
};

/** Default iterations to draw paths at: 1, ⌈I/20⌉, ⌈I/4⌉, I (the peer's 1, 10, 50, 200 for I = 200). */
export function defaultPathIterations(iterations: number): number[] {
  return [...new Set([1, Math.ceil(iterations / 20), Math.ceil(iterations / 4), iterations])].filter((i) => i >= 1 && i <= iterations).sort((a, b) => a - b);
}

export type GridworldConfigInput = Partial<Omit<GridworldConfig, 'teacherParams'>> & { teacherParams?: Partial<TeacherConfig> };

export const QUERY_SELECTION_CHOICES = ['all', ...QUERY_SELECTIONS] as const;

/** Fills defaults and checks every range; throws ConfigError naming the option (as its CLI flag). */
export function resolveGridworldConfig(input: GridworldConfigInput = {}): GridworldConfig {
  const d = GRIDWORLD_DEFAULTS;
  const size = input.size ?? d.size;
  const int = (key: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!(Number.isInteger(v) && v >= min && v <= max)) throw new ConfigError(key, `--${key} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}], got ${v}`);
    return v;
  };
  int('size', size, 1, 1000);
  const cells = (key: string, v: Array<[number, number]>) => {
    if (v.length === 0) throw new ConfigError(key, `--${key} needs at least one cell`);
    for (const c of v) {
      const [x, y] = c;
      if (c.length !== 2 || !Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= size || y >= size)
        throw new ConfigError(key, `--${key} ${c.join(',')} is outside the ${size}×${size} grid (x and y must be in 0..${size - 1})`);
    }
    return v.map(([x, y]) => [x, y] as [number, number]);
  };
  const starts = cells('start', input.starts ?? [[0, 0]]);
  const goals = cells('goal', input.goals ?? [[size - 1, size - 1]]);
  const num = (key: string, v: number, ok: (v: number) => boolean, range: string) => {
    if (!(typeof v === 'number' && ok(v))) throw new ConfigError(key, `--${key} must be ${range}, got ${v}`);
    return v;
  };
  const slip = num('slip', input.slip ?? d.slip, (v) => v >= 0 && v < 1, 'in [0, 1)');
  const rewardEps = num('reward-eps', input.rewardEps ?? d.rewardEps, (v) => v > 0 && v < 1, 'in (0, 1)');
  const horizon = int('horizon', input.horizon ?? d.horizon, 1, 100_000);
  const batch = int('batch', input.batch ?? d.batch, 1, 10_000_000);
  const iterations = int('iterations', input.iterations ?? d.iterations, 0, 100_000_000);
  const rewardSteps = int('reward-steps', input.rewardSteps ?? d.rewardSteps, 0, 1_000_000);
  const lr = num('lr', input.lr ?? d.lr, (v) => v > 0 && Number.isFinite(v), 'a number > 0');
  const temperature = num('temperature', input.temperature ?? d.temperature, (v) => v > 0 && Number.isFinite(v), 'a number > 0');
  const discount = num('discount', input.discount ?? d.discount, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  const exploreBonus = num('explore-bonus', input.exploreBonus ?? d.exploreBonus, (v) => v >= 0 && Number.isFinite(v), 'a number ≥ 0');
  const teacher = (input.teacher ?? d.teacher) as string;
  const tp = input.teacherParams ?? {};
  let teacherParams: TeacherConfig;
  try {
    teacherParams = resolveTeacher(teacher, tp);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(e.key, `--${e.key}: ${e.message}`);
    throw e;
  }
  const rewardImpl = input.rewardImpl ?? d.rewardImpl;
  if (!(REWARD_IMPLS as readonly string[]).includes(rewardImpl)) throw new ConfigError('reward-impl', `--reward-impl must be one of ${REWARD_IMPLS.join(', ')}, got "${rewardImpl}"`);
  const pathIterations = (input.pathIterations ?? defaultPathIterations(iterations)).map((i) => int('paths', i, 1, Math.max(1, iterations)));
  // reward ensemble, active queries, label budget
  const rewardEnsemble = int('reward-ensemble', input.rewardEnsemble ?? d.rewardEnsemble, 1, 64);
  const bootstrap = input.bootstrap ?? d.bootstrap;
  const ensemblePrior = num('ensemble-prior', input.ensemblePrior ?? d.ensemblePrior, (v) => v >= 0 && v <= 100, 'in [0, 100]');
  const qs = input.querySelection ?? d.querySelection;
  if (!(QUERY_SELECTION_CHOICES as readonly string[]).includes(qs)) throw new ConfigError('query-selection', `--query-selection must be one of ${QUERY_SELECTION_CHOICES.join(', ')}; got "${qs}"`);
  const querySelection = qs === 'all' ? 'all' : resolveQuerySelection(qs, rewardEnsemble);
  const poolFactor = int('pool-factor', input.poolFactor ?? d.poolFactor, 1, 1000);
  const labelsPerIteration = int('labels-per-iteration', input.labelsPerIteration ?? (querySelection === 'all' ? batch : Math.ceil(batch / poolFactor)), 1, batch);
  const labelBudget = input.labelBudget ?? d.labelBudget;
  if (!(labelBudget === Infinity || (Number.isInteger(labelBudget) && labelBudget >= 0))) throw new ConfigError('label-budget', `--label-budget must be an integer ≥ 0 or "inf", got ${labelBudget}`);
  const labelSchedule = input.labelSchedule ?? d.labelSchedule;
  if (!(LABEL_SCHEDULES as readonly string[]).includes(labelSchedule)) throw new ConfigError('label-schedule', `--label-schedule must be one of ${LABEL_SCHEDULES.join(', ')}; got "${labelSchedule}"`);
  const labelDecay = num('label-decay', input.labelDecay ?? d.labelDecay, (v) => v > 0 && v <= 1, 'in (0, 1]');
  if (rewardImpl === 'tfjs' && rewardEnsemble > 1) throw new ConfigError('reward-impl', `--reward-impl tfjs fits one reward model; use --reward-impl typed with --reward-ensemble ${rewardEnsemble}`);
  const replayLabels = input.replayLabels ?? (querySelection !== 'all' || labelBudget !== Infinity);
  const seed = int('seed', input.seed ?? d.seed, 0, 2 ** 31 - 1);
  return {
    size,
    starts,
    goals,
    slip,
    rewardEps,
    horizon,
    batch,
    iterations,
    rewardSteps,
    lr,
    temperature,
    discount,
    teacher: teacher as TeacherName,
    teacherParams,
    exploreBonus,
    rewardImpl,
    rewardEnsemble,
    bootstrap,
    ensemblePrior,
    querySelection,
    labelsPerIteration,
    poolFactor,
    labelBudget,
    labelSchedule,
    labelDecay,
    replayLabels,
    pathIterations: [...new Set(pathIterations)].sort((a, b) => a - b),
    seed,
  };
}

/** The config as JSON (β = ∞ and an unlimited budget are written as the string "Infinity", which JSON cannot hold). */
export function configToJson(c: GridworldConfig): Record<string, unknown> {
  const inf = (v: number) => (Number.isFinite(v) ? v : 'Infinity');
  return { ...c, labelBudget: inf(c.labelBudget), teacherParams: { ...c.teacherParams, beta: inf(c.teacherParams.beta) } };
}

/** Inverse of configToJson (for reading config.json). */
export function configFromJson(j: Record<string, unknown>): GridworldConfig {
  const tp = j.teacherParams as Record<string, unknown>;
  const num = (v: unknown) => (v === 'Infinity' ? Infinity : (v as number));
  return resolveGridworldConfig({ ...(j as GridworldConfigInput), labelBudget: num(j.labelBudget), teacherParams: { ...(tp as Partial<TeacherConfig>), beta: num(tp.beta) } });
}

/** Flags of `rlhf run gridworld` (besides COMMON_RUN_FLAGS). */
export const GRIDWORLD_FLAGS = {
  size: { type: 'string' },
  start: { type: 'string', multiple: true },
  goal: { type: 'string', multiple: true },
  slip: { type: 'string' },
  'reward-eps': { type: 'string' },
  horizon: { type: 'string' },
  batch: { type: 'string' },
  iterations: { type: 'string' },
  'reward-steps': { type: 'string' },
  lr: { type: 'string' },
  temperature: { type: 'string' },
  discount: { type: 'string' },
  teacher: { type: 'string' },
  beta: { type: 'string' },
  gamma: { type: 'string' },
  mistake: { type: 'string' },
  skip: { type: 'string' },
  equal: { type: 'string' },
  'explore-bonus': { type: 'string' },
  'reward-impl': { type: 'string' },
  paths: { type: 'string' },
  'no-report': { type: 'boolean' },
  // reward ensemble and active queries: the shared flags of src/reward/querySelection.ts, plus the gridworld's own
  ...ACTIVE_QUERY_FLAGS,
  bootstrap: { type: 'boolean' },
  'ensemble-prior': { type: 'string' },
  'replay-labels': { type: 'boolean' },
  'no-replay-labels': { type: 'boolean' },
} as const satisfies FlagSpec;

export const GRIDWORLD_HELP = `rlhf run gridworld — RLHF on an N×N gridworld (soft value iteration + a learned state reward)

options (defaults in brackets):
  --size N             grid size N×N [5]
  --start X,Y          start cell(s), "X,Y;X,Y" or repeated, or "all" (every non-goal cell) [0,0]
  --goal X,Y           goal cell(s), same syntax [N-1,N-1]
  --slip P             probability a move slips sideways [0]
  --reward-eps E       ε in the true reward log(p*(s) + ε) [1e-6]
  --horizon H          rollout length and planning horizon [30]
  --batch B            compared pairs per iteration (2B rollouts) [100]
  --iterations I       loop iterations [200]
  --reward-steps K     Adam steps on the Bradley–Terry loss per iteration [50]
  --lr LR              Adam learning rate [0.01]
  --temperature A      α, inverse temperature of the soft-VI policy [1]
  --discount G         planning discount γ [1]
  --teacher NAME       simulated judge: ${TEACHER_NAMES.join(', ')} [noisy]
  --beta B             teacher rationality β ("inf" = rational) [teacher's]
  --gamma G            teacher myopia γ ∈ (0, 1] [teacher's]
  --mistake E          teacher mistake probability ε [teacher's]
  --skip E             teacher skip fraction ε_skip [teacher's]
  --equal E            teacher equal fraction ε_equal [teacher's]
  --explore-bonus C    exploration: one rollout of each pair plans on max(r, mean r) + C/√(N(s)+1); 0 = off (the seed) [3]
  --reward-impl IMPL   fit the reward in plain typed arrays or tfjs: typed, tfjs [typed]
  --paths I,I,...      iterations whose sample paths are drawn [1,I/20,I/4,I]
  --no-report          skip plots and report.html (metrics, summary and checkpoints are still written)

reward ensemble and active queries:
  --reward-ensemble K        K reward models (randomized priors); the planning reward is their mean [1]
  --query-selection S        which sampled pairs to ask about: all, random, disagreement, entropy [all]
                             (disagreement = variance of P(σˡ≻σʳ) across members, needs K ≥ 2; entropy = of the mean P)
  --labels-per-iteration N   pairs asked per iteration (n₀) [B with all, else ⌈B / pool-factor⌉]
  --pool-factor F            with a selection strategy, ask the best 1/F of the B sampled pairs [10]
  --label-budget N           at most N labels in the whole run ("inf" = no limit) [inf]
  --label-schedule S         constant | decay (n_t = max(1, round(n₀·dᵗ))) [constant]
  --label-decay D            d ∈ (0, 1] of the decay schedule [0.9]
  --bootstrap                members fit Poisson(1)-resampled labels (online bootstrap)
  --no-bootstrap             members differ by their randomized priors only [default]
  --ensemble-prior S         σ of the members' centred random initial logits (randomized priors) [2]
  --replay-labels            fit the reward on every label so far, not only this iteration's
  --no-replay-labels         fit on this iteration's labels only (the seed) [replay with a selection or a budget]
  --seed S             master seed; same seed ⇒ identical metrics.jsonl [1]
  --out DIR            run directory [runs/gridworld-<timestamp>]
  --resume             continue the run in --out from its last checkpoint
  --backend NAME       tensor backend for --reward-impl tfjs: auto, tensorflow, wasm, cpu [auto]
  --quiet              no progress bar
  --json               print the summary as the last line of stdout
  -h, --help           this help`;

/** Reads and validates every gridworld flag into a config (nothing is written here). */
export function configFromFlags(f: FlagReader): GridworldConfig {
  const size = f.int('size', GRIDWORLD_DEFAULTS.size, { min: 1, max: 1000 });
  const input: GridworldConfigInput = { size };
  if (f.has('start')) {
    const raw = f.strings('start')!;
    input.starts = raw.length === 1 && raw[0]!.trim() === 'all' ? [] : (f.intTuples('start', 2, []) as Array<[number, number]>);
  }
  if (f.has('goal')) input.goals = f.intTuples('goal', 2, []) as Array<[number, number]>;
  if (input.starts && input.starts.length === 0) {
    // "all": every non-goal cell, as the seed does when no start is given
    const goals = new Set((input.goals ?? [[size - 1, size - 1]]).map(([x, y]) => `${x},${y}`));
    input.starts = [];
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (!goals.has(`${x},${y}`)) input.starts.push([x, y]);
    if (input.starts.length === 0) throw new ConfigError('start', '--start all: every cell is a goal, so no start cell is left');
  }
  input.slip = f.number('slip', GRIDWORLD_DEFAULTS.slip, { min: 0 });
  input.rewardEps = f.number('reward-eps', GRIDWORLD_DEFAULTS.rewardEps, { min: 0, exclusiveMin: true });
  input.horizon = f.int('horizon', GRIDWORLD_DEFAULTS.horizon, { min: 1 });
  input.batch = f.int('batch', GRIDWORLD_DEFAULTS.batch, { min: 1 });
  input.iterations = f.int('iterations', GRIDWORLD_DEFAULTS.iterations, { min: 0 });
  input.rewardSteps = f.int('reward-steps', GRIDWORLD_DEFAULTS.rewardSteps, { min: 0 });
  input.lr = f.number('lr', GRIDWORLD_DEFAULTS.lr, { min: 0, exclusiveMin: true });
  input.temperature = f.number('temperature', GRIDWORLD_DEFAULTS.temperature, { min: 0, exclusiveMin: true });
  input.discount = f.number('discount', GRIDWORLD_DEFAULTS.discount, { min: 0, max: 1 });
  input.teacher = f.choice('teacher', TEACHER_NAMES, GRIDWORLD_DEFAULTS.teacher);
  const tp: Partial<TeacherConfig> = {};
  if (f.has('beta')) {
    const raw = f.string('beta')!;
    tp.beta = /^\+?inf(inity)?$/i.test(raw.trim()) ? Infinity : f.number('beta', 1, { min: 0, exclusiveMin: true });
  }
  if (f.has('gamma')) tp.gamma = f.number('gamma', 1, { min: 0, exclusiveMin: true, max: 1 });
  if (f.has('mistake')) tp.epsMistake = f.number('mistake', 0, { min: 0 });
  if (f.has('skip')) tp.epsSkip = f.number('skip', 0, { min: 0 });
  if (f.has('equal')) tp.epsEqual = f.number('equal', 0, { min: 0 });
  input.teacherParams = tp;
  input.exploreBonus = f.number('explore-bonus', GRIDWORLD_DEFAULTS.exploreBonus, { min: 0 });
  input.rewardImpl = f.choice('reward-impl', REWARD_IMPLS, GRIDWORLD_DEFAULTS.rewardImpl);
  if (f.has('paths')) {
    const raw = f.string('paths')!;
    const its = raw.split(',').map((s) => (s.trim() === '' ? Number.NaN : Number(s)));
    if (!its.every((i) => Number.isInteger(i) && i >= 1)) throw new ConfigError('paths', `--paths expects iteration numbers ≥ 1 separated by commas, got "${raw}"`);
    input.pathIterations = its;
  }
  // reward ensemble and active queries: the shared flags (src/reward/querySelection.ts), plus "all" = ask every pair
  if (f.has('reward-ensemble')) input.rewardEnsemble = f.int('reward-ensemble', 1, { min: 1, max: 64 });
  if (f.has('query-selection')) input.querySelection = f.choice('query-selection', QUERY_SELECTION_CHOICES, 'all');
  if (f.has('label-budget')) {
    const raw = f.string('label-budget')!.trim();
    input.labelBudget = /^\+?inf(inity)?$/i.test(raw) ? Infinity : f.int('label-budget', 0, { min: 0 });
  }
  if (f.has('labels-per-iteration')) input.labelsPerIteration = f.int('labels-per-iteration', 1, { min: 1 });
  if (f.has('label-schedule')) input.labelSchedule = f.choice('label-schedule', LABEL_SCHEDULES, 'constant');
  if (f.has('label-decay')) input.labelDecay = f.number('label-decay', 0.9, { min: 0, exclusiveMin: true, max: 1 });
  if (f.has('pool-factor')) input.poolFactor = f.int('pool-factor', 10, { min: 1, max: 1000 });
  const bootstrap = f.onOff('bootstrap');
  if (bootstrap !== undefined) input.bootstrap = bootstrap;
  const replayLabels = f.onOff('replay-labels');
  if (replayLabels !== undefined) input.replayLabels = replayLabels;
  if (f.has('ensemble-prior')) input.ensemblePrior = f.number('ensemble-prior', GRIDWORLD_DEFAULTS.ensemblePrior, { min: 0, max: 100 });
  input.seed = f.int('seed', GRIDWORLD_DEFAULTS.seed, { min: 0, max: 2 ** 31 - 1 });
  return resolveGridworldConfig(input);
}
