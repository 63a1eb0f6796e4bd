/**
 * The gridworld RLHF experiment: the domain's pieces of the loop (src/loop/orchestrator.ts) and the state they share.
 *
 *   plan     soft value iteration on the learned reward r_θ → exploitation policy π;
 *            on max(r_θ, mean r_θ) + c/√(N(s)+1) (optimism + count bonus) → exploration policy π⁺   (when c > 0)
 *   sample   B pairs of rollouts: (π, π) as in the seed, or (π, π⁺) in random order when exploring
 *   judge    a B-Pref teacher compares each pair on the true rewards of the states s₀..s_{H−1}
 *   fit      Bradley–Terry on the visit-count differences, 50 Adam steps (typed arrays, or tfjs)
 *   measure  on the exploitation rollouts: mean true return Σ_{t=1..H} r*(s_t), share ending on a goal
 *
 * All randomness comes from three Rng streams forked from the seed (rollouts, teacher, pair order); their states, the
 * logits, Adam's moments and the visit counts make up a checkpoint (state()/restore()).
 */
import { Rng, type RngState } from '../../core/rng.js';
import { CheckpointError, ConfigError } from '../../core/errors.js';
import type { Preference } from '../../feedback/types.js';
import { comparisonTarget } from '../../feedback/types.js';
import { BPrefTeacher, preferenceProbability } from '../../teachers/bpref.js';
import { softValueIteration, cumulativePolicy, optimalReturn, type SoftVIResult } from '../../policy/softValueIteration.js';
import { TabularStateReward, Adam, TabularBTTrainer, countComparisons, comparisonAccuracy, softmax, type TabularFitStats, type CountComparisons } from '../../reward/tabular.js';
import type * as EnsembleModule from '../../reward/ensemble.js';
import { centredPriors } from '../../reward/ensemble.js';
import { selectQueries } from '../../reward/querySelection.js';
import { LabelBudget, resolveLabelBudget } from '../../reward/labelBudget.js';
import { ComparisonBuffer } from '../../reward/comparisonBuffer.js';
import type { AgentTrainer, QuerySampler, Gatherer, RewardLearner, Evaluator, Metrics, LoopParts } from '../../loop/orchestrator.js';
import { Gridworld } from './env.js';
import { rollout, allocTrajectories, type Trajectories } from './rollout.js';
import type { GridworldConfig } from './config.js';

/** One iteration's queries: pair i compares row i of `left` with row i of `right`. */
export interface GridworldBatch {
  left: Trajectories;
  right: Trajectories;
  /** [2B] 1 when the trajectory came from the exploitation policy: index i = left row i, B + i = right row i */
  exploit: Uint8Array;
  /** [B] 1 when pair i is put to the judge (all pairs, or the ones the query selection chose within the budget) */
  asked: Uint8Array;
}

/** Fits the reward to comparisons; the typed-array trainer or a tfjs one (same math) plug in here. */
export interface TabularFitter {
  fit(c: CountComparisons): TabularFitStats | Promise<TabularFitStats>;
}

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

/** Pearson correlation of two equal-length arrays (NaN when either is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : Number.NaN;
}

/** Binary entropy in nats: H(p) = −p ln p − (1−p) ln(1−p). */
function binaryEntropy(p: number): number {
  if (p <= 0 || p >= 1) return 0;
  return -p * Math.log(p) - (1 - p) * Math.log(1 - p);
}

/** Paths kept per recorded iteration. */
const PATHS_PER_ITERATION = 5;

