/**
 * Preference-based RL on addition, one epoch at a time — the loop parts (src/loop/parts.ts) in the adder's order:
 *   1. the policy is implicit: the greedy answer x_g = argmaxₓ r̄(a, b, x) by gradient ascent on the learned reward
 *   2. candidates (a, b, x_g, x_p = x_g + U(−d, d)), d shrinking over epochs; pick the queries     (sampler.ts)
 *   3. judge them: the B-Pref teacher (r* = −|a + b − x|), or people through the labeling server  (teacher.ts)
 *   4. Bradley–Terry steps of every member: P(x_g ≻ x_p) = sigmoid(r(s, x_g) − r(s, x_p)), minibatches drawn
 *      from all labels with the member's bootstrap weights (or, in the seed's mode, this epoch's labels only)  (reward.ts)
 *   5. every few epochs: the metrics on held-out pairs (the same pairs for every seed)             (evaluator.ts)
 *
 * The metrics row keeps the adder's own key order (docs/adder.md), so it is built here rather than by runIteration.
 */
import { Rng, type RngState } from '../../core/rng.js';
import type { NamedTensor, TensorToWrite } from '../../core/safetensors.js';
import type { Gatherer, Label, Metrics, QueryMaker } from '../../loop/parts.js';
import { LabelBudget, resolveLabelBudget } from '../../reward/labelBudget.js';
import { BPrefTeacher } from '../../teachers/bpref.js';
import type { AdderBatch } from './batch.js';
import type { AdderConfig } from './config.js';
import { AdderEvaluator, type AdderEval } from './evaluator.js';
import type { AdderRewardModel } from './model.js';
import { adderQueryMaker } from './queries.js';
import { AdderReward } from './reward.js';
import { AdderSampler } from './sampler.js';
import { AdderTeacher } from './teacher.js';

/** The targets: held-out preference accuracy ≥ 0.98 with greedy-action MSE ≤ 0.1. */
export const ADDER_TARGETS = { preferenceAccuracy: 0.98, actionMse: 0.1 } as const;

export interface AdderMetrics {
  iteration: number;
  'feedback/labels': number;
  'feedback/labels_iteration': number;
  'feedback/perturbation': number;
  'reward/loss': number | null;
  'reward/accuracy': number | null;
  'objective/preference_accuracy': number | null;
  'objective/random_pair_accuracy': number | null;
  'objective/action_mse': number | null;
}

export interface AdderState {
  iteration: number;
  rng: Record<string, RngState>;
  budget: { used: number };
  bootstrap: number[][];
  lastEval: AdderEval | null;
}

export interface AdderTrainerOptions {
  /**
   * Who judges (step 3): given the simulated teacher and the query maker, the gatherer to ask — TaskContext.judge of
   * the run driver (people, or people and the teacher). Default: the teacher.
   */
  judge?: (teacher: Gatherer<AdderBatch>, maker: QueryMaker<AdderBatch>) => Gatherer<AdderBatch>;
}

export class AdderTrainer {
  readonly reward: AdderReward;
  readonly sampler: AdderSampler;
  readonly evaluator: AdderEvaluator;
  readonly budget: LabelBudget;
  /** the simulated judge (the B-Pref teacher) */
  readonly teacher: AdderTeacher;
  /** who judges: the teacher, or people (AdderTrainerOptions.judge) */
  readonly gatherer: Gatherer<AdderBatch>;
  private readonly rng: Record<'states' | 'perturb' | 'teacher' | 'select' | 'boot' | 'fit', Rng>;
  iteration = 0;
  lastEval: AdderEval | null = null;
  /** the last epoch's queries */
  lastBatch: AdderBatch | undefined;
  /** wall-clock seconds of the last step: judging, and the whole epoch */
  lastTiming: Metrics = {};

