/**
 * The adder's sampler (loop step 2): `poolFactor` candidate queries per query asked — a state (a, b) drawn uniformly,
 * the greedy answer x_g under the learned reward and a perturbed one x_p = x_g + U(−d, d), d shrinking over the
 * epochs — and the ones to ask: at random, or where the reward ensemble disagrees most.
 */
import type { Rng } from '../../core/rng.js';
import type { QuerySampler } from '../../loop/parts.js';
import { pairProbabilitiesFromReturns } from '../../reward/ensemble.js';
import type { LabelBudget } from '../../reward/labelBudget.js';
import { selectQueries } from '../../reward/querySelection.js';
import type { AdderBatch } from './batch.js';
import type { AdderConfig } from './config.js';
import type { AdderReward } from './reward.js';

const pick = (x: Float64Array, idx: number[]) => Float64Array.from(idx, (i) => x[i]!);

export class AdderSampler implements QuerySampler<AdderBatch> {
  constructor(
    private readonly config: AdderConfig,
    private readonly reward: Pick<AdderReward, 'greedy' | 'members'>,
    readonly budget: LabelBudget,
    private readonly rng: { states: Rng; perturb: Rng; select: Rng },
  ) {}

  /** d_t = dMin + (dMax − dMin) exp(−t/τ) (t 0-based) */
  perturbation(t: number): number {
    const c = this.config;
    return c.perturbMin + (c.perturbMax - c.perturbMin) * Math.exp(-t / c.perturbTau);
  }

  /** Epoch `iteration` (1-based): the queries to ask (spent from the budget). */
  sample(iteration: number): AdderBatch {
    const c = this.config;
    const t = iteration - 1;
    const want = this.budget.allowance(t);
    if (want === 0) return { a: new Float64Array(0), b: new Float64Array(0), xl: new Float64Array(0), xr: new Float64Array(0) };
    // 1. candidates: states, greedy answers, perturbed answers
    const P = want * c.poolFactor;
    const a = new Float64Array(P);
    const b = new Float64Array(P);
    for (let i = 0; i < P; i++) {
      a[i] = this.rng.states.int(c.stateMax);
      b[i] = this.rng.states.int(c.stateMax);
    }
    const xg = this.reward.greedy(a, b);
    const d = this.perturbation(t);
    const xp = xg.map((x) => x + d * (2 * this.rng.perturb.uniform() - 1));
    // 2. the queries
    let picked: number[];
    if (c.querySelection === 'random' || P === want) {
      picked = P === want ? Array.from({ length: P }, (_, i) => i) : this.rng.select.sampleIndices(P, want);
    } else {
      // P_k(x_g ≻ x_p) = sigmoid(r_k(s, x_g) − r_k(s, x_p))
      const probs = pairProbabilitiesFromReturns(this.reward.members.map((m) => ({ left: m.predict(a, b, xg), right: m.predict(a, b, xp) })));
      picked = selectQueries(c.querySelection, probs, want, this.rng.select);
    }
    this.budget.spend(picked.length);
    return { a: pick(a, picked), b: pick(b, picked), xl: pick(xg, picked), xr: pick(xp, picked) };
  }
}