export class GridworldExperiment implements AgentTrainer, QuerySampler<GridworldBatch>, Gatherer<GridworldBatch>, RewardLearner<GridworldBatch>, Evaluator<GridworldBatch> {
  readonly name: string;
  readonly env: Gridworld;
  /** the reward models (one unless --reward-ensemble K) and their optimizers; model/adam are member 0 */
  readonly models: TabularStateReward[];
  readonly adams: Adam[];
  readonly model: TabularStateReward;
  readonly adam: Adam;
  readonly teacher: BPrefTeacher;
  /** [S] N(s): visits of each state over every rollout so far (states s₁..s_H) */
  readonly visits: Int32Array;
  /** best expected true return from the start distribution (hard VI on the true reward) */
  readonly optimalReturn: number;
  private readonly fitters: TabularFitter[];
  private readonly rolloutRng: Rng;
  private readonly teacherRng: Rng;
  private readonly orderRng: Rng;
  private readonly queryRng: Rng;
  private readonly budget: LabelBudget;
  /** every label so far, when the reward is fitted on all of them (config.replayLabels) */
  private readonly buffer: ComparisonBuffer | undefined;
  /** src/reward/ensemble.ts, loaded by prepare() only when an ensemble or a query selection needs it (it pulls in tfjs) */
  private ens: typeof EnsembleModule | undefined;
  private labels = 0;
  private paths: Record<string, number[][]> = {};
  /** buffers reused across iterations */
  private readonly bufA: Trajectories;
  private readonly bufB: Trajectories;
  private readonly batch: GridworldBatch;
  private readonly stepRewards: Float64Array;
  private exploitCdf: Float64Array;
  private exploreCdf: Float64Array;
  private readonly viWork: { exploit?: SoftVIResult; explore?: SoftVIResult } = {};
  private lastFit: TabularFitStats | undefined;
  private lastComparisons: CountComparisons | undefined;
  /** the most recent batch (for drawing paths) */
  lastBatch: GridworldBatch | undefined;

  constructor(readonly config: GridworldConfig) {
    this.name = `teacher:${config.teacher}`;
    this.env = new Gridworld({ size: config.size, starts: config.starts, goals: config.goals, slip: config.slip, rewardEps: config.rewardEps });
    const S = this.env.numStates;
    const A = this.env.numActions;
    const master = new Rng(config.seed);
    this.rolloutRng = master.fork('rollout');
    this.teacherRng = master.fork('teacher');
    this.orderRng = master.fork('pair-order');
    this.queryRng = master.fork('queries');
    // randomized priors (Osband et al. 2018), centred: member k starts at θₖ = σ (zₖ − mean_j z_j), so members disagree
    // about every state no label has touched yet, while their mean starts flat at θ = 0 (the seed's init; K = 1: θ = 0)
    const priors = centredPriors(config.rewardEnsemble, S, config.ensemblePrior, master.fork('ensemble-init'));
    this.models = priors.map((p) => new TabularStateReward(S, p));
    this.adams = this.models.map(() => new Adam(S, { lr: config.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 }));
    this.fitters = this.models.map((m, k) => new TabularBTTrainer(m, this.adams[k]!, config.rewardSteps));
    this.model = this.models[0]!;
    this.adam = this.adams[0]!;
    this.budget = new LabelBudget(resolveLabelBudget({ budget: config.labelBudget, perIteration: config.labelsPerIteration, schedule: config.labelSchedule, decay: config.labelDecay }));
    this.teacher = new BPrefTeacher(config.teacherParams, this.teacherRng, this.name);
    this.buffer = config.replayLabels ? new ComparisonBuffer(S, config.rewardEnsemble, config.bootstrap) : undefined;
    this.visits = new Int32Array(S);
    const B = config.batch;
    const H = config.horizon;
    this.bufA = allocTrajectories(B, H);
    this.bufB = allocTrajectories(B, H);
    this.batch = { left: allocTrajectories(B, H), right: allocTrajectories(B, H), exploit: new Uint8Array(2 * B), asked: new Uint8Array(B) };
    this.stepRewards = new Float64Array(2 * B * H);
    this.exploitCdf = new Float64Array(S * A);
    this.exploreCdf = new Float64Array(S * A);
    const best = optimalReturn(this.env.mdp, this.env.trueReward, H, 1);
    let opt = 0;
    for (const s of this.env.startStates) opt += best[s]! / this.env.startStates.length;
    this.optimalReturn = opt;
  }

  /** Replaces member 0's reward fitter (e.g. the tfjs implementation); it must update this.model.logits and this.adam. */
  setFitter(f: TabularFitter): void {
    this.fitters[0] = f;
  }

