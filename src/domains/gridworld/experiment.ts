/**
 * The gridworld RLHF experiment: the domain's loop parts (src/loop/parts.ts), each in its own module, and the state
 * they share:
 *
 *   plan     planner.ts    soft value iteration on r_θ → π; with a count bonus also → π⁺ (exploration)
 *   sample   sampler.ts    B pairs of rollouts, visit counts, which pairs to ask (query selection within the budget)
 *   judge    teacher.ts    a B-Pref teacher on the true rewards of s₀..s_{H−1}  (people: src/loop/people/, queries.ts)
 *   fit      reward.ts     Bradley–Terry on the visit-count differences, Adam (typed arrays, or tfjs)
 *   measure  evaluator.ts  on the exploitation rollouts: true return, goal rate; the teacher's entropy
 *
 * All randomness comes from Rng streams forked from the seed (rollouts, teacher, pair order, queries, ensemble priors);
 * their states, the logits, Adam's moments and the visit counts make up a checkpoint (state()/arrays()/restore()).
 */
import { CheckpointError } from '../../core/errors.js';
import { Rng, type RngState } from '../../core/rng.js';
import type { LoopParts } from '../../loop/parts.js';
import { optimalReturn } from '../../policy/softValueIteration.js';
import { LabelBudget, resolveLabelBudget } from '../../reward/labelBudget.js';
import { BPrefTeacher } from '../../teachers/bpref.js';
import type { GridworldBatch } from './batch.js';
import type { GridworldConfig } from './config.js';
import { Gridworld } from './env.js';
import { GridworldEvaluator } from './evaluator.js';
import { GridworldPlanner } from './planner.js';
import { GridworldReward } from './reward.js';
import { GridworldSampler } from './sampler.js';
import { GridworldTeacher } from './teacher.js';

export type { GridworldBatch } from './batch.js';
export { pearson, type TabularFitter } from './reward.js';

/** Checkpointable state (besides the arrays). */
export interface GridworldState {
  rng: { rollout: RngState; teacher: RngState; order: RngState; queries: RngState };
  labels: number;
  /** Adam's step count per ensemble member */
  adamT: number[];
  /** labels asked so far (the budget's count) */
  asked: number;
  /** sample paths (states s₀..s_H of a few exploitation rollouts) at the recorded iterations */
  paths: Record<string, number[][]>;
}

/** Paths kept per recorded iteration. */
const PATHS_PER_ITERATION = 5;

export class GridworldExperiment {
  readonly env: Gridworld;
  readonly planner: GridworldPlanner;
  readonly sampler: GridworldSampler;
  readonly judge: GridworldTeacher;
  readonly reward: GridworldReward;
  readonly evaluator: GridworldEvaluator;
  /** best expected true return from the start distribution (hard VI on the true reward) */
  readonly optimalReturn: number;
  private readonly rng: { rollout: Rng; teacher: Rng; order: Rng; queries: Rng };
  private paths: Record<string, number[][]> = {};

  constructor(readonly config: GridworldConfig) {
    this.env = new Gridworld({ size: config.size, starts: config.starts, goals: config.goals, slip: config.slip, rewardEps: config.rewardEps });
    const S = this.env.numStates;
    const master = new Rng(config.seed);
    this.rng = { rollout: master.fork('rollout'), teacher: master.fork('teacher'), order: master.fork('pair-order'), queries: master.fork('queries') };
    const budget = new LabelBudget(resolveLabelBudget({ budget: config.labelBudget, perIteration: config.labelsPerIteration, schedule: config.labelSchedule, decay: config.labelDecay }));
    // the query selection and the label weights (replay buffer, bootstrap) share one stream, as they always have
    this.reward = new GridworldReward(config, S, this.env.target, () => budget.used, this.rng.queries, master.fork('ensemble-init'));
    const visits = new Int32Array(S);
    this.planner = new GridworldPlanner(config, this.env, () => this.reward.learnedReward(), visits);
    this.sampler = new GridworldSampler(config, this.env, this.planner, this.reward, budget, this.rng, visits);
    this.judge = new GridworldTeacher(config, this.env, new BPrefTeacher(config.teacherParams, this.rng.teacher, `teacher:${config.teacher}`));
    this.evaluator = new GridworldEvaluator(config, this.env, this.judge, () => this.reward.labelCount);
    const best = optimalReturn(this.env.mdp, this.env.trueReward, config.horizon, 1);
    let opt = 0;
    for (const s of this.env.startStates) opt += best[s]! / this.env.startStates.length;
    this.optimalReturn = opt;
  }

  /** Loads what an ensemble or a query selection needs; call (await) once before running such a config. */
  async prepare(): Promise<this> {
    await this.reward.prepare();
    return this;
  }

  /** The loop parts, with the simulated teacher as the judge (or the gatherer given, e.g. people). */
  parts(gatherer: LoopParts<GridworldBatch>['gatherer'] = this.judge): LoopParts<GridworldBatch> {
    return { agent: this.planner, sampler: this.sampler, gatherer, reward: this.reward, evaluator: this.evaluator };
  }

  /** [S] the visit counts N(s) */
  get visits(): Int32Array {
    return this.sampler.visits;
  }

  get labelCount(): number {
    return this.reward.labelCount;
  }

  /** Records a few exploitation rollouts of the last batch as the sample paths of `iteration`. */
  recordPaths(iteration: number): void {
    const b = this.sampler.lastBatch;
    if (!b) return;
    const { batch: B, horizon: H } = this.config;
    const out: number[][] = [];
    for (let side = 0; side < 2 && out.length < PATHS_PER_ITERATION; side++) {
      const t = side === 0 ? b.left : b.right;
      for (let i = 0; i < B && out.length < PATHS_PER_ITERATION; i++) {
        if (!b.exploit[side * B + i]) continue;
        out.push(Array.from(t.states.subarray(i * (H + 1), (i + 1) * (H + 1))));
      }
    }
    this.paths[String(iteration)] = out;
  }

  get recordedPaths(): Record<string, number[][]> {
    return this.paths;
  }

  // checkpoint ------------------------------------------------------------------------------------------------
  state(): GridworldState {
    const r = this.rng;
    return {
      rng: { rollout: r.rollout.state(), teacher: r.teacher.state(), order: r.order.state(), queries: r.queries.state() },
      ...this.reward.state(),
      asked: this.sampler.budget.used,
      paths: this.paths,
    };
  }

  /** Arrays for the checkpoint's safetensors (exact: all float32 or int32). */
  arrays(): Record<string, { shape: number[]; data: Float32Array | Int32Array }> {
    return { visits: { shape: [this.env.numStates], data: this.visits }, ...this.reward.arrays() };
  }

  restore(state: GridworldState, arrays: Map<string, { data: Float32Array | Int32Array }>): void {
    const visits = arrays.get('visits');
    if (!visits || visits.data.length !== this.env.numStates) throw new CheckpointError('checkpoint array "visits" is missing or has the wrong size');
    this.rng.rollout.setState(state.rng.rollout);
    this.rng.teacher.setState(state.rng.teacher);
    this.rng.order.setState(state.rng.order);
    this.rng.queries.setState(state.rng.queries);
    this.sampler.budget.setState({ used: state.asked });
    this.paths = state.paths ?? {};
    this.reward.restore(state, arrays);
    this.visits.set(visits.data);
  }
}
