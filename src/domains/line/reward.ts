/**
 * The line's learned reward (loop step 4): an ensemble of K MLPs r̂_k(s, a) on (x(s), onehot a), x(s) = s/(size−1)
 * or the raw s, and the labelled pairs they are fit to.
 *
 * Inputs are discrete — (s, a) takes 2·size values — so a segment is folded into its counts n_σ(s, a) and its return
 * is R(σ) = Σₜ r(sₜ, aₜ) = Σ_{s,a} n_σ(s, a) r(s, a): every fit step runs the MLP once on the 2·size inputs.
 */
import type { NamedTensor, TensorToWrite } from '../../core/safetensors.js';
import type { Rng } from '../../core/rng.js';
import type { Label, Metrics, RewardLearner } from '../../loop/parts.js';
import { Adam } from '../../optim/adam.js';
import { clipByValue } from '../../optim/clip.js';
import { BootstrapWeights, RewardEnsemble } from '../../reward/ensemble.js';
import { bradleyTerryArrays } from '../../reward/losses.js';
import { Mlp } from '../../reward/mlp.js';
import type { LineBatch } from './batch.js';
import type { LineConfig } from './config.js';
import { NUM_ACTIONS, type Episode, type LineEnv } from './env.js';

/**
 * What a fit reports: `loss`, the members' mean final Bradley–Terry loss, and `accuracy`, the mean model's on the
 * labels (ties excluded); a key is absent when there is nothing to report (no labels yet; only ties).
 */
export type LineFit = Metrics & { loss?: number; accuracy?: number };

export class LineReward implements RewardLearner<LineBatch> {
  readonly members: Mlp[];
  readonly opts: Adam[];
  /** labelled pairs: counts n_σ(s,a) of the left and right segments, [N, 2·size] row-major, and μ = P(left ≻ right) */
  private leftCounts: number[] = [];
  private rightCounts: number[] = [];
  private mu: number[] = [];
  private readonly boot: BootstrapWeights;
  /** [2·size, 3] the model's inputs (x(s), onehot a), row s·2 + a */
  private readonly inputs: Float64Array;
  /** 2·size, the number of (state, action) features */
  private readonly F: number;

  constructor(
    private readonly config: LineConfig,
    private readonly bootRng: Rng,
    forkRng: (name: string) => Rng,
  ) {
    const c = config;
    this.F = c.size * NUM_ACTIONS;
    this.members = Array.from({ length: c.rewardEnsemble }, (_, k) => new Mlp({ sizes: [1 + NUM_ACTIONS, c.hidden, 1], activation: 'relu' }, forkRng(`reward-${k}`)));
    // float32 moments: the precision this domain was tuned and recorded with
    this.opts = this.members.map((m) => new Adam(m.numParams, { lr: c.rewardLr, eps: c.adamEps, precision: 'float32' }));
    this.boot = new BootstrapWeights(c.rewardEnsemble, c.bootstrap);
    this.inputs = new Float64Array(this.F * 3);
    for (let s = 0; s < c.size; s++) {
      const x = c.normalizeState ? s / (c.size - 1) : s;
      for (let a = 0; a < NUM_ACTIONS; a++) {
        const o = (s * NUM_ACTIONS + a) * 3;
        this.inputs[o] = x;
        this.inputs[o + 1 + a] = 1;
      }
    }
  }

  /** labelled pairs so far */
  get pairs(): number {
    return this.mu.length;
  }

  /** r̂_k(s, a) of every member, each [2·size] */
  memberTables(): Float64Array[] {
    return this.members.map((m) => m.predict(this.inputs, this.F));
  }

  /** The ensemble's mean and std of r̂(s, a), [2·size] each. */
  table(): { mean: Float64Array; std: Float64Array } {
    return new RewardEnsemble(this.members).meanAndStd((m) => m.predict(this.inputs, this.F));
  }

  /** Adds the judged queries (null labels carry nothing and are left out), then fits: returns the fit's numbers. */
  fit(batch: LineBatch, labels: Label[]): LineFit {
    if (batch.queries.length > 0) {
      let added = 0;
      batch.queries.forEach((q, i) => {
        const mu = labels[i];
        if (mu === null || mu === undefined) return;
        for (const v of q.left.counts) this.leftCounts.push(v);
        for (const v of q.right.counts) this.rightCounts.push(v);
        this.mu.push(mu);
        added++;
      });
      this.boot.grow(added, this.bootRng);
    }
    return this.fitAll();
  }