  /** [S] the planning reward: r_θ, or the members' mean (1/K) Σₖ r_θₖ for an ensemble. */
  learnedReward(): Float64Array {
    const r = this.models[0]!.reward();
    if (this.models.length === 1) return r;
    for (let k = 1; k < this.models.length; k++) {
      const rk = this.models[k]!.reward();
      for (let s = 0; s < r.length; s++) r[s]! += rk[s]!;
    }
    for (let s = 0; s < r.length; s++) r[s]! /= this.models.length;
    return r;
  }

  /** [S] the learned target distribution softmax(learnedReward()) (= softmax(θ) for one model). */
  learnedDistribution(): Float64Array {
    return softmax(this.learnedReward());
  }

  /** true when this config needs prepare() before the first iteration (an ensemble or a query selection) */
  get needsPrepare(): boolean {
    return (this.models.length > 1 || this.config.querySelection !== 'all' || this.config.labelBudget !== Infinity) && !this.ens;
  }

  /** Loads what an ensemble or a query selection needs; call (await) once before running such a config. */
  async prepare(): Promise<this> {
    if (this.needsPrepare) this.ens = await import('../../reward/ensemble.js');
    return this;
  }

  private ensemble(): typeof EnsembleModule {
    if (!this.ens) {
      const key = this.models.length > 1 ? 'rewardEnsemble' : this.config.querySelection !== 'all' ? 'querySelection' : 'labelBudget';
      throw new ConfigError(key, `GridworldExperiment: this config (${key} ${String(this.config[key])}) needs the ensemble module, which is loaded on demand; call \`await experiment.prepare()\` once before running it`);
    }
    return this.ens;
  }

  /** The loop parts, for RlhfLoop. */
  parts(): LoopParts<GridworldBatch> {
    return { agent: this, sampler: this, gatherer: this, reward: this, evaluator: this };
  }

  get exploring(): boolean {
    return this.config.exploreBonus > 0;
  }

  // 1. plan ---------------------------------------------------------------------------------------------------
  improve(): Metrics {
    const { horizon, temperature, discount, exploreBonus } = this.config;
    const S = this.env.numStates;
    const A = this.env.numActions;
    const vi = { horizon, temperature, discount };
    const r = this.learnedReward();
    this.viWork.exploit = softValueIteration(this.env.mdp, r, vi, this.viWork.exploit);
    cumulativePolicy(this.viWork.exploit.policy, S, A, this.exploitCdf);
    if (exploreBonus > 0) {
      // r⁺(s) = c / √(N(s) + 1): optimism about rarely visited states
      const rb = new Float64Array(S);
      // optimism for the exploration policy:  r_explore(s) = max(r_θ(s), mean r_θ) + c / √(N(s) + 1)
      // the count bonus pulls toward rarely visited states; flooring the learned reward at its mean keeps states whose
      // reward is still noise (coin-flip labels, amplified by Adam at rarely compared states) from repelling it,
      // while a learned high reward (a found goal) still attracts it
      let mean = 0;
      for (let s = 0; s < S; s++) mean += r[s]! / S;
      for (let s = 0; s < S; s++) rb[s] = Math.max(r[s]!, mean) + exploreBonus / Math.sqrt(this.visits[s]! + 1);
      this.viWork.explore = softValueIteration(this.env.mdp, rb, vi, this.viWork.explore);
      cumulativePolicy(this.viWork.explore.policy, S, A, this.exploreCdf);
    }
    // policy entropy at the start states (nats): how decided the exploitation policy is
    let h = 0;
    const pol = this.viWork.exploit.policy;
    for (const s of this.env.startStates) {
      for (let a = 0; a < A; a++) {
        const p = pol[s * A + a]!;
        if (p > 0) h -= p * Math.log(p);
      }
    }
    return { 'policy/start_entropy': h / this.env.startStates.length };
  }

