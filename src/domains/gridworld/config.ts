/**
 * The gridworld run's configuration: one interface with documented defaults (DESIGN.md: 5×5, start (0,0), goal (4,4),
 * horizon 30, batch 100, 200 iterations, 50 Adam steps at lr 1e-2) and its options, each described once
 * (GRIDWORLD_OPTIONS: flag, range, default, help), from which come the resolver, the flag reading and --help.
 */
import { ConfigError } from '../../core/errors.js';
import { defineOptions, type Option } from '../../core/config/options.js';
import { teacherOptions, type TeacherConfig, type TeacherName } from '../../teachers/bpref.js';
import { activeQueryOptions, QUERY_SELECTIONS, type QuerySelection } from '../../reward/querySelection.js';
import type { LabelSchedule } from '../../reward/labelBudget.js';

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

/** Default iterations to draw paths at: 1, ⌈I/20⌉, ⌈I/4⌉, I (the peer's 1, 10, 50, 200 for I = 200). */
export function defaultPathIterations(iterations: number): number[] {
  return [...new Set([1, Math.ceil(iterations / 20), Math.ceil(iterations / 4), iterations])].filter((i) => i >= 1 && i <= iterations).sort((a, b) => a - b);
}

/** What resolveGridworldConfig takes: any subset of the config; teacher parameters as overrides; starts may be "all". */
export type GridworldConfigInput = Partial<Omit<GridworldConfig, 'teacherParams' | 'starts'>> & {
  teacherParams?: Partial<TeacherConfig>;
  /** start cells, or "all": every cell that is not a goal */
  starts?: Array<[number, number]> | 'all';
};

export const QUERY_SELECTION_CHOICES = ['all', ...QUERY_SELECTIONS] as const;

type Cell = [number, number];

/** "X,Y;X,Y" (or a repeated flag) → cells; `all` (for --start) passes through. */
function parseCells(raw: readonly string[], flag: string): Cell[] | 'all' {
  if (flag === 'start' && raw.length === 1 && raw[0]!.trim() === 'all') return 'all';
  const parts = raw.flatMap((s) => s.split(/[;\s]+/)).filter((s) => s.length > 0);
  if (parts.length === 0) throw new ConfigError(flag, `--${flag} needs at least one value like 0,0`);
  return parts.map((p) => {
    const nums = p.split(',').map((x) => (x.trim() === '' ? Number.NaN : Number(x)));
    if (nums.length !== 2 || !nums.every(Number.isInteger)) throw new ConfigError(flag, `--${flag} expects 2 integers separated by commas (e.g. 0,0), got "${p}"`);
    return nums as Cell;
  });
}

/** Checks cells against the grid (copies them). */
function gridCells(flag: string, v: unknown, size: number): Cell[] {
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError(flag, `--${flag} needs at least one cell`);
  return v.map((c: unknown) => {
    const [x, y] = Array.isArray(c) ? (c as number[]) : [];
    if (!Array.isArray(c) || c.length !== 2 || !Number.isInteger(x) || !Number.isInteger(y) || x! < 0 || y! < 0 || x! >= size || y! >= size)
      throw new ConfigError(flag, `--${flag} ${Array.isArray(c) ? c.join(',') : JSON.stringify(c)} is outside the ${size}×${size} grid (x and y must be in 0..${size - 1})`);
    return [x!, y!] as Cell;
  });
}

const RUN = 'run';
const teacher = teacherOptions<GridworldConfig>({ params: 'teacherParams', default: 'noisy' });
// the shared ensemble/active-query options; "all" = ask about every sampled pair, as the seed does
const aq = activeQueryOptions<GridworldConfig>({
  rewardEnsemble: { help: 'K reward models (randomized priors); the planning reward is their mean' },
  querySelection: { choices: QUERY_SELECTION_CHOICES, default: 'all', help: 'which sampled pairs to ask about (disagreement needs K ≥ 2: variance of P(σˡ≻σʳ) across members; entropy: of the mean P)' },
  labelsPerIteration: {
    default: (c: GridworldConfig) => (c.querySelection === 'all' ? c.batch : Math.ceil(c.batch / c.poolFactor)),
    max: (c: GridworldConfig) => c.batch,
    help: 'n₀, pairs asked per iteration',
    defaultHelp: 'B with all, else ⌈B / pool-factor⌉',
  },
  poolFactor: { help: 'with a selection strategy, ask the best 1/F of the B sampled pairs' },
  bootstrap: { flag: 'bootstrap', sets: true, negatable: true, default: false, help: "members fit Poisson(1)-resampled labels (online bootstrap); off: they differ by their randomized priors only" },
});