  /**
   * Bradley–Terry fit of every member on all labels, full batch, `rewardSteps` Adam steps (reward/losses.ts):
   *    d = R(σˡ) − R(σʳ) = Σ_f (n_σˡ − n_σʳ)_f r̂_f;  loss = Σ wᵢ ℓ(dᵢ, μᵢ) / Σ w;  ∂loss/∂r̂_f = Σᵢ (∂loss/∂dᵢ) (n_σˡ − n_σʳ)ᵢ,f
   */
  private fitAll(): LineFit {
    const N = this.mu.length;
    if (N === 0) return {};
    const F = this.F;
    const Cl = this.leftCounts;
    const Cr = this.rightCounts;
    const d = new Float64Array(N);
    const dd = new Float64Array(N); // ∂loss/∂dᵢ
    let lossSum = 0;
    this.members.forEach((m, k) => {
      const w = this.boot.weights(k);
      let W = 0;
      for (let i = 0; i < N; i++) W += w[i]!;
      if (W === 0) return; // a bootstrap sample without data: nothing to fit yet
      const opt = this.opts[k]!;
      let last = 0;
      for (let step = 0; step < this.config.rewardSteps; step++) {
        const r = m.forward(this.inputs, F); // [F]
        for (let i = 0; i < N; i++) {
          if (w[i] === 0) continue;
          let di = 0;
          for (let f = 0; f < F; f++) di += (Cl[i * F + f]! - Cr[i * F + f]!) * r[f]!;
          d[i] = di;
        }
        const loss = bradleyTerryArrays(d, this.mu, w, dd);
        const dr = new Float64Array(F);
        for (let i = 0; i < N; i++) {
          if (w[i] === 0) continue;
          const g = dd[i]!;
          for (let f = 0; f < F; f++) dr[f]! += g * (Cl[i * F + f]! - Cr[i * F + f]!);
        }
        m.zeroGrad();
        m.backward(dr);
        opt.step(m.flatParams, m.flatGrads);
        last = loss;
      }
      lossSum += last;
    });
    // the mean model's accuracy on the labels (ties excluded)
    const mean = this.table().mean;
    let correct = 0;
    let total = 0;
    for (let i = 0; i < N; i++) {
      const mu = this.mu[i]!;
      if (mu === 0.5) continue;
      let di = 0;
      for (let f = 0; f < F; f++) di += (Cl[i * F + f]! - Cr[i * F + f]!) * mean[f]!;
      total++;
      if (di === 0) correct += 0.5; // the model cannot tell the segments apart (e.g. identical counts): a coin flip
      else if (di > 0 === mu > 0.5) correct++;
    }
    return { loss: lossSum / this.members.length, ...(total > 0 ? { accuracy: correct / total } : {}) };
  }

  /**
   * The seed's reward update (feedback 'regression', member 0 only): Σₜ (r_env(sₜ, aₜ) − r̂(sₜ, aₜ))² over the episode,
   * divided by T, each gradient element clamped to ±gradClip, one Adam step. Returns r̂ before the step, [2·size].
   */
  regress(ep: Episode, env: LineEnv): Float64Array {
    const F = this.F;
    const T = ep.states.length;
    const rm = this.members[0]!;
    const rhat = rm.forward(this.inputs, F);
    const n = new Float64Array(F);
    for (let t = 0; t < T; t++) n[ep.states[t]! * NUM_ACTIONS + ep.actions[t]!]! += 1;
    // ∂/∂r̂ Σₜ (rₜ − r̂)² = Σ −2 (r_env(s,a) − r̂(s,a)) per visit
    const dr = new Float64Array(F);
    for (let f = 0; f < F; f++) {
      if (n[f] === 0) continue;
      const s = Math.floor(f / NUM_ACTIONS);
      const target = env.envReward(env.next(s, f % NUM_ACTIONS));
      dr[f] = (-2 * n[f]! * (target - rhat[f]!)) / T;
    }
    rm.zeroGrad();
    rm.backward(dr);
    clipByValue(rm.flatGrads, this.config.gradClip);
    this.opts[0]!.step(rm.flatParams, rm.flatGrads);
    return rhat;
  }

  toArrays(): Record<string, TensorToWrite> {
    const arrays: Record<string, TensorToWrite> = {};
    this.members.forEach((m, k) => Object.assign(arrays, m.toArrays(`reward${k}`), this.opts[k]!.toArrays(`reward${k}_adam`)));
    arrays['data.left'] = { shape: [this.mu.length, this.F], data: Float32Array.from(this.leftCounts) };
    arrays['data.right'] = { shape: [this.mu.length, this.F], data: Float32Array.from(this.rightCounts) };
    return arrays;
  }

  /** JSON part of a checkpoint: μ of every pair (exact) and the bootstrap weights. */
  state(): { mu: number[]; bootstrap: number[][] } {
    return { mu: this.mu.slice(), bootstrap: this.boot.state() };
  }

  restore(state: { mu: number[]; bootstrap: number[][] }, arrays: Map<string, NamedTensor>): void {
    this.members.forEach((m, k) => {
      m.fromArrays(`reward${k}`, arrays);
      this.opts[k]!.fromArrays(`reward${k}_adam`, arrays);
    });
    this.leftCounts = Array.from(arrays.get('data.left')?.data ?? []);
    this.rightCounts = Array.from(arrays.get('data.right')?.data ?? []);
    this.mu = state.mu.slice();
    this.boot.setState(state.bootstrap);
  }
}
