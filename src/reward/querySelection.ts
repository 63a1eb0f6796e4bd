/**
 * Active query selection: which candidate pairs to show a judge, given what an ensemble of reward models predicts.
 * Domain-independent: a domain turns its candidate pairs into a [K members × N candidates] matrix of
 * P_k(σ¹ ≻ σ²) (see RewardEnsemble.pairProbabilities) and the selector returns candidate indices.
 *
 * Strategies (as in B-Pref, Lee et al. 2021, and PEBBLE):
 *   random        uniform without replacement
 *   disagreement  Var_k[logit P_k(σ¹ ≻ σ²)]      — the members disagree: a label settles a real question
 *                 (of the log-odds R_k(σ¹) − R_k(σ²) when known, else of P_k as in B-Pref; see disagreementScores)
 *   entropy       H(P̄),  P̄ = mean_k P_k          — the (mean) model is unsure which is better
 * B-Pref draws a larger uniform pool first (10× the labels wanted) and keeps the top scores; domains do the same
 * by passing a pool of candidates here.
 */
import { ConfigError, ShapeError } from '../core/errors.js';
import type { Option } from '../core/config/options.js';
import type { Rng } from '../core/rng.js';
import { LABEL_SCHEDULES, type LabelSchedule } from './labelBudget.js';

export const QUERY_SELECTIONS = ['random', 'disagreement', 'entropy'] as const;
export type QuerySelection = (typeof QUERY_SELECTIONS)[number];

/** Predicted preference probabilities of an ensemble: p[k·N + i] = P_k(left_i ≻ right_i). */
export interface PairProbabilities {
  /** K, number of ensemble members */
  members: number;
  /** N, number of candidate pairs */
  candidates: number;
  /** [K, N] row-major */
  p: Float64Array;
  /**
   * [K, N] optional log-odds d_k,i = R_k(left_i) − R_k(right_i) = logit P_k,i (pairProbabilitiesFromReturns fills it);
   * when present, `disagreement` measures the spread of these instead of the saturating P (see disagreementScores)
   */
  logOdds?: Float64Array;
}

/** Checks a strategy name (a CLI flag value) and that the ensemble can support it. */
export function resolveQuerySelection(name: string, ensembleSize: number, flag = 'query-selection'): QuerySelection {
  if (!(QUERY_SELECTIONS as readonly string[]).includes(name))
    throw new ConfigError(flag, `--${flag} must be one of ${QUERY_SELECTIONS.join(', ')}; got "${name}"`);
  if (name === 'disagreement' && ensembleSize < 2)
    throw new ConfigError(flag, `--${flag} disagreement needs an ensemble of at least 2 reward models (--reward-ensemble ≥ 2), got ${ensembleSize}`);
  return name as QuerySelection;
}

function check(P: PairProbabilities): void {
  if (P.p.length !== P.members * P.candidates)
    throw new ShapeError(`pair probabilities hold ${P.p.length} values, expected members × candidates = ${P.members} × ${P.candidates}`);
  if (P.members < 1) throw new ShapeError('pair probabilities need at least one ensemble member');
}

/** P̄_i = (1/K) Σ_k P_k,i : the ensemble's mean preference per candidate. */
export function meanProbability(P: PairProbabilities): Float64Array {
  check(P);
  const { members: K, candidates: N, p } = P;
  const out = new Float64Array(N);
  for (let k = 0; k < K; k++) for (let i = 0; i < N; i++) out[i]! += p[k * N + i]! / K;
  return out;
}

