/**
 * The RLHF loop on the line, one iteration at a time — the loop parts (src/loop/parts.ts) in the line's order:
 *   1. roll out `episodesPerIteration` episodes with the current policy            (sampler.ts)
 *   2. draw candidate segment pairs from the recent episodes, pick the queries     (sampler.ts)
 *   3. judge them: the B-Pref teacher, or people through the labeling server       (teacher.ts, src/loop/people)
 *   4. fit the reward ensemble by Bradley–Terry on all labels so far               (reward.ts)
 *   5. REINFORCE on the ensemble's mean predicted reward, one update per episode   (policy.ts)
 *   6. measure: the exact probability of reaching the goal within `evalSteps`     (evaluator.ts)
 * In the seed's mode (feedback 'regression') steps 2–4 are replaced by a per-episode regression of the reward model on
 * the sparse environment reward; no one is asked anything.
 *
 * The metrics row keeps the line's own key order (docs/line.md), so it is built here rather than by runIteration.
 */
import { Rng, type RngState } from '../../core/rng.js';
import type { NamedTensor, TensorToWrite } from '../../core/safetensors.js';
import type { Gatherer, Label, Metrics, QueryMaker } from '../../loop/parts.js';
import { LabelBudget, resolveLabelBudget } from '../../reward/labelBudget.js';
import { BPrefTeacher } from '../../teachers/bpref.js';
import type { LineBatch } from './batch.js';
import { lineIterations, type LineConfig } from './config.js';
import { LineEnv, NUM_ACTIONS, episodeFrom } from './env.js';
import { evaluatePolicy, rewardGapStats, type LinePolicyEval } from './evaluator.js';
import { LinePolicy } from './policy.js';
import { lineQueryMaker } from './queries.js';
import { LineReward, type LineFit } from './reward.js';
import { LineSampler } from './sampler.js';
import { LineTeacher } from './teacher.js';

/** Success target of the line (the issue's): reach the goal within evalSteps with probability ≥ 0.95. */
export const LINE_SUCCESS_TARGET = 0.95;

/** One row of metrics.jsonl (namespaced keys, docs/line.md). */
export interface LineMetrics {
  iteration: number;
  episodes: number;
  'feedback/labels': number;
  'feedback/labels_iteration': number;
  'feedback/skipped': number;
  'reward/loss': number | null;
  'reward/accuracy': number | null;
  /** fraction of states where the mean reward model prefers right over left (truth: 1) */
  'reward/right_preferred': number;
  /** mean over states of the ensemble's std of r̂(s, right) − r̂(s, left) */
  'reward/disagreement': number;
  'policy/entropy': number;
  'policy/mean_episode_length': number;
  'policy/train_success': number;
  'objective/success_rate': number;
  'objective/greedy_success': number;
}

/** JSON part of a checkpoint. */
export interface LineState {
  iteration: number;
  episodesDone: number;
  baseline: number;
  labelsToTarget: number | null;
  skipped: number;
  regressionLabels: number;
  rng: Record<string, RngState>;
  budget: { used: number };
  bootstrap: number[][];
  mu: number[];
}

export interface LineTrainerOptions {
  /**
   * Who judges (step 3): given the simulated teacher and the query maker, the gatherer to ask — TaskContext.judge of
   * the run driver (people, or people and the teacher). Default: the teacher.
   */
  judge?: (teacher: Gatherer<LineBatch>, maker: QueryMaker<LineBatch>) => Gatherer<LineBatch>;
}

export class LineTrainer {
  readonly env: LineEnv;
  readonly iterations: number;
  readonly policy: LinePolicy;
  readonly reward: LineReward;
  readonly sampler: LineSampler;
  readonly budget: LabelBudget;
  /** the simulated judge (the B-Pref teacher) */
  readonly teacher: LineTeacher;
  /** who judges: the teacher, or people (LineTrainerOptions.judge) */
  readonly gatherer: Gatherer<LineBatch>;
  private readonly rng: Record<'env' | 'teacher' | 'select' | 'boot', Rng>;
  iteration = 0;
  labelsToTarget: number | null = null;
  private skipped = 0;
  /** regression labels (seed mode): one per step */
  private regressionLabels = 0;
  /** the last iteration's batch (episodes and queries), for figures */
  lastBatch: LineBatch | undefined;
  /** wall-clock seconds of the last step: judging, and the whole iteration */
  lastTiming: Metrics = {};

