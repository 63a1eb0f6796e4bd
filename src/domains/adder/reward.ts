/**
 * The adder's learned reward (loop step 4): an ensemble of K reward models r_k(a, b, x) (model.ts: linear in the
 * seed's two features, or an MLP), the labelled pairs they are fit to, and the greedy answer it implies
 * x* = argmaxₓ r̄(a, b, x) (gradient ascent, model.ts).
 */
import type { Rng } from '../../core/rng.js';
import type { NamedTensor, TensorToWrite } from '../../core/safetensors.js';
import type { Label, Metrics, RewardLearner } from '../../loop/parts.js';
import { Adam } from '../../optim/adam.js';
import { BootstrapWeights } from '../../reward/ensemble.js';
import { bradleyTerryArrays } from '../../reward/losses.js';
import type { AdderBatch } from './batch.js';
import type { AdderConfig } from './config.js';
import { LinearFeatureReward, MlpReward, greedyActions, type AdderRewardModel, type AscentOptions } from './model.js';

/**
 * What a fit reports: `loss`, the fitted members' mean Bradley–Terry loss on their last minibatch, and `accuracy`, the
 * mean model's on this epoch's labels (ties excluded); a key is absent when there is nothing to report.
 */
export type AdderFit = Metrics & { loss?: number; accuracy?: number };

const DATA_KEYS = ['a', 'b', 'xl', 'xr', 'mu'] as const;

export class AdderReward implements RewardLearner<AdderBatch> {
  readonly members: AdderRewardModel[];
  readonly opts: Adam[];
  readonly ascent: AscentOptions;
  private readonly boot: BootstrapWeights;
  /** labelled pairs: state, left (greedy) and right (perturbed) actions, μ = P(left ≻ right); float32 values, as in the checkpoint */
  private data: Record<(typeof DATA_KEYS)[number], number[]> = { a: [], b: [], xl: [], xr: [], mu: [] };
  /** per member: label indices repeated by their bootstrap weights (sampling uniformly from it = the resample) */
  private expanded: number[][];

  constructor(
    private readonly config: AdderConfig,
    private readonly rng: { boot: Rng; fit: Rng },
    forkRng: (name: string) => Rng,
  ) {
    const c = config;
    this.members = Array.from({ length: c.rewardEnsemble }, (_, k) =>
      c.model === 'linear'
        ? new LinearFeatureReward(c.slope)
        : new MlpReward(c.hidden, c.activation, c.initStd > 0 ? { kind: 'normal', std: c.initStd } : { kind: 'glorot' }, c.inputScale, forkRng(`reward-${k}`)),
    );
    // the linear model starts at θ = 0 for every member (as the seed); members then differ only by their bootstrap
    // float32 moments: the precision this domain was tuned and recorded with
    this.opts = this.members.map((m) => new Adam(m.flatParams.length, { lr: c.rewardLr, precision: 'float32' }));
    this.boot = new BootstrapWeights(c.rewardEnsemble, c.bootstrap);
    this.expanded = this.members.map(() => []);
    this.ascent = { method: c.ascent, lr: c.ascentLr, steps: c.ascentSteps, init: c.ascentInit, lo: -c.stateMax, hi: 3 * c.stateMax };
  }

  /** labelled pairs so far */
  get pairs(): number {
    return this.data.mu.length;
  }

  /** Mean reward of the ensemble, r̄ = (1/K) Σ_k r_k. */
  mean(a: ArrayLike<number>, b: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
    const out = new Float64Array(x.length);
    for (const m of this.members) {
      const r = m.predict(a, b, x);
      for (let i = 0; i < out.length; i++) out[i]! += r[i]! / this.members.length;
    }
    return out;
  }

  /** The greedy answers x* = argmaxₓ r̄(a, b, x), by gradient ascent. */
  greedy(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
    return greedyActions(this.members, a, b, this.ascent);
  }

  /** α_t = α (f + (1 − f)(1 − t/E)): linear decay to the fraction f of the step size at the last epoch (t 0-based) */
  lr(t: number): number {
    const c = this.config;
    const f = c.rewardLrFinal;
    return c.rewardLr * (f + (1 - f) * (1 - t / c.epochs));
  }

  /** Adds the epoch's judged queries (null labels are left out), then fits (iteration 1-based). */
  fit(batch: AdderBatch, labels: Label[], iteration: number): AdderFit {
    const start = this.data.mu.length;
    if (batch.a.length > 0) {
      let added = 0;
      labels.forEach((mu, i) => {
        if (mu === null || i >= batch.a.length) return;
        // stored as float32 values, as in the checkpoint, so a resumed run trains on exactly the same numbers
        this.data.a.push(Math.fround(batch.a[i]!));
        this.data.b.push(Math.fround(batch.b[i]!));
        this.data.xl.push(Math.fround(batch.xl[i]!));
        this.data.xr.push(Math.fround(batch.xr[i]!));
        this.data.mu.push(Math.fround(mu));
        added++;
      });
      this.boot.grow(added, this.rng.boot);
      this.extendExpanded(start);
    }
    return this.steps(start, iteration - 1);
  }