/**
 * Disagreement_i = Var_k[x_k,i] = (1/K) Σ_k (x_k,i − x̄_i)² — exactly 0 when every member predicts the same — of
 *   x = the log-odds d_k,i = R_k(σ¹) − R_k(σ²) when P carries them (the default from pairProbabilitiesFromReturns), or
 *   x = P_k,i = sigmoid(d_k,i) otherwise (B-Pref's measure).
 * Why log-odds: Var_k[P] ≈ Var_k[d]/16 near P = ½, but it vanishes once |d| ≫ 1 — every member "sure", even when they
 * disagree by many nats. Returns summed over long segments of unbounded rewards (the gridworld: 30 steps of log-softmax
 * rewards) are there almost always, so Var P ranks pairs by float noise; B-Pref's tanh-bounded rewards rarely get there.
 * `on` forces either measure. Computed on values shifted by member 0 (Var(x) = mean(δ²) − mean(δ)², δ = x − x₀), which
 * is exact for equal members.
 */
export function disagreementScores(P: PairProbabilities, on: 'log-odds' | 'probability' = P.logOdds ? 'log-odds' : 'probability'): Float64Array {
  check(P);
  const { members: K, candidates: N } = P;
  if (on === 'log-odds' && (!P.logOdds || P.logOdds.length !== K * N)) throw new ShapeError(`disagreement on log-odds needs ${K} × ${N} log-odds, got ${P.logOdds?.length ?? 'none'}`);
  const p = on === 'log-odds' ? P.logOdds! : P.p;
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const x0 = p[i]!;
    let s = 0;
    let s2 = 0;
    for (let k = 1; k < K; k++) {
      const d = p[k * N + i]! - x0;
      s += d;
      s2 += d * d;
    }
    out[i] = Math.max(0, s2 / K - (s / K) ** 2);
  }
  return out;
}

/** H_i = −P̄ log P̄ − (1−P̄) log(1−P̄) (nats): largest (ln 2) when the mean model is 50/50. */
export function entropyScores(P: PairProbabilities): Float64Array {
  const mean = meanProbability(P);
  const out = new Float64Array(mean.length);
  for (let i = 0; i < mean.length; i++) out[i] = binaryEntropy(mean[i]!);
  return out;
}

export function binaryEntropy(p: number): number {
  const q = 1 - p;
  return (p > 0 ? -p * Math.log(p) : 0) + (q > 0 ? -q * Math.log(q) : 0);
}

/** Scores of a strategy (higher = ask first); random scores are uniform draws. */
export function selectionScores(strategy: QuerySelection, P: PairProbabilities, rng: Rng): Float64Array {
  switch (strategy) {
    case 'disagreement':
      return disagreementScores(P);
    case 'entropy':
      return entropyScores(P);
    case 'random': {
      check(P);
      const s = new Float64Array(P.candidates);
      for (let i = 0; i < s.length; i++) s[i] = rng.uniform();
      return s;
    }
  }
}

/**
 * Picks `count` distinct candidate indices by the strategy: the top scores, best first. Ties among scores
 * are broken at random (so identical members under `disagreement` degrade to random selection, not to "the
 * first ones"). `count` larger than the pool returns the whole pool, ordered.
 */
export function selectQueries(strategy: QuerySelection, P: PairProbabilities, count: number, rng: Rng): number[] {
  if (!Number.isInteger(count) || count < 0) throw new ConfigError('count', `number of queries to select must be an integer ≥ 0, got ${count}`);
  const scores = selectionScores(strategy, P, rng);
  const tieBreak = new Float64Array(scores.length);
  for (let i = 0; i < tieBreak.length; i++) tieBreak[i] = rng.uniform();
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  // scores within 1e-12 count as equal, so float noise in "identical" predictions does not pick the order
  idx.sort((a, b) => {
    const d = scores[b]! - scores[a]!;
    if (Math.abs(d) > 1e-12) return d;
    return tieBreak[b]! - tieBreak[a]!;
  });
  return idx.slice(0, Math.min(count, idx.length));
}

/** --help section of the ensemble and active-query options, the same in every domain. */
export const ACTIVE_QUERY_SECTION = 'reward ensemble and active queries';

export type ActiveQueryKey = 'rewardEnsemble' | 'querySelection' | 'labelBudget' | 'labelsPerIteration' | 'labelSchedule' | 'labelDecay' | 'poolFactor' | 'bootstrap';

