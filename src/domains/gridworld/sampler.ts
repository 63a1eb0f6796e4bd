/**
 * The gridworld's sampler (loop step 2): B pairs of rollouts — (π, π) as in the seed, or one π and one π⁺ rollout per
 * pair in random order when exploring — the visit counts N(s), and which pairs to ask about: every pair (the seed),
 * or n_t ≤ budget of them chosen by the query selection (random / disagreement / entropy over the reward ensemble).
 */
import type { Rng } from '../../core/rng.js';
import type { QuerySampler } from '../../loop/parts.js';
import type { LabelBudget } from '../../reward/labelBudget.js';
import { selectQueries } from '../../reward/querySelection.js';
import type { GridworldBatch } from './batch.js';
import type { GridworldConfig } from './config.js';
import type { Gridworld } from './env.js';
import type { GridworldPlanner } from './planner.js';
import type { GridworldReward } from './reward.js';
import { allocTrajectories, rollout, type Trajectories } from './rollout.js';

export class GridworldSampler implements QuerySampler<GridworldBatch> {
  /** [S] N(s): visits of each state over every rollout so far (states s₁..s_H) */
  readonly visits: Int32Array;
  /** the most recent batch (for drawing paths) */
  lastBatch: GridworldBatch | undefined;
  /** buffers reused across iterations */
  private readonly bufA: Trajectories;
  private readonly bufB: Trajectories;
  private readonly batch: GridworldBatch;

  constructor(
    private readonly config: GridworldConfig,
    private readonly env: Gridworld,
    private readonly planner: GridworldPlanner,
    private readonly reward: GridworldReward,
    readonly budget: LabelBudget,
    private readonly rng: { rollout: Rng; order: Rng; queries: Rng },
    visits: Int32Array,
  ) {
    const { batch: B, horizon: H } = config;
    this.visits = visits;
    this.bufA = allocTrajectories(B, H);
    this.bufB = allocTrajectories(B, H);
    this.batch = { left: allocTrajectories(B, H), right: allocTrajectories(B, H), exploit: new Uint8Array(2 * B), asked: new Uint8Array(B) };
  }

  sample(iteration = 1): GridworldBatch {
    const { batch: B, horizon: H } = this.config;
    const { mdp, startStates } = this.env;
    const exploring = this.planner.exploring;
    const first = rollout(mdp, this.planner.exploitCdf, startStates, this.rng.rollout, this.bufA);
    const second = rollout(mdp, exploring ? this.planner.exploreCdf : this.planner.exploitCdf, startStates, this.rng.rollout, this.bufB);
    const out = this.batch;
    const stride = H + 1;
    if (!exploring) {
      // the seed: left = first batch, right = second batch, both from π
      out.left.states.set(first.states);
      out.left.actions.set(first.actions);
      out.right.states.set(second.states);
      out.right.actions.set(second.actions);
      out.exploit.fill(1);
    } else {
      // one π and one π⁺ rollout per pair, sides drawn at random (ties of a rational teacher go left: no side bias)
      for (let i = 0; i < B; i++) {
        const swap = this.rng.order.uniform() < 0.5;
        const [l, r] = swap ? [second, first] : [first, second];
        out.left.states.set(l.states.subarray(i * stride, (i + 1) * stride), i * stride);
        out.left.actions.set(l.actions.subarray(i * H, (i + 1) * H), i * H);
        out.right.states.set(r.states.subarray(i * stride, (i + 1) * stride), i * stride);
        out.right.actions.set(r.actions.subarray(i * H, (i + 1) * H), i * H);
        out.exploit[i] = swap ? 0 : 1;
        out.exploit[B + i] = swap ? 1 : 0;
      }
    }
    // N(s) += visits of s₁..s_H in every rollout
    for (const t of [out.left, out.right]) for (let i = 0; i < B; i++) for (let k = 1; k <= H; k++) this.visits[t.states[i * stride + k]!]! += 1;
    this.selectQueries(out, iteration);
    this.lastBatch = out;
    return out;
  }

  /**
   * Which pairs to ask about: every pair (the seed), or n_t ≤ budget of them chosen by the query selection from the
   * members' predictions P_k(σˡ ≻ σʳ) = sigmoid(R_k(σˡ) − R_k(σʳ)) over the judged states s₀..s_{H−1}.
   */
  private selectQueries(out: GridworldBatch, iteration: number): void {
    const { batch: B, horizon: H, querySelection, labelBudget } = this.config;
    out.asked.fill(0);
    if (querySelection === 'all' && labelBudget === Infinity) {
      out.asked.fill(1);
      this.budget.spend(B);
      return;
    }
    const n = Math.min(B, this.budget.allowance(iteration - 1));
    if (n >= B) {
      out.asked.fill(1);
    } else if (n > 0) {
      const stride = H + 1;
      const rows = this.reward.models.map((m) => {
        const r = m.reward();
        const ret = (t: Trajectories) => {
          const R = new Float64Array(B);
          for (let i = 0; i < B; i++) for (let k = 0; k < H; k++) R[i]! += r[t.states[i * stride + k]!]!;
          return R;
        };
        return { left: ret(out.left), right: ret(out.right) };
      });
      const strategy = querySelection === 'all' ? 'random' : querySelection; // "all" under a budget: a random subset
      for (const i of selectQueries(strategy, this.reward.ensemble().pairProbabilitiesFromReturns(rows), n, this.rng.queries)) out.asked[i] = 1;
    }
    this.budget.spend(n);
  }
}