  constructor(
    readonly config: LineConfig,
    opts: LineTrainerOptions = {},
  ) {
    const c = config;
    this.env = new LineEnv(c.size);
    this.iterations = lineIterations(c);
    const root = new Rng(c.seed);
    this.rng = { env: root.fork('env'), teacher: root.fork('teacher'), select: root.fork('select'), boot: root.fork('bootstrap') };
    this.policy = new LinePolicy(c, root.fork('policy'));
    this.reward = new LineReward(c, this.rng.boot, (name) => root.fork(name));
    this.budget = new LabelBudget(resolveLabelBudget({ budget: c.labelBudget, perIteration: c.labelsPerIteration, schedule: c.labelSchedule, decay: c.labelDecay }));
    this.sampler = new LineSampler(c, this.env, { policyTable: () => this.policy.table(), memberTables: () => this.reward.memberTables() }, this.budget, this.rng);
    this.teacher = new LineTeacher(new BPrefTeacher(c.teacherConfig, this.rng.teacher, `teacher:${c.teacher}`));
    const maker = lineQueryMaker({ size: c.size, learnedReward: () => (this.reward.pairs > 0 ? this.reward.table().mean : undefined) });
    this.gatherer = opts.judge ? opts.judge(this.teacher, maker) : this.teacher;
  }

  get done(): boolean {
    return this.iteration >= this.iterations;
  }

  /** labels used: comparisons asked (or, in the seed's regression mode, per-step reward targets) */
  get labels(): number {
    return this.config.feedback === 'regression' ? this.regressionLabels : this.budget.used;
  }

  get episodesDone(): number {
    return this.sampler.episodesDone;
  }

  /** labelled pairs the reward model is fit to */
  get numPairs(): number {
    return this.reward.pairs;
  }

  /** P(right | s) for every state, [size] */
  policyTable(): Float64Array {
    return this.policy.table();
  }

  /** r̂_k(s, a) of every member, each [2·size] */
  memberTables(): Float64Array[] {
    return this.reward.memberTables();
  }

  /** The ensemble's mean and std of r̂(s, a), [2·size] each. */
  rewardTable(): { mean: Float64Array; std: Float64Array } {
    return this.reward.table();
  }

  /** Judged reward of (s, a) (the teacher's), [2·size]. */
  judgedTable(): Float64Array {
    const S = this.config.size;
    const t = new Float64Array(S * NUM_ACTIONS);
    for (let s = 0; s < S; s++) for (let a = 0; a < NUM_ACTIONS; a++) t[s * NUM_ACTIONS + a] = s === this.env.goal ? 0 : this.env.judgedReward(s, this.env.next(s, a));
    return t;
  }

  /** Exact success probability within evalSteps, greedy success, and the policy's mean entropy over states. */
  evaluate(): LinePolicyEval {
    return evaluatePolicy(this.env, this.policy.table(), this.config.evalSteps);
  }

