/**
 * The line's sampler (loop steps 1–2): roll out this iteration's episodes with the current policy, keep the last
 * `queryBuffer` episodes, draw candidate pairs of `segmentLength`-step segments from them, and pick the queries to
 * ask — at random, or where the reward ensemble disagrees most (disagreement / entropy of P(σˡ ≻ σʳ)).
 */
import type { Rng } from '../../core/rng.js';
import type { QuerySampler } from '../../loop/parts.js';
import { pairProbabilitiesFromReturns } from '../../reward/ensemble.js';
import type { LabelBudget } from '../../reward/labelBudget.js';
import { selectQueries } from '../../reward/querySelection.js';
import type { LineBatch, LineQuery, LineSegment } from './batch.js';
import type { LineConfig } from './config.js';
import { NUM_ACTIONS, rollout, type Episode, type LineEnv } from './env.js';

/** What the sampler reads of the rest of the loop: the policy's P(right | s) and the reward members' r̂_k(s, a). */
export interface LineSamplerSources {
  policyTable(): Float64Array;
  memberTables(): Float64Array[];
}

export class LineSampler implements QuerySampler<LineBatch> {
  /** the last `queryBuffer` episodes: where candidate segments come from */
  buffer: Episode[] = [];
  /** training episodes rolled out so far */
  episodesDone = 0;

  constructor(
    private readonly config: LineConfig,
    private readonly env: LineEnv,
    private readonly sources: LineSamplerSources,
    readonly budget: LabelBudget,
    private readonly rng: { env: Rng; select: Rng },
  ) {}

  /** Iteration `iteration` (1-based): its episodes and the queries to ask about. */
  sample(iteration: number): LineBatch {
    const c = this.config;
    // 1. roll out with the policy of the iteration's start (it is updated after every episode, later)
    const n = this.episodesThisIteration();
    const pRight = this.sources.policyTable();
    const episodes: Episode[] = [];
    for (let e = 0; e < n; e++) episodes.push(rollout(this.env, pRight, c.maxSteps, this.rng.env));
    this.episodesDone += n;
    this.buffer.push(...episodes);
    if (this.buffer.length > c.queryBuffer) this.buffer.splice(0, this.buffer.length - c.queryBuffer);
    // 2. the queries
    return { episodes, queries: this.queries(iteration - 1) };
  }

  /** Episodes of the next iteration: episodesPerIteration, fewer at the end of the run. */
  episodesThisIteration(): number {
    return Math.min(this.config.episodesPerIteration, this.config.episodes - this.episodesDone);
  }

  /** One more episode under P(right | s) = pRight[s] (the seed's regression mode updates after each episode). */
  rolloutOne(pRight: Float64Array): Episode {
    this.episodesDone++;
    return rollout(this.env, pRight, this.config.maxSteps, this.rng.env);
  }

  /** n_σ(s, a) counts, judged rewards, states and actions of steps t0..t1−1 of an episode */
  private slice(ep: Episode, t0: number, t1: number): LineSegment {
    const counts = new Float64Array(this.config.size * NUM_ACTIONS);
    for (let t = t0; t < t1; t++) counts[ep.states[t]! * NUM_ACTIONS + ep.actions[t]!]! += 1;
    return { counts, judged: ep.judged.slice(t0, t1), states: ep.states.slice(t0, t1), actions: ep.actions.slice(t0, t1) };
  }

  /** A random window of `segmentLength` steps (the whole episode when shorter). */
  private segment(ep: Episode): LineSegment {
    const L = this.config.segmentLength;
    const T = ep.states.length;
    const t0 = T > L ? this.rng.select.int(T - L + 1) : 0;
    return this.slice(ep, t0, Math.min(T, t0 + L));
  }

  /** Candidate pairs from the buffer → the selected queries (spent from the budget). `t` is 0-based. */
  private queries(t: number): LineQuery[] {
    const want = this.budget.allowance(t);
    if (want === 0) return [];
    const c = this.config;
    const episodes = this.buffer;
    const poolSize = want * c.poolFactor;
    const cands: LineQuery[] = [];
    // Pairs whose (state, action) counts are identical are left out: no reward model of (s, a) can tell them
    // apart, so their label carries no information (and a person would be asked to compare two equal clips).
    for (let i = 0, tries = 0; i < poolSize && tries < 20 * poolSize; tries++) {
      const a = this.rng.select.int(episodes.length);
      let b = episodes.length > 1 ? this.rng.select.int(episodes.length - 1) : a;
      if (episodes.length > 1 && b >= a) b++;
      const q = { left: this.segment(episodes[a]!), right: this.segment(episodes[b]!) };
      if (sameCounts(q.left.counts, q.right.counts)) continue;
      cands.push(q);
      i++;
    }
    if (cands.length === 0) return [];
    let picked: number[];
    if (c.querySelection === 'random') {
      picked = this.rng.select.sampleIndices(cands.length, Math.min(want, cands.length));
    } else {
      // P_k(σˡ ≻ σʳ) = sigmoid(R_k(σˡ) − R_k(σʳ)), R_k(σ) = Σ_{s,a} n_σ(s,a) r̂_k(s,a)
      const tables = this.sources.memberTables();
      const P = pairProbabilitiesFromReturns(tables.map((r) => ({ left: cands.map((q) => dot(q.left.counts, r)), right: cands.map((q) => dot(q.right.counts, r)) })));
      picked = selectQueries(c.querySelection, P, want, this.rng.select);
    }
    this.budget.spend(picked.length);
    return picked.map((i) => cands[i]!);
  }
}

function sameCounts(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Σᵢ aᵢ bᵢ */
function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
