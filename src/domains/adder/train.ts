/**
 * Preference-based RL on the adder: states (a, b), an action x is a proposed answer, and a judge prefers the action
 * closer to a + b. One epoch:
 *   1. draw candidate states; the greedy action x_g = argmaxₓ r̄(s, x) by gradient ascent on the ensemble's mean
 *      reward, and a perturbed action x_p = x_g + U(−d, d) with d shrinking over epochs
 *   2. pick the queries among the candidates (random / disagreement / entropy), ask the teacher (B-Pref) to
 *      compare (x_g, x_p) — its true per-step reward is r* = −|a + b − x| — and store the labels
 *   3. Bradley–Terry steps of every member: P(x_g ≻ x_p) = sigmoid(r(s, x_g) − r(s, x_p)), minibatches drawn from
 *      all labels with the member's bootstrap weights (or, in the seed's mode, this epoch's labels only)
 *   4. every few epochs: the metrics on held-out pairs (the same pairs for every seed)
 */
import { Rng, type RngState } from '../../core/rng.js';
import type { NamedTensor, TensorToWrite } from '../../core/safetensors.js';
import { comparisonTarget } from '../../feedback/types.js';
import { BootstrapWeights, pairProbabilitiesFromReturns } from '../../reward/ensemble.js';
import { LabelBudget, resolveLabelBudget } from '../../reward/labelBudget.js';
import { bradleyTerryArrays } from '../../reward/losses.js';
import { Adam } from '../../optim/adam.js';
import { selectQueries } from '../../reward/querySelection.js';
import { BPrefTeacher } from '../../teachers/bpref.js';
import type { AdderConfig } from './config.js';
import { LinearFeatureReward, MlpReward, greedyActions, type AdderRewardModel, type AscentOptions } from './model.js';

/** The targets: held-out preference accuracy ≥ 0.98 with greedy-action MSE ≤ 0.1. */
export const ADDER_TARGETS = { preferenceAccuracy: 0.98, actionMse: 0.1 } as const;

/** Held-out pairs are drawn from this fixed stream, independent of --seed, so all runs are scored on the same pairs. */
export const ADDER_EVAL_SEED = 20240601;

export interface AdderEval {
  /** the seed's protocol: greedy vs greedy + U(−2, 2); correct when sigmoid(r̄(x_g) − r̄(x_p)) falls on the side of the truth */
  preferenceAccuracy: number;
  /** two actions a + b + U(−5, 5) each: a harder test of the whole reward shape */
  randomPairAccuracy: number;
  /** mean (a + b − x_g)² over the held-out states */
  actionMse: number;
  /** mean |a + b − x_g| */
  actionMae: number;
}

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

export class AdderTrainer {
  readonly members: AdderRewardModel[];
  readonly opts: Adam[];
  readonly budget: LabelBudget;
  readonly teacher: BPrefTeacher;
  readonly ascent: AscentOptions;
  private readonly rng: Record<'states' | 'perturb' | 'teacher' | 'select' | 'boot' | 'fit', Rng>;
  private boot: BootstrapWeights;
  /** labelled pairs: state, left (greedy) and right (perturbed) actions, μ = P(left ≻ right) */
  private data = { a: [] as number[], b: [] as number[], xl: [] as number[], xr: [] as number[], mu: [] as number[] };
  /** per member: label indices repeated by their bootstrap weights (sampling uniformly from it = the resample) */
  private expanded: number[][];
  private readonly held: { a: Float64Array; b: Float64Array; u: Float64Array; x1: Float64Array; x2: Float64Array };
  iteration = 0;
  lastEval: AdderEval | null = null;