  // 2. sample and make queries ---------------------------------------------------------------------------------
  sample(iteration = 1): GridworldBatch {
    const { batch: B, horizon: H } = this.config;
    const { mdp, startStates } = this.env;
    const first = rollout(mdp, this.exploitCdf, startStates, this.rolloutRng, this.bufA);
    const second = rollout(mdp, this.exploring ? this.exploreCdf : this.exploitCdf, startStates, this.rolloutRng, this.bufB);
    const out = this.batch;
    const stride = H + 1;
    if (!this.exploring) {
      // the seed: left = first batch, right = second batch, both from π
      out.left.states.set(first.states);
      out.left.actions.set(first.actions);
      out.right.states.set(second.states);
      out.right.actions.set(second.actions);
      out.exploit.fill(1);
    } else {
      // one π and one π⁺ rollout per pair, sides drawn at random (ties of a rational teacher go left: no side bias)
      for (let i = 0; i < B; i++) {
        const swap = this.orderRng.uniform() < 0.5;
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
      const rows = this.models.map((m) => {
        const r = m.reward();
        const ret = (t: Trajectories) => {
          const R = new Float64Array(B);
          for (let i = 0; i < B; i++) for (let k = 0; k < H; k++) R[i]! += r[t.states[i * stride + k]!]!;
          return R;
        };
        return { left: ret(out.left), right: ret(out.right) };
      });
      const strategy = querySelection === 'all' ? 'random' : querySelection; // "all" under a budget: a random subset
      for (const i of selectQueries(strategy, this.ensemble().pairProbabilitiesFromReturns(rows), n, this.queryRng)) out.asked[i] = 1;
    }
    this.budget.spend(n);
  }

  // 3. judge --------------------------------------------------------------------------------------------------
  /** True per-step rewards of the judged states s₀..s_{H−1} (the seed's teacher sees these), [2B, H]. */
  private fillStepRewards(batch: GridworldBatch): void {
    const { batch: B, horizon: H } = this.config;
    const r = this.env.trueReward;
    const stride = H + 1;
    for (let side = 0; side < 2; side++) {
      const t = side === 0 ? batch.left : batch.right;
      for (let i = 0; i < B; i++) for (let k = 0; k < H; k++) this.stepRewards[(side * B + i) * H + k] = r[t.states[i * stride + k]!]!;
    }
  }

  private segments(): Array<{ left: Float64Array; right: Float64Array }> {
    const { batch: B, horizon: H } = this.config;
    const pairs = new Array<{ left: Float64Array; right: Float64Array }>(B);
    for (let i = 0; i < B; i++) pairs[i] = { left: this.stepRewards.subarray(i * H, (i + 1) * H), right: this.stepRewards.subarray((B + i) * H, (B + i + 1) * H) };
    return pairs;
  }

  /** Labels the asked pairs; pairs not asked get 'skip' (no information, left out of the fit). */
  gather(batch: GridworldBatch): Preference[] {
    this.fillStepRewards(batch);
    const all = this.segments();
    const idx: number[] = [];
    for (let i = 0; i < all.length; i++) if (batch.asked[i]) idx.push(i);
    // floor = log ε: the lowest true reward, so shifted returns count goal steps (B-Pref's skip test needs r ≥ 0)
    const labels = this.teacher.labelBatch(idx.length === all.length ? all : idx.map((i) => all[i]!), Math.log(this.config.rewardEps));
    if (idx.length === all.length) return labels;
    const out = new Array<Preference>(all.length).fill('skip');
    idx.forEach((i, j) => (out[i] = labels[j]!));
    return out;
  }

  // 4. fit ----------------------------------------------------------------------------------------------------
  /** The labelled comparisons of a batch (skips dropped, ties ½). */
  comparisons(batch: GridworldBatch, labels: Preference[]): CountComparisons {
    const { batch: B, horizon: H } = this.config;
    const mu = new Float64Array(B);
    for (let i = 0; i < B; i++) mu[i] = comparisonTarget(labels[i]!) ?? Number.NaN;
    return countComparisons(batch.left.states, batch.right.states, B, H, H + 1, this.env.numStates, mu);
  }

  fit(batch: GridworldBatch, labels: Preference[]): Metrics | Promise<Metrics> {
    const c = this.comparisons(batch, labels);
    this.lastComparisons = c;
    // replay: member k fits every label so far, weighted by its bootstrap draws; else this batch only (the seed)
    this.buffer?.push(c, this.queryRng);
    if (this.models.length === 1) {
      const stats = this.fitters[0]!.fit(this.buffer ? this.buffer.all(0) : c);
      return stats instanceof Promise ? stats.then((st) => this.fitMetrics(st, c)) : this.fitMetrics(stats, c);
    }
    // an ensemble: each member fits its own bootstrap resample of the labels (Poisson(1) weights, Oza & Russell 2001)
    const { poisson1, meanAndStd } = this.ensemble();
    const accuracyBefore = comparisonAccuracy(c, this.learnedReward());
    let loss = 0;
    let lossBefore = 0;
    let fitted = 0;
    for (let k = 0; k < this.models.length; k++) {
      let d = c;
      if (this.buffer) d = this.buffer.all(k);
      else if (this.config.bootstrap) d = { ...c, weight: Float64Array.from(c.mu, () => poisson1(this.queryRng)) };
      const st = this.fitters[k]!.fit(d);
      if (st instanceof Promise)
        throw new ConfigError('rewardEnsemble', `GridworldExperiment: the fitter given to setFitter is asynchronous (e.g. the tfjs fitter) and fits one reward model, got rewardEnsemble ${this.models.length}; use rewardEnsemble 1 with it, or keep the built-in typed fitter`);
      if (Number.isFinite(st.loss)) {
        loss += st.loss;
        lossBefore += st.lossBefore;
        fitted++;
      }
    }
    const stats: TabularFitStats = {
      loss: fitted ? loss / fitted : Number.NaN,
      lossBefore: fitted ? lossBefore / fitted : Number.NaN,
      accuracyBefore,
      accuracy: comparisonAccuracy(c, this.learnedReward()),
      comparisons: c.mu.length,
    };
    const m = this.fitMetrics(stats, c);
    // members' spread: mean over states of the std of r_θₖ(s) across members
    const { std } = meanAndStd(this.models.map((mk) => mk.reward()));
    m['reward/ensemble_std'] = std.reduce((a, b) => a + b, 0) / std.length;
    return m;
  }

  private fitMetrics(stats: TabularFitStats, c: CountComparisons): Metrics {
    this.lastFit = stats;
    this.labels += c.mu.length;
    return {
      'reward/loss': stats.loss,
      'reward/loss_before': stats.lossBefore,
      'reward/accuracy': stats.accuracyBefore,
      'reward/train_accuracy': stats.accuracy,
      'reward/correlation': this.rewardCorrelation(),
      'feedback/asked': this.budget.used,
    };
  }

  /** Pearson correlation of the learned distribution softmax(θ) with the true target distribution p*. */
  rewardCorrelation(): number {
    return pearson(this.learnedDistribution(), this.env.target);
  }

  // 5. measure ------------------------------------------------------------------------------------------------
  evaluate(batch: GridworldBatch, labels: Preference[]): Metrics {
    const { batch: B, horizon: H } = this.config;
    const stride = H + 1;
    const { trueReward, isGoal } = this.env;
    let ret = 0;
    let goals = 0;
    let n = 0;
    let visited = 0;
    for (let side = 0; side < 2; side++) {
      const t = side === 0 ? batch.left : batch.right;
      for (let i = 0; i < B; i++) {
        let hit = 0;
        for (let k = 0; k <= H; k++) hit |= isGoal[t.states[i * stride + k]!]!;
        visited += hit;
        if (!batch.exploit[side * B + i]) continue;
        // true return Σ_{t=1..H} r*(s_t) (the seed's: rewards of the states reached)
        let r = 0;
        for (let k = 1; k <= H; k++) r += trueReward[t.states[i * stride + k]!]!;
        ret += r;
        goals += isGoal[t.states[i * stride + H]!]!;
        n++;
      }
    }
    // teacher entropy: mean binary entropy of the teacher's label distribution over the judged pairs
    // P(right) = sigmoid(β ΔR′) (0/1 when rational), mixed with the mistake rate ε: p = ε + (1 − 2ε) P
    const eps = this.config.teacherParams.epsMistake;
    let ent = 0;
    let judged = 0;
    let ties = 0;
    let skips = 0;
    const pairs = this.segments();
    for (let i = 0; i < B; i++) {
      if (!batch.asked[i]) continue;
      if (labels[i] === 'skip') {
        skips++;
        continue;
      }
      if (labels[i] === 'tie') ties++;
      const p = preferenceProbability(this.config.teacherParams, pairs[i]!.left, pairs[i]!.right);
      ent += binaryEntropy(eps + (1 - 2 * eps) * p);
      judged++;
    }
    return {
      'objective/true_return': n > 0 ? ret / n : Number.NaN,
      'objective/goal_rate': n > 0 ? goals / n : Number.NaN,
      'objective/goal_visit_rate': visited / (2 * B),
      'teacher/entropy': judged > 0 ? ent / judged : Number.NaN,
      'feedback/labels': this.labels,
      'feedback/ties': ties,
      'feedback/skips': skips,
    };
  }

  // paths and checkpoints -------------------------------------------------------------------------------------
  /** Records a few exploitation rollouts of the last batch as the sample paths of `iteration`. */
  recordPaths(iteration: number): void {
    const b = this.lastBatch;
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

  get labelCount(): number {
    return this.labels;
  }

  get lastFitStats(): TabularFitStats | undefined {
    return this.lastFit;
  }

  get lastComparisonBatch(): CountComparisons | undefined {
    return this.lastComparisons;
  }

  state(): GridworldState {
    return {
      rng: { rollout: this.rolloutRng.state(), teacher: this.teacherRng.state(), order: this.orderRng.state(), queries: this.queryRng.state() },
      labels: this.labels,
      adamT: this.adams.map((a) => a.t),
      asked: this.budget.used,
      paths: this.paths,
    };
  }

  /** Arrays for the checkpoint's safetensors (exact: all float32 or int32). Member k > 0 adds ".k" to the names. */
  arrays(): Record<string, { shape: number[]; data: Float32Array | Int32Array }> {
    const S = this.env.numStates;
    const out: Record<string, { shape: number[]; data: Float32Array | Int32Array }> = { visits: { shape: [S], data: this.visits } };
    this.models.forEach((m, k) => {
      const suffix = k === 0 ? '' : `.${k}`;
      out[`reward.logits${suffix}`] = { shape: [S], data: m.logits };
      out[`adam.m${suffix}`] = { shape: [S], data: this.adams[k]!.m };
      out[`adam.v${suffix}`] = { shape: [S], data: this.adams[k]!.v };
    });
    if (this.buffer) Object.assign(out, this.buffer.arrays('labels'));
    return out;
  }

  restore(state: GridworldState, arrays: Map<string, { data: Float32Array | Int32Array }>): void {
    this.rolloutRng.setState(state.rng.rollout);
    this.teacherRng.setState(state.rng.teacher);
    this.orderRng.setState(state.rng.order);
    this.queryRng.setState(state.rng.queries);
    this.labels = state.labels;
    this.budget.setState({ used: state.asked });
    this.paths = state.paths ?? {};
    const get = (name: string) => {
      const a = arrays.get(name);
      if (!a || a.data.length !== this.env.numStates) throw new CheckpointError(`checkpoint array "${name}" is missing or has the wrong size`);
      return a.data;
    };
    this.models.forEach((m, k) => {
      const suffix = k === 0 ? '' : `.${k}`;
      m.logits.set(get(`reward.logits${suffix}`));
      this.adams[k]!.m.set(get(`adam.m${suffix}`));
      this.adams[k]!.v.set(get(`adam.v${suffix}`));
      this.adams[k]!.t = state.adamT[k] ?? 0;
    });
    this.visits.set(get('visits'));
    this.buffer?.restore(arrays, 'labels');
  }
}