  constructor(
    readonly config: AdderConfig,
    opts: AdderTrainerOptions = {},
  ) {
    const c = config;
    const root = new Rng(c.seed);
    this.rng = { states: root.fork('states'), perturb: root.fork('perturb'), teacher: root.fork('teacher'), select: root.fork('select'), boot: root.fork('bootstrap'), fit: root.fork('fit') };
    this.reward = new AdderReward(c, this.rng, (name) => root.fork(name));
    this.budget = new LabelBudget(resolveLabelBudget({ budget: c.labelBudget, perIteration: c.labelsPerIteration, schedule: c.labelSchedule, decay: c.labelDecay }));
    this.sampler = new AdderSampler(c, this.reward, this.budget, this.rng);
    this.evaluator = new AdderEvaluator(c);
    this.teacher = new AdderTeacher(new BPrefTeacher(c.teacherConfig, this.rng.teacher, `teacher:${c.teacher}`));
    const maker = adderQueryMaker({ learnedReward: (a, b, x) => (this.reward.pairs > 0 ? this.reward.mean(a, b, x) : undefined) });
    this.gatherer = opts.judge ? opts.judge(this.teacher, maker) : this.teacher;
  }

  get done(): boolean {
    return this.iteration >= this.config.epochs;
  }

  /** queries asked so far */
  get labels(): number {
    return this.budget.used;
  }

  /** labelled pairs the reward models are fit to */
  get numPairs(): number {
    return this.reward.pairs;
  }

  get members(): AdderRewardModel[] {
    return this.reward.members;
  }

  /** Mean reward of the ensemble, r̄ = (1/K) Σ_k r_k. */
  meanReward(a: ArrayLike<number>, b: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
    return this.reward.mean(a, b, x);
  }

  /** The answers the agent gives: argmaxₓ r̄(a, b, x). */
  greedy(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
    return this.reward.greedy(a, b);
  }

  /** The held-out metrics now (kept as lastEval). */
  evaluate(): AdderEval {
    this.lastEval = this.evaluator.evaluate(this.reward);
    return this.lastEval;
  }

  /** How often step() evaluates: every max(1, round(epochs/20)) epochs, and at the last. */
  get evalEvery(): number {
    return Math.max(1, Math.round(this.config.epochs / 20));
  }

  /** Runs one epoch (steps 2–5) and returns its metrics row. */
  async step(): Promise<AdderMetrics> {
    const it = this.iteration + 1;
    const t0 = performance.now();
    const d = this.sampler.perturbation(it - 1);
    // 2. candidates and queries
    const batch = this.sampler.sample(it);
    // 3. judge
    const tj = performance.now();
    const labels: Label[] = batch.a.length > 0 ? await this.gatherer.gather(batch, it) : [];
    const judgeSeconds = (performance.now() - tj) / 1000;
    // 4. fit
    const fit = this.reward.fit(batch, labels, it);
    this.iteration = it;
    this.lastBatch = batch;
    // 5. measure, every few epochs
    const ev = this.iteration % this.evalEvery === 0 || this.done ? this.evaluate() : null;
    this.lastTiming = { iteration: it, 'time/judge': judgeSeconds, 'time/iteration': (performance.now() - t0) / 1000 };
    return {
      iteration: it,
      'feedback/labels': this.labels,
      'feedback/labels_iteration': batch.a.length,
      'feedback/perturbation': d,
      'reward/loss': fit.loss ?? null,
      'reward/accuracy': fit.accuracy ?? null,
      'objective/preference_accuracy': ev?.preferenceAccuracy ?? null,
      'objective/random_pair_accuracy': ev?.randomPairAccuracy ?? null,
      'objective/action_mse': ev?.actionMse ?? null,
    };
  }

  checkpoint(): { state: AdderState; arrays: Record<string, TensorToWrite> } {
    const state: AdderState = {
      iteration: this.iteration,
      rng: Object.fromEntries(Object.entries(this.rng).map(([k, r]) => [k, r.state()])),
      budget: this.budget.state(),
      bootstrap: this.reward.bootstrapState(),
      lastEval: this.lastEval,
    };
    return { state, arrays: this.reward.toArrays() };
  }

  restore(state: AdderState, arrays: Map<string, NamedTensor>): void {
    this.reward.restore(state.bootstrap, arrays);
    this.iteration = state.iteration;
    for (const [k, r] of Object.entries(this.rng)) r.setState(state.rng[k]!);
    this.budget.setState(state.budget);
    this.lastEval = state.lastEval;
  }
}
