/**
 * The gridworld's planner (loop step 1): soft value iteration on the learned reward r_θ → the exploitation policy π;
 * with a count bonus c > 0 also on max(r_θ, mean r_θ) + c/√(N(s)+1) → the exploration policy π⁺ (optimism about
 * rarely visited states). The policies are kept as per-state cumulative distributions for the rollouts.
 */
import type { AgentTrainer, Metrics } from '../../loop/parts.js';
import { cumulativePolicy, softValueIteration, type SoftVIResult } from '../../policy/softValueIteration.js';
import type { GridworldConfig } from './config.js';
import type { Gridworld } from './env.js';

export class GridworldPlanner implements AgentTrainer {
  /** [S·A] cumulative π(a|s) of the exploitation and exploration policies */
  readonly exploitCdf: Float64Array;
  readonly exploreCdf: Float64Array;
  private readonly work: { exploit?: SoftVIResult; explore?: SoftVIResult } = {};

  /**
   * @param learnedReward [S] the planning reward r_θ (the ensemble's mean)
   * @param visits [S] N(s): visits of each state over every rollout so far
   */
  constructor(
    private readonly config: GridworldConfig,
    private readonly env: Gridworld,
    private readonly learnedReward: () => Float64Array,
    private readonly visits: Int32Array,
  ) {
    this.exploitCdf = new Float64Array(env.numStates * env.numActions);
    this.exploreCdf = new Float64Array(env.numStates * env.numActions);
  }

  get exploring(): boolean {
    return this.config.exploreBonus > 0;
  }

  improve(): Metrics {
    const { horizon, temperature, discount, exploreBonus } = this.config;
    const S = this.env.numStates;
    const A = this.env.numActions;
    const vi = { horizon, temperature, discount };
    const r = this.learnedReward();
    this.work.exploit = softValueIteration(this.env.mdp, r, vi, this.work.exploit);
    cumulativePolicy(this.work.exploit.policy, S, A, this.exploitCdf);
    if (exploreBonus > 0) {
      // optimism for the exploration policy:  r_explore(s) = max(r_θ(s), mean r_θ) + c / √(N(s) + 1)
      // the count bonus pulls toward rarely visited states; flooring the learned reward at its mean keeps states whose
      // reward is still noise (coin-flip labels, amplified by Adam at rarely compared states) from repelling it,
      // while a learned high reward (a found goal) still attracts it
      const rb = new Float64Array(S);
      let mean = 0;
      for (let s = 0; s < S; s++) mean += r[s]! / S;
      for (let s = 0; s < S; s++) rb[s] = Math.max(r[s]!, mean) + exploreBonus / Math.sqrt(this.visits[s]! + 1);
      this.work.explore = softValueIteration(this.env.mdp, rb, vi, this.work.explore);
      cumulativePolicy(this.work.explore.policy, S, A, this.exploreCdf);
    }
    // policy entropy at the start states (nats): how decided the exploitation policy is
    let h = 0;
    const pol = this.work.exploit.policy;
    for (const s of this.env.startStates) {
      for (let a = 0; a < A; a++) {
        const p = pol[s * A + a]!;
        if (p > 0) h -= p * Math.log(p);
      }
    }
    return { 'policy/start_entropy': h / this.env.startStates.length };
  }
}