  /** Runs one iteration (steps 1–6) and returns its metrics row. */
  async step(): Promise<LineMetrics> {
    const c = this.config;
    const it = this.iteration + 1;
    const t0 = performance.now();
    let judgeSeconds = 0;
    let lengthSum = 0;
    let reached = 0;
    let asked = 0;
    let fit: LineFit = {};
    const nEpisodes = this.sampler.episodesThisIteration();
    if (c.feedback === 'regression') {
      // the seed: after every episode, regress r̂ on the environment reward and take a REINFORCE step on r̂
      for (let e = 0; e < nEpisodes; e++) {
        const pRight = this.policy.table();
        const ep = this.sampler.rolloutOne(pRight);
        lengthSum += ep.states.length;
        if (ep.reachedGoal) reached++;
        if (ep.states.length === 0) continue;
        const rhat = this.reward.regress(ep, this.env);
        this.regressionLabels += ep.states.length;
        this.policy.seedUpdate(ep, rhat, pRight);
      }
    } else {
      // 1–2. roll out (with the policy of the iteration's start), pick the queries
      const batch = this.sampler.sample(it);
      // 3. judge
      const tj = performance.now();
      const labels: Label[] = batch.queries.length > 0 ? await this.gatherer.gather(batch, it) : [];
      judgeSeconds = (performance.now() - tj) / 1000;
      asked = batch.queries.length;
      for (let i = 0; i < asked; i++) if ((labels[i] ?? null) === null) this.skipped++;
      // 4. fit the reward ensemble on every label so far
      fit = this.reward.fit(batch, labels);
      // 5. one policy update per episode on the ensemble's mean prediction
      const rhat = this.reward.table().mean;
      for (const ep of batch.episodes) {
        lengthSum += ep.states.length;
        if (ep.reachedGoal) reached++;
        if (this.reward.pairs > 0) this.policy.reinforce(ep, rhat, this.policy.table());
      }
      this.lastBatch = batch;
    }
    this.iteration = it;
    // 6. measure
    const ev = this.evaluate();
    if (this.labelsToTarget === null && ev.successRate >= LINE_SUCCESS_TARGET) this.labelsToTarget = this.labels;
    const gaps = rewardGapStats(this.env, this.reward.memberTables());
    this.lastTiming = { iteration: it, 'time/judge': judgeSeconds, 'time/iteration': (performance.now() - t0) / 1000 };
    return {
      iteration: it,
      episodes: this.episodesDone,
      'feedback/labels': this.labels,
      'feedback/labels_iteration': c.feedback === 'regression' ? lengthSum : asked,
      'feedback/skipped': this.skipped,
      'reward/loss': fit.loss ?? null,
      'reward/accuracy': fit.accuracy ?? null,
      'reward/right_preferred': gaps.rightPreferred,
      'reward/disagreement': gaps.disagreement,
      'policy/entropy': ev.entropy,
      'policy/mean_episode_length': nEpisodes > 0 ? lengthSum / nEpisodes : 0,
      'policy/train_success': nEpisodes > 0 ? reached / nEpisodes : 0,
      'objective/success_rate': ev.successRate,
      'objective/greedy_success': ev.greedySuccess ? 1 : 0,
    };
  }

  /** Everything a resumed run needs: JSON state and named arrays. */
  checkpoint(): { state: LineState; arrays: Record<string, TensorToWrite> } {
    const buffer = this.sampler.buffer;
    const flatStates = buffer.flatMap((e) => Array.from(e.states));
    const flatActions = buffer.flatMap((e) => Array.from(e.actions));
    const arrays: Record<string, TensorToWrite> = {
      ...this.policy.toArrays(),
      ...this.reward.toArrays(),
      'buffer.states': { shape: [flatStates.length], data: Int32Array.from(flatStates) },
      'buffer.actions': { shape: [flatActions.length], data: Int32Array.from(flatActions) },
      'buffer.lengths': { shape: [buffer.length], data: Int32Array.from(buffer.map((e) => e.states.length)) },
    };
    const state: LineState = {
      iteration: this.iteration,
      episodesDone: this.episodesDone,
      baseline: this.policy.baseline.get(),
      labelsToTarget: this.labelsToTarget,
      skipped: this.skipped,
      regressionLabels: this.regressionLabels,
      rng: Object.fromEntries(Object.entries(this.rng).map(([k, r]) => [k, r.state()])),
      budget: this.budget.state(),
      ...this.reward.state(),
    };
    return { state, arrays };
  }

  restore(state: LineState, arrays: Map<string, NamedTensor>): void {
    this.policy.restore(state.baseline, arrays);
    this.reward.restore(state, arrays);
    const bs = arrays.get('buffer.states')?.data ?? new Int32Array(0);
    const ba = arrays.get('buffer.actions')?.data ?? new Int32Array(0);
    let off = 0;
    this.sampler.buffer = Array.from(arrays.get('buffer.lengths')?.data ?? []).map((len) => {
      const e = episodeFrom(this.env, Int32Array.from(bs.subarray(off, off + len)), Uint8Array.from(ba.subarray(off, off + len)));
      off += len;
      return e;
    });
    this.iteration = state.iteration;
    this.sampler.episodesDone = state.episodesDone;
    this.labelsToTarget = state.labelsToTarget;
    this.skipped = state.skipped;
    this.regressionLabels = state.regressionLabels;
    for (const [k, r] of Object.entries(this.rng)) r.setState(state.rng[k]!);
    this.budget.setState(state.budget);
  }
}