const OPTIONS: Option<GridworldConfig>[] = [
  { key: 'size', type: 'int', min: 1, max: 1000, default: 5, metavar: 'N', help: 'grid size N×N' },
  {
    key: 'starts',
    flag: 'start',
    type: 'custom',
    multiple: true,
    default: [[0, 0]],
    metavar: 'X,Y',
    help: 'start cell(s), "X,Y;X,Y" or repeated, or "all" (every non-goal cell)',
    parse: parseCells,
    coerce: (v, c) => {
      if (v !== 'all') return gridCells('start', v, c.size);
      const goals = new Set(c.goals.map(([x, y]) => `${x},${y}`));
      const all: Cell[] = [];
      for (let y = 0; y < c.size; y++) for (let x = 0; x < c.size; x++) if (!goals.has(`${x},${y}`)) all.push([x, y]);
      if (all.length === 0) throw new ConfigError('start', '--start all: every cell is a goal, so no start cell is left');
      return all;
    },
  },
  {
    key: 'goals',
    flag: 'goal',
    type: 'custom',
    multiple: true,
    default: (c) => [[c.size - 1, c.size - 1]],
    defaultHelp: 'N-1,N-1',
    metavar: 'X,Y',
    help: 'goal cell(s), same syntax; the true target distribution is uniform over them',
    parse: parseCells,
    coerce: (v, c) => gridCells('goal', v, c.size),
  },
  { key: 'slip', type: 'number', min: 0, max: 1, exclusiveMax: true, default: 0, metavar: 'P', help: 'probability a move slips sideways' },
  { key: 'rewardEps', type: 'number', min: 0, max: 1, exclusiveMin: true, exclusiveMax: true, default: 1e-6, metavar: 'E', symbol: 'ε', help: 'ε in the true reward log(p*(s) + ε)' },
  { key: 'horizon', type: 'int', min: 1, max: 100_000, default: 30, metavar: 'H', symbol: 'H', help: 'rollout length and planning horizon H' },
  { key: 'batch', type: 'int', min: 1, max: 10_000_000, default: 100, metavar: 'B', help: 'compared pairs per iteration (2B rollouts)' },
  { key: 'iterations', type: 'int', min: 0, max: 100_000_000, default: 200, metavar: 'I', mayDifferOnResume: true, help: 'loop iterations' },
  { key: 'rewardSteps', type: 'int', min: 0, max: 1_000_000, default: 50, metavar: 'K', help: 'Adam steps on the Bradley–Terry loss per iteration' },
  { key: 'lr', type: 'number', min: 0, exclusiveMin: true, default: 1e-2, metavar: 'LR', help: 'Adam learning rate' },
  { key: 'temperature', type: 'number', min: 0, exclusiveMin: true, default: 1, metavar: 'A', symbol: 'α', help: 'α, inverse temperature of the soft-VI policy' },
  { key: 'discount', type: 'number', min: 0, max: 1, default: 1, metavar: 'G', symbol: 'γ', help: 'planning discount γ' },
  teacher.teacher,
  teacher.params,
  { key: 'exploreBonus', type: 'number', min: 0, default: 3, metavar: 'C', help: 'exploration: one rollout of each pair plans on max(r, mean r) + C/√(N(s)+1); 0 = off (the seed)' },
  {
    key: 'rewardImpl',
    type: 'enum',
    choices: REWARD_IMPLS,
    default: 'typed',
    metavar: 'IMPL',
    help: 'fit the reward in plain typed arrays or tfjs (same math)',
    check: (v, c) => (v === 'tfjs' && c.rewardEnsemble > 1 ? `--reward-impl tfjs fits one reward model; use --reward-impl typed with --reward-ensemble ${c.rewardEnsemble}` : undefined),
  },
  aq.rewardEnsemble,
  aq.bootstrap,
  { key: 'ensemblePrior', type: 'number', min: 0, max: 100, default: 2, metavar: 'S', symbol: 'σ', help: "σ of the members' centred random initial logits (randomized priors)", section: aq.rewardEnsemble.section! },
  aq.querySelection,
  aq.labelsPerIteration,
  aq.poolFactor,
  aq.labelBudget,
  aq.labelSchedule,
  aq.labelDecay,
  {
    key: 'replayLabels',
    type: 'bool',
    negatable: true,
    default: (c) => c.querySelection !== 'all' || c.labelBudget !== Infinity,
    defaultHelp: 'on with a selection or a budget',
    section: aq.rewardEnsemble.section!,
    help: "fit the reward on every label so far; off: on this iteration's labels only (the seed)",
  },
  {
    key: 'pathIterations',
    flag: 'paths',
    type: 'list',
    of: 'int',
    min: 1,
    max: (c) => Math.max(1, c.iterations),
    sorted: true,
    items: 'iteration numbers ≥ 1',
    default: (c) => defaultPathIterations(c.iterations),
    defaultHelp: '1,I/20,I/4,I',
    mayDifferOnResume: true,
    metavar: 'I,I,…',
    help: 'iterations whose sample paths are drawn',
  },
  { key: 'seed', type: 'int', min: 0, max: 2 ** 31 - 1, default: 1, metavar: 'S', section: RUN, help: 'master seed; same seed ⇒ identical metrics.jsonl' },
];

/** Every gridworld option, described once: the resolver, the flags and --help come from it. */
export const GRIDWORLD_OPTIONS = defineOptions<GridworldConfig, GridworldConfigInput>('gridworld', OPTIONS);

/** The defaults (DESIGN.md's). */
export const GRIDWORLD_DEFAULTS: GridworldConfig = GRIDWORLD_OPTIONS.resolve();

/** Fills defaults and checks every range; throws ConfigError naming the option (as its CLI flag). */
export function resolveGridworldConfig(input: GridworldConfigInput = {}): GridworldConfig {
  return GRIDWORLD_OPTIONS.resolve(input);
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
