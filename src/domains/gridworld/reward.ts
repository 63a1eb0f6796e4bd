/**
 * The gridworld's reward learner (loop step 4): K tabular state rewards r_θₖ(s) = log softmax(θₖ)(s), each fitted by
 * Bradley–Terry on the visit-count differences of the judged pairs (src/reward/tabular.ts), with Adam.
 *
 *   one model (K = 1, the seed)   fit this batch's labels, or every label so far (label replay, config.replayLabels)
 *   an ensemble (K > 1)           member k fits the labels under its own weights: the replay buffer's, fresh Poisson(1)
 *                                 draws (online bootstrap, Oza & Russell 2001), or the batch as it is
 * The planning reward is the members' mean (1/K) Σₖ r_θₖ.
 */
import { CheckpointError, ConfigError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { Label, Metrics, RewardLearner } from '../../loop/parts.js';
import { ComparisonBuffer } from '../../reward/comparisonBuffer.js';
import type * as EnsembleModule from '../../reward/ensemble.js';
import { centredPriors } from '../../reward/ensemble.js';
import { Adam, TabularBTTrainer, TabularStateReward, comparisonAccuracy, countComparisons, softmax, type CountComparisons, type TabularFitStats } from '../../reward/tabular.js';
import type { GridworldConfig } from './config.js';
import type { GridworldBatch } from './batch.js';

/** Fits the reward to comparisons; the typed-array trainer or a tfjs one (same math) plug in here. */
export interface TabularFitter {
  fit(c: CountComparisons): TabularFitStats | Promise<TabularFitStats>;
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

export class GridworldReward implements RewardLearner<GridworldBatch> {
  /** the reward models (one unless --reward-ensemble K) and their optimizers; model/adam are member 0 */
  readonly models: TabularStateReward[];
  readonly adams: Adam[];
  private readonly fitters: TabularFitter[];
  /** every label so far, when the reward is fitted on all of them (config.replayLabels) */
  private readonly buffer: ComparisonBuffer | undefined;
  /** src/reward/ensemble.ts, loaded by prepare() only when an ensemble or a query selection needs it (it pulls in tfjs) */
  private ens: typeof EnsembleModule | undefined;
  private labels = 0;
  private lastFit: TabularFitStats | undefined;
  private lastComparisons: CountComparisons | undefined;

  /**
   * @param target [S] the true target distribution p*, for the correlation metric
   * @param askedCount the label budget's count so far (feedback/asked)
   * @param weightRng draws the replay buffer's and the bootstrap's Poisson weights
   */
  constructor(
    private readonly config: GridworldConfig,
    private readonly numStates: number,
    private readonly target: ArrayLike<number>,
    private readonly askedCount: () => number,
    private readonly weightRng: Rng,
    priorRng: Rng,
  ) {
    const S = numStates;
    // randomized priors (Osband et al. 2018), centred: member k starts at θₖ = σ (zₖ − mean_j z_j), so members disagree
    // about every state no label has touched yet, while their mean starts flat at θ = 0 (the seed's init; K = 1: θ = 0)
    const priors = centredPriors(config.rewardEnsemble, S, config.ensemblePrior, priorRng);
    this.models = priors.map((p) => new TabularStateReward(S, p));
    this.adams = this.models.map(() => new Adam(S, { lr: config.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 }));
    this.fitters = this.models.map((m, k) => new TabularBTTrainer(m, this.adams[k]!, config.rewardSteps));
    this.buffer = config.replayLabels ? new ComparisonBuffer(S, config.rewardEnsemble, config.bootstrap) : undefined;
  }

  get model(): TabularStateReward {
    return this.models[0]!;
  }

  get adam(): Adam {
    return this.adams[0]!;
  }

  /** Replaces member 0's reward fitter (e.g. the tfjs implementation); it must update this.model.logits and this.adam. */
  setFitter(f: TabularFitter): void {
    this.fitters[0] = f;
  }

  /** true while an ensemble or a query selection still needs prepare() */
  get needsPrepare(): boolean {
    const c = this.config;
    return (this.models.length > 1 || c.querySelection !== 'all' || c.labelBudget !== Infinity) && !this.ens;
  }

  /** Loads what an ensemble or a query selection needs; call (await) once before the first iteration of such a config. */
  async prepare(): Promise<void> {
    if (this.needsPrepare) this.ens = await import('../../reward/ensemble.js');
  }

  /** src/reward/ensemble.ts, once prepare() loaded it */
  ensemble(): typeof EnsembleModule {
    if (!this.ens) {
      const c = this.config;
      const key = c.rewardEnsemble > 1 ? 'rewardEnsemble' : c.querySelection !== 'all' ? 'querySelection' : 'labelBudget';
      throw new ConfigError(key, `GridworldExperiment: this config (${key} ${String(c[key])}) needs the ensemble module, which is loaded on demand; call \`await experiment.prepare()\` once before running it`);
    }
    return this.ens;
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

  /** Pearson correlation of the learned distribution softmax(θ) with the true target distribution p*. */
  correlation(): number {
    return pearson(this.learnedDistribution(), this.target);
  }

  /** The labelled comparisons of a batch: μ per pair, NaN where the label is null (dropped from the fit). */
  comparisons(batch: GridworldBatch, labels: Label[]): CountComparisons {
    const { batch: B, horizon: H } = this.config;
    const mu = new Float64Array(B);
    for (let i = 0; i < B; i++) mu[i] = labels[i] ?? Number.NaN;
    return countComparisons(batch.left.states, batch.right.states, B, H, H + 1, this.numStates, mu);
  }

  fit(batch: GridworldBatch, labels: Label[]): Metrics | Promise<Metrics> {
    const c = this.comparisons(batch, labels);
    this.lastComparisons = c;
    // replay: member k fits every label so far, weighted by its bootstrap draws; else this batch only (the seed)
    this.buffer?.push(c, this.weightRng);
    if (this.models.length === 1) {
      const stats = this.fitters[0]!.fit(this.buffer ? this.buffer.all(0) : c);
      return stats instanceof Promise ? stats.then((st) => this.fitMetrics(st, c)) : this.fitMetrics(stats, c);
    }
    // an ensemble: each member fits its own weighting of the labels
    const { poisson1, meanAndStd } = this.ensemble();
    const accuracyBefore = comparisonAccuracy(c, this.learnedReward());
    let loss = 0;
    let lossBefore = 0;
    let fitted = 0;
    for (let k = 0; k < this.models.length; k++) {
      let d = c;
      if (this.buffer) d = this.buffer.all(k);
      else if (this.config.bootstrap) d = { ...c, weight: Float64Array.from(c.mu, () => poisson1(this.weightRng)) };
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
      'reward/correlation': this.correlation(),
      'feedback/asked': this.askedCount(),
    };
  }

  /** labels fitted so far (informative or not: the count of labelled pairs) */
  get labelCount(): number {
    return this.labels;
  }

  get lastFitStats(): TabularFitStats | undefined {
    return this.lastFit;
  }

  get lastComparisonBatch(): CountComparisons | undefined {
    return this.lastComparisons;
  }

  // checkpoint ------------------------------------------------------------------------------------------------
  state(): { labels: number; adamT: number[] } {
    return { labels: this.labels, adamT: this.adams.map((a) => a.t) };
  }

  /** Arrays for the checkpoint (exact: float32). Member k > 0 adds ".k" to the names. */
  arrays(): Record<string, { shape: number[]; data: Float32Array | Int32Array }> {
    const S = this.numStates;
    const out: Record<string, { shape: number[]; data: Float32Array | Int32Array }> = {};
    this.models.forEach((m, k) => {
      const suffix = k === 0 ? '' : `.${k}`;
      out[`reward.logits${suffix}`] = { shape: [S], data: m.logits };
      out[`adam.m${suffix}`] = { shape: [S], data: this.adams[k]!.m };
      out[`adam.v${suffix}`] = { shape: [S], data: this.adams[k]!.v };
    });
    if (this.buffer) Object.assign(out, this.buffer.arrays('labels'));
    return out;
  }

  restore(state: { labels: number; adamT: number[] }, arrays: Map<string, { data: Float32Array | Int32Array }>): void {
    this.labels = state.labels;
    const get = (name: string) => {
      const a = arrays.get(name);
      if (!a || a.data.length !== this.numStates) throw new CheckpointError(`checkpoint array "${name}" is missing or has the wrong size`);
      return a.data;
    };
    this.models.forEach((m, k) => {
      const suffix = k === 0 ? '' : `.${k}`;
      m.logits.set(get(`reward.logits${suffix}`));
      this.adams[k]!.m.set(get(`adam.m${suffix}`));
      this.adams[k]!.v.set(get(`adam.v${suffix}`));
      this.adams[k]!.t = state.adamT[k] ?? 0;
    });
    this.buffer?.restore(arrays, 'labels');
  }
}
