/**
 * Reward ensembles: K reward models that differ by their initial seed and (optionally) by bootstrapped data.
 * The ensemble's reward is the members' mean; their spread says where the reward is still unknown, which is
 * what active query selection (querySelection.ts) asks the judges about.
 *
 * Generic over the member type: a domain supplies a function that gives one member's predictions, the ensemble
 * combines them. Bootstrapping is online (Oza & Russell 2001): each new label gets a Poisson(1) weight per member
 * when it arrives, which equals resampling the growing dataset with replacement, and keeps old weights fixed.
 * Plain numbers only: importing this module does not load tfjs.
 */
import { ConfigError, ShapeError } from '../core/errors.js';
import { sigmoid } from '../core/math.js';
import type { Rng } from '../core/rng.js';
import type { PairProbabilities } from './querySelection.js';

export interface EnsembleConfig {
  /** K, number of members (1 = a single model). Default 1. */
  size: number;
  /** resample the labels per member (Poisson(1) weights); otherwise members differ only by their seed. Default true. */
  bootstrap: boolean;
}

export const DEFAULT_ENSEMBLE: EnsembleConfig = { size: 1, bootstrap: true };

export function resolveEnsembleConfig(c: Partial<EnsembleConfig> = {}, flag = 'reward-ensemble'): EnsembleConfig {
  const r = { ...DEFAULT_ENSEMBLE, ...c };
  if (!Number.isInteger(r.size) || r.size < 1 || r.size > 64) throw new ConfigError(flag, `--${flag} must be an integer in [1, 64], got ${r.size}`);
  return r;
}

/** One draw from Poisson(1) (Knuth: multiply uniforms until the product drops below e^−1). */
export function poisson1(rng: Rng): number {
  const L = Math.exp(-1);
  let k = 0;
  let p = rng.uniform();
  while (p > L) {
    k++;
    p *= rng.uniform();
  }
  return k;
}

/**
 * Per-member weights of the labels, grown as labels arrive. With bootstrap off every weight is 1.
 * Serializable (state()/setState()) so a resumed run keeps the same resamples.
 */
export class BootstrapWeights {
  private readonly w: number[][];
  constructor(
    readonly members: number,
    readonly bootstrap: boolean,
  ) {
    this.w = Array.from({ length: members }, () => []);
  }

  /** Adds `n` new labels: a Poisson(1) weight each per member (or 1 each). */
  grow(n: number, rng: Rng): void {
    for (let k = 0; k < this.members; k++)
      for (let i = 0; i < n; i++) this.w[k]!.push(this.bootstrap && this.members > 1 ? poisson1(rng) : 1);
  }

  get count(): number {
    return this.w[0]?.length ?? 0;
  }

  /** Member k's weights for labels 0..count−1. */
  weights(k: number): Float32Array {
    const w = this.w[k];
    if (!w) throw new ShapeError(`ensemble member ${k} does not exist (K = ${this.members})`);
    return Float32Array.from(w);
  }

  state(): number[][] {
    return this.w.map((r) => r.slice());
  }

  setState(s: number[][]): void {
    if (s.length !== this.members) throw new ShapeError(`bootstrap state has ${s.length} members, expected ${this.members}`);
    for (let k = 0; k < this.members; k++) this.w[k] = s[k]!.slice();
  }
}

/** Predicted returns of one member for N candidate pairs. */
export interface PairReturns {
  left: ArrayLike<number>;
  right: ArrayLike<number>;
}

export class RewardEnsemble<M> {
  constructor(readonly members: readonly M[]) {
    if (members.length < 1) throw new ConfigError('reward-ensemble', 'an ensemble needs at least one member');
  }

  get size(): number {
    return this.members.length;
  }

  /** P_k(left_i ≻ right_i) = sigmoid(R_k(left_i) − R_k(right_i)) for every member k and candidate i. */
  pairProbabilities(predict: (member: M, k: number) => PairReturns): PairProbabilities {
    const rows = this.members.map((m, k) => predict(m, k));
    return pairProbabilitiesFromReturns(rows);
  }

  /** Mean and standard deviation across members of per-item predictions (e.g. rewards of states). */
  meanAndStd(predict: (member: M, k: number) => ArrayLike<number>): { mean: Float64Array; std: Float64Array } {
    return meanAndStd(this.members.map((m, k) => predict(m, k)));
  }
}

/** [K, N] probabilities (and their log-odds) from each member's predicted returns of the left and right segments. */
export function pairProbabilitiesFromReturns(rows: PairReturns[]): PairProbabilities {
  const K = rows.length;
  const N = rows[0]?.left.length ?? 0;
  const p = new Float64Array(K * N);
  const logOdds = new Float64Array(K * N);
  rows.forEach((r, k) => {
    if (r.left.length !== N || r.right.length !== N)
      throw new ShapeError(`member ${k} predicted ${r.left.length} left and ${r.right.length} right returns, expected ${N} each`);
    for (let i = 0; i < N; i++) {
      const d = r.left[i]! - r.right[i]!; // d_k,i = R_k(left) − R_k(right) = logit P_k
      logOdds[k * N + i] = d;
      p[k * N + i] = sigmoid(d);
    }
  });
  return { members: K, candidates: N, p, logOdds };
}

/** mean_i = (1/K) Σ_k x_k,i ;  std_i = sqrt((1/K) Σ_k (x_k,i − mean_i)²)  (shifted by member 0: exact 0 for equal members). */
export function meanAndStd(rows: ArrayLike<number>[]): { mean: Float64Array; std: Float64Array } {
  const K = rows.length;
  const N = rows[0]?.length ?? 0;
  const mean = new Float64Array(N);
  const std = new Float64Array(N);
  for (const r of rows) if (r.length !== N) throw new ShapeError(`ensemble members predicted ${r.length} and ${N} values`);
  for (let i = 0; i < N; i++) {
    const x0 = rows[0]![i]!;
    let s = 0;
    let s2 = 0;
    for (let k = 1; k < K; k++) {
      const d = rows[k]![i]! - x0;
      s += d;
      s2 += d * d;
    }
    mean[i] = x0 + s / K;
    std[i] = Math.sqrt(Math.max(0, s2 / K - (s / K) ** 2));
  }
  return { mean, std };
}

/**
 * Centred randomized priors (Osband et al. 2018, "Randomized prior functions"), for members whose parameters start
 * where their prior is: θₖ = σ (zₖ − (1/K) Σ_j z_j), zₖ ~ N(0, I_n). Each member starts at a different random
 * function, so members disagree about inputs no label has reached yet (with identical starts they agree there, and
 * `disagreement` cannot see what is unexplored), while the members' mean starts at 0, the single model's start.
 * K = 1 or σ = 0 gives zeros. Returns K arrays of n values.
 */
export function centredPriors(members: number, n: number, sigma: number, rng: Rng): Float64Array[] {
  if (!Number.isInteger(members) || members < 1) throw new ConfigError('reward-ensemble', `an ensemble needs an integer ≥ 1 members, got ${members}`);
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw new ConfigError('ensemble-prior', `the prior scale must be a finite number ≥ 0, got ${sigma}`);
  const z = Array.from({ length: members }, () => (sigma > 0 && members > 1 ? Float64Array.from(rng.normalArray(n, 1)) : new Float64Array(n)));
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let k = 0; k < members; k++) mean += z[k]![i]! / members;
    for (let k = 0; k < members; k++) z[k]![i] = sigma * (z[k]![i]! - mean);
  }
  return z;
}