/** The config fields of those options (activeQueryOptions), for a domain's config to extend. */
export interface ActiveQueryConfig {
  /** K, reward models in the ensemble */
  rewardEnsemble: number;
  /** which candidate pairs to ask about */
  querySelection: QuerySelection;
  /** total queries allowed in the run (Infinity = unlimited) */
  labelBudget: number;
  /** n₀, queries asked per iteration */
  labelsPerIteration: number;
  labelSchedule: LabelSchedule;
  /** d of the 'decay' schedule: n_t = max(1, round(n₀ dᵗ)) */
  labelDecay: number;
  /** candidates drawn per query asked (B-Pref's large_batch / mb_size) */
  poolFactor: number;
  /** bootstrap the labels per member (Poisson(1) weights); else members differ by seed only */
  bootstrap: boolean;
}

/** What a domain may change in an active-query option: its default, help, choices, bounds, flag form. */
export type ActiveQueryOverride = { default?: unknown; help?: string; defaultHelp?: string; choices?: readonly string[]; max?: unknown; negatable?: boolean; flag?: string; sets?: boolean };

/**
 * The ensemble, active-query and label-budget options every domain with a reward ensemble shares (one description;
 * a domain changes defaults and, where its meaning differs, the help line). `querySelection` checks that
 * `disagreement` has an ensemble of at least 2 members.
 */
export function activeQueryOptions<C>(overrides: Partial<Record<ActiveQueryKey, ActiveQueryOverride>> = {}): Record<ActiveQueryKey, Option<C>> {
  const section = ACTIVE_QUERY_SECTION;
  const base: Record<ActiveQueryKey, Record<string, unknown>> = {
    rewardEnsemble: { key: 'rewardEnsemble', type: 'int', min: 1, max: 64, default: 1, metavar: 'K', section, help: 'K reward models (different seeds, bootstrapped labels); their mean is the reward' },
    querySelection: {
      key: 'querySelection',
      type: 'enum',
      choices: QUERY_SELECTIONS,
      default: 'random',
      metavar: 'S',
      section,
      help: 'which candidate pairs to ask about: disagreement = variance of P(σ¹≻σ²) across members, entropy = of the mean P',
      check: (v: string, c: { rewardEnsemble: number }) => {
        if (v !== 'all') resolveQuerySelection(v, c.rewardEnsemble);
        return undefined;
      },
    },
    poolFactor: { key: 'poolFactor', type: 'int', min: 1, max: 1000, default: 10, metavar: 'F', section, help: 'candidates drawn per query asked; the selector keeps the best 1/F' },
    labelBudget: { key: 'labelBudget', type: 'int', min: 0, inf: true, default: Infinity, metavar: 'N', section, help: 'at most N labels in the whole run (inf = no limit)' },
    labelsPerIteration: { key: 'labelsPerIteration', type: 'int', min: 1, default: 10, metavar: 'N', section, help: 'n₀, labels asked per iteration' },
    labelSchedule: { key: 'labelSchedule', type: 'enum', choices: LABEL_SCHEDULES, default: 'constant', metavar: 'S', section, help: 'constant, or decay: n_t = max(1, round(n₀·dᵗ))' },
    labelDecay: { key: 'labelDecay', type: 'number', min: 0, exclusiveMin: true, max: 1, default: 0.9, metavar: 'D', symbol: 'd', section, help: 'd of the decay schedule' },
    bootstrap: { key: 'bootstrap', type: 'bool', flag: 'no-bootstrap', sets: false, default: true, section, help: 'members differ by seed only (no resampled labels)' },
  };
  const out = {} as Record<ActiveQueryKey, Option<C>>;
  for (const k of Object.keys(base) as ActiveQueryKey[]) out[k] = { ...base[k], ...overrides[k] } as unknown as Option<C>;
  return out;
}