  constructor(readonly config: AdderConfig) {
    const c = config;
    const root = new Rng(c.seed);
    this.rng = { states: root.fork('states'), perturb: root.fork('perturb'), teacher: root.fork('teacher'), select: root.fork('select'), boot: root.fork('bootstrap'), fit: root.fork('fit') };
    this.members = Array.from({ length: c.rewardEnsemble }, (_, k) =>
      c.model === 'linear'
        ? new LinearFeatureReward(c.slope)
        : new MlpReward(c.hidden, c.activation, c.initStd > 0 ? { kind: 'normal', std: c.initStd } : { kind: 'glorot' }, c.inputScale, root.fork(`reward-${k}`)),
    );
    // the linear model starts at θ = 0 for every member (as the seed); members then differ only by their bootstrap
    // float32 moments: the precision this domain was tuned and recorded with
    this.opts = this.members.map((m) => new Adam(m.flatParams.length, { lr: c.rewardLr, precision: 'float32' }));
    this.budget = new LabelBudget(resolveLabelBudget({ budget: c.labelBudget, perIteration: c.labelsPerIteration, schedule: c.labelSchedule, decay: c.labelDecay }));
    this.teacher = new BPrefTeacher(c.teacherConfig, this.rng.teacher, `teacher:${c.teacher}`);
    this.boot = new BootstrapWeights(c.rewardEnsemble, c.bootstrap);
    this.expanded = this.members.map(() => []);
    this.ascent = { method: c.ascent, lr: c.ascentLr, steps: c.ascentSteps, init: c.ascentInit, lo: -c.stateMax, hi: 3 * c.stateMax };
    const er = new Rng(ADDER_EVAL_SEED);
    const n = c.evalPairs;
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    const u = new Float64Array(n);
    const x1 = new Float64Array(n);
    const x2 = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      a[i] = er.int(c.stateMax);
      b[i] = er.int(c.stateMax);
      u[i] = 2 * er.uniform() - 1;
      x1[i] = a[i]! + b[i]! + (10 * er.uniform() - 5);
      x2[i] = a[i]! + b[i]! + (10 * er.uniform() - 5);
    }
    this.held = { a, b, u, x1, x2 };
  }

  get done(): boolean {
    return this.iteration >= this.config.epochs;
  }

  get labels(): number {
    return this.budget.used;
  }

  get numPairs(): number {
    return this.data.mu.length;
  }

  /** α_t = α (f + (1 − f)(1 − t/E)): linear decay to the fraction f of the step size at the last epoch */
  rewardLr(): number {
    const c = this.config;
    const f = c.rewardLrFinal;
    return c.rewardLr * (f + (1 - f) * (1 - this.iteration / c.epochs));
  }

  /** d_t = dMin + (dMax − dMin) exp(−t/τ) */
  perturbation(t: number): number {
    const c = this.config;
    return c.perturbMin + (c.perturbMax - c.perturbMin) * Math.exp(-t / c.perturbTau);
  }

  /** Mean reward of the ensemble, r̄ = (1/K) Σ_k r_k. */
  meanReward(a: ArrayLike<number>, b: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
    const out = new Float64Array(x.length);
    for (const m of this.members) {
      const r = m.predict(a, b, x);
      for (let i = 0; i < out.length; i++) out[i]! += r[i]! / this.members.length;
    }
    return out;
  }

  greedy(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
    return greedyActions(this.members, a, b, this.ascent);
  }

  /** 1–2. Candidates, selection, teacher labels. Returns the number of queries asked. */
  private gather(): number {
    const c = this.config;
    const want = this.budget.allowance(this.iteration);
    if (want === 0) return 0;
    const P = want * c.poolFactor;
    const a = new Float64Array(P);
    const b = new Float64Array(P);
    for (let i = 0; i < P; i++) {
      a[i] = this.rng.states.int(c.stateMax);
      b[i] = this.rng.states.int(c.stateMax);
    }
    const xg = this.greedy(a, b);
    const d = this.perturbation(this.iteration);
    const xp = xg.map((x) => x + d * (2 * this.rng.perturb.uniform() - 1));
    let picked: number[];
    if (c.querySelection === 'random' || P === want) {
      picked = P === want ? Array.from({ length: P }, (_, i) => i) : this.rng.select.sampleIndices(P, want);
    } else {
      const probs = pairProbabilitiesFromReturns(this.members.map((m) => ({ left: m.predict(a, b, xg), right: m.predict(a, b, xp) })));
      picked = selectQueries(c.querySelection, probs, want, this.rng.select);
    }
    // r*(s, x) = −|a + b − x|: one-step segments for the teacher
    const pairs = picked.map((i) => ({ left: [-Math.abs(a[i]! + b[i]! - xg[i]!)], right: [-Math.abs(a[i]! + b[i]! - xp[i]!)] }));
    const labels = this.teacher.labelBatch(pairs);
    this.budget.spend(picked.length);
    let added = 0;
    const start = this.data.mu.length;
    labels.forEach((lab, j) => {
      const mu = comparisonTarget(lab);
      if (mu === undefined) return;
      const i = picked[j]!;
      // stored as float32 values, as in the checkpoint, so a resumed run trains on exactly the same numbers
      this.data.a.push(Math.fround(a[i]!));
      this.data.b.push(Math.fround(b[i]!));
      this.data.xl.push(Math.fround(xg[i]!));
      this.data.xr.push(Math.fround(xp[i]!));
      this.data.mu.push(mu);
      added++;
    });
    this.boot.grow(added, this.rng.boot);
    this.extendExpanded(start);
    return picked.length;
  }

  private extendExpanded(from: number): void {
    for (let k = 0; k < this.members.length; k++) {
      const w = this.boot.weights(k);
      for (let i = from; i < w.length; i++) for (let r = 0; r < w[i]!; r++) this.expanded[k]!.push(i);
    }
  }

  /**
   * 3. Bradley–Terry steps (reward/losses.ts):  d = r(s, x_l) − r(s, x_r);  loss = mean ℓ(d, μ);  ∂loss/∂r_l = ∂loss/∂d = −∂loss/∂r_r
   */
  private fit(epochStart: number): { loss: number | null; accuracy: number | null } {
    const c = this.config;
    const N = this.data.mu.length;
    if (N === 0) return { loss: null, accuracy: null };
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
        this.opts[k]!.step(m.flatParams, m.flatGrads, this.rewardLr());
        last = loss;
      }
      lossSum += last;
      fitted++;
    }
    // accuracy of the mean model on this epoch's labels (before they shaped it much: a running held-in check)
    const from = epochStart;
    let correct = 0;
    let total = 0;
    if (N > from) {
      const sl = (arr: number[]) => arr.slice(from);
      const rl = this.meanReward(sl(this.data.a), sl(this.data.b), sl(this.data.xl));
      const rr = this.meanReward(sl(this.data.a), sl(this.data.b), sl(this.data.xr));
      for (let j = 0; j < rl.length; j++) {
        const mu = this.data.mu[from + j]!;
        if (mu === 0.5) continue;
        total++;
        const d = rl[j]! - rr[j]!;
        if (d === 0) correct += 0.5;
        else if (d > 0 === mu > 0.5) correct++;
      }
    }
    return { loss: fitted > 0 ? lossSum / fitted : null, accuracy: total > 0 ? correct / total : null };
  }

  /** 4. Held-out metrics. */
  evaluate(): AdderEval {
    const { a, b, u, x1, x2 } = this.held;
    const n = a.length;
    const xg = this.greedy(a, b);
    const xp = xg.map((x, i) => x + 2 * u[i]!); // the seed: greedy + U(−2, 2)
    const rg = this.meanReward(a, b, xg);
    const rp = this.meanReward(a, b, xp);
    const r1 = this.meanReward(a, b, x1);
    const r2 = this.meanReward(a, b, x2);
    let acc = 0;
    let acc2 = 0;
    let mse = 0;
    let mae = 0;
    const score = (d: number, truthLeft: boolean) => (d === 0 ? 0.5 : d > 0 === truthLeft ? 1 : 0);
    for (let i = 0; i < n; i++) {
      const ans = a[i]! + b[i]!;
      acc += score(rg[i]! - rp[i]!, Math.abs(ans - xg[i]!) <= Math.abs(ans - xp[i]!));
      acc2 += score(r1[i]! - r2[i]!, Math.abs(ans - x1[i]!) <= Math.abs(ans - x2[i]!));
      mse += (ans - xg[i]!) ** 2;
      mae += Math.abs(ans - xg[i]!);
    }
    this.lastEval = { preferenceAccuracy: acc / n, randomPairAccuracy: acc2 / n, actionMse: mse / n, actionMae: mae / n };
    return this.lastEval;
  }

  /** How often step() evaluates: every max(1, round(epochs/20)) epochs, and at the last. */
  get evalEvery(): number {
    return Math.max(1, Math.round(this.config.epochs / 20));
  }

  step(): AdderMetrics {
    const start = this.data.mu.length;
    const d = this.perturbation(this.iteration);
    const asked = this.gather();
    const fit = this.fit(start);
    this.iteration++;
    const ev = this.iteration % this.evalEvery === 0 || this.done ? this.evaluate() : null;
    return {
      iteration: this.iteration,
      'feedback/labels': this.labels,
      'feedback/labels_iteration': asked,
      'feedback/perturbation': d,
      'reward/loss': fit.loss,
      'reward/accuracy': fit.accuracy,
      'objective/preference_accuracy': ev?.preferenceAccuracy ?? null,
      'objective/random_pair_accuracy': ev?.randomPairAccuracy ?? null,
      'objective/action_mse': ev?.actionMse ?? null,
    };
  }

  checkpoint(): { state: AdderState; arrays: Record<string, TensorToWrite> } {
    const arrays: Record<string, TensorToWrite> = {};
    this.members.forEach((m, k) => Object.assign(arrays, m.toArrays(`reward${k}`), this.opts[k]!.toArrays(`reward${k}_adam`)));
    const N = this.data.mu.length;
    for (const key of ['a', 'b', 'xl', 'xr', 'mu'] as const) arrays[`data.${key}`] = { shape: [N], data: Float32Array.from(this.data[key]) };
    return {
      state: {
        iteration: this.iteration,
        rng: Object.fromEntries(Object.entries(this.rng).map(([k, r]) => [k, r.state()])),
        budget: this.budget.state(),
        bootstrap: this.boot.state(),
        lastEval: this.lastEval,
      },
      arrays,
    };
  }

  restore(state: AdderState, arrays: Map<string, NamedTensor>): void {
    this.members.forEach((m, k) => {
      m.fromArrays(`reward${k}`, arrays);
      this.opts[k]!.fromArrays(`reward${k}_adam`, arrays);
    });
    for (const key of ['a', 'b', 'xl', 'xr', 'mu'] as const) this.data[key] = Array.from(arrays.get(`data.${key}`)?.data ?? []);
    this.iteration = state.iteration;
    for (const [k, r] of Object.entries(this.rng)) r.setState(state.rng[k]!);
    this.budget.setState(state.budget);
    this.boot.setState(state.bootstrap);
    this.expanded = this.members.map(() => []);
    this.extendExpanded(0);
    this.lastEval = state.lastEval;
  }
}