  private extendExpanded(from: number): void {
    for (let k = 0; k < this.members.length; k++) {
      const w = this.boot.weights(k);
      for (let i = from; i < w.length; i++) for (let r = 0; r < w[i]!; r++) this.expanded[k]!.push(i);
    }
  }

  /**
   * `rewardSteps` Bradley–Terry steps per member (reward/losses.ts) on minibatches of all labels (or, rewardBatch 0,
   * the epoch's labels from `epochStart`):  d = r(s, x_l) − r(s, x_r);  loss = mean ℓ(d, μ);  ∂loss/∂r_l = ∂loss/∂d = −∂loss/∂r_r
   */
  private steps(epochStart: number, t: number): AdderFit {
    const c = this.config;
    const N = this.data.mu.length;
    if (N === 0) return {};
    let lossSum = 0;
    let fitted = 0;
    for (let k = 0; k < this.members.length; k++) {
      const m = this.members[k]!;
      const pool = c.rewardBatch === 0 ? Array.from({ length: N - epochStart }, (_, i) => epochStart + i) : this.expanded[k]!;
      if (pool.length === 0) continue;
      let last = 0;
      for (let s = 0; s < c.rewardSteps; s++) {
        const idx = c.rewardBatch === 0 ? pool : Array.from({ length: c.rewardBatch }, () => pool[this.rng.fit.int(pool.length)]!);
        const B = idx.length;
        const A = new Float64Array(2 * B);
        const Bv = new Float64Array(2 * B);
        const X = new Float64Array(2 * B);
        idx.forEach((i, j) => {
          A[j] = A[B + j] = this.data.a[i]!;
          Bv[j] = Bv[B + j] = this.data.b[i]!;
          X[j] = this.data.xl[i]!;
          X[B + j] = this.data.xr[i]!;
        });
        const r = m.forward(A, Bv, X); // [2B]: left rewards, then right
        const d = new Float64Array(B);
        const mu = new Float64Array(B);
        idx.forEach((i, j) => {
          d[j] = r[j]! - r[B + j]!;
          mu[j] = this.data.mu[i]!;
        });
        const dd = new Float64Array(B);
        const loss = bradleyTerryArrays(d, mu, undefined, dd);
        const dr = new Float64Array(2 * B);
        for (let j = 0; j < B; j++) {
          dr[j] = dd[j]!;
          dr[B + j] = -dd[j]!;
        }
        m.zeroGrad();
        m.backward(dr);
        this.opts[k]!.step(m.flatParams, m.flatGrads, this.lr(t));
        last = loss;
      }
      lossSum += last;
      fitted++;
    }
    // accuracy of the mean model on this epoch's labels (before they shaped it much: a running held-in check)
    let correct = 0;
    let total = 0;
    if (N > epochStart) {
      const sl = (arr: number[]) => arr.slice(epochStart);
      const rl = this.mean(sl(this.data.a), sl(this.data.b), sl(this.data.xl));
      const rr = this.mean(sl(this.data.a), sl(this.data.b), sl(this.data.xr));
      for (let j = 0; j < rl.length; j++) {
        const mu = this.data.mu[epochStart + j]!;
        if (mu === 0.5) continue;
        total++;
        const d = rl[j]! - rr[j]!;
        if (d === 0) correct += 0.5;
        else if (d > 0 === mu > 0.5) correct++;
      }
    }
    return { ...(fitted > 0 ? { loss: lossSum / fitted } : {}), ...(total > 0 ? { accuracy: correct / total } : {}) };
  }

  toArrays(): Record<string, TensorToWrite> {
    const arrays: Record<string, TensorToWrite> = {};
    this.members.forEach((m, k) => Object.assign(arrays, m.toArrays(`reward${k}`), this.opts[k]!.toArrays(`reward${k}_adam`)));
    for (const key of DATA_KEYS) arrays[`data.${key}`] = { shape: [this.data.mu.length], data: Float32Array.from(this.data[key]) };
    return arrays;
  }

  bootstrapState(): number[][] {
    return this.boot.state();
  }

  restore(bootstrap: number[][], arrays: Map<string, NamedTensor>): void {
    this.members.forEach((m, k) => {
      m.fromArrays(`reward${k}`, arrays);
      this.opts[k]!.fromArrays(`reward${k}_adam`, arrays);
    });
    for (const key of DATA_KEYS) this.data[key] = Array.from(arrays.get(`data.${key}`)?.data ?? []);
    this.boot.setState(bootstrap);
    this.expanded = this.members.map(() => []);
    this.extendExpanded(0);
  }
}
