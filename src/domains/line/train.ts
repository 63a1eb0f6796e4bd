/**
 * The RLHF loop on the line, one iteration at a time:
 *   1. roll out `episodesPerIteration` episodes with the current policy (a policy MLP, softmax over left/right)
 *   2. feedback: draw candidate segment pairs from those episodes, pick the queries (random / disagreement / entropy
 *      over the reward ensemble), ask the teacher (B-Pref), store the labels — or, in the seed's mode, regress the
 *      reward model on the sparse environment reward at every step
 *   3. fit the reward ensemble by Bradley–Terry on all labels so far (full-batch Adam, bootstrap weights per member)
 *   4. REINFORCE on the ensemble's mean predicted reward (stop-gradient), one update per episode: gradients
 *      accumulated over the episode, averaged, clipped, one Adam step
 *   5. evaluate: the exact probability of reaching the goal within `evalSteps` steps
 *
 * Inputs are discrete — (state, action) takes 2·size values — so every batch is folded into counts per
 * (state, action) pair before the MLPs run: a segment's return is R(σ) = Σₜ r(sₜ,aₜ) = Σ_{s,a} n_σ(s,a) r(s,a).
 * The math is the same as step by step (sums in another order), the cost is O(size) per update, not O(steps).
 */
import { sigmoid } from '../../core/math.js';
import { Rng, type RngState } from '../../core/rng.js';
import type { NamedTensor, TensorToWrite } from '../../core/safetensors.js';
import { comparisonTarget } from '../../feedback/types.js';
import { Adam } from '../../optim/adam.js';
import { clipByValue } from '../../optim/clip.js';
import { MovingBaseline, returnsToGo, softmaxReinforceGrad } from '../../policy/reinforce.js';
import { BootstrapWeights, RewardEnsemble, meanAndStd, pairProbabilitiesFromReturns } from '../../reward/ensemble.js';
import { LabelBudget, resolveLabelBudget } from '../../reward/labelBudget.js';
import { bradleyTerryArrays } from '../../reward/losses.js';
import { Mlp } from '../../reward/mlp.js';
import { selectQueries } from '../../reward/querySelection.js';
import { BPrefTeacher } from '../../teachers/bpref.js';
import { lineIterations, type LineConfig } from './config.js';
import { LEFT, LineEnv, NUM_ACTIONS, RIGHT, greedySuccess, successProbability, type Episode } from './env.js';

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

export class LineTrainer {
  readonly env: LineEnv;
  readonly iterations: number;
  readonly policy: Mlp;
  readonly policyOpt: Adam;
  readonly members: Mlp[];
  readonly memberOpts: Adam[];
  readonly budget: LabelBudget;
  readonly teacher: BPrefTeacher;
  /** labelled pairs: counts n_σ(s,a) of the left and right segments, [N, 2·size] row-major, and μ = P(left ≻ right) */
  private leftCounts: number[] = [];
  private rightCounts: number[] = [];
  private mu: number[] = [];
  private boot: BootstrapWeights;
  /** the last `queryBuffer` episodes: where candidate segments come from */
  private buffer: Episode[] = [];
  private readonly rng: Record<'env' | 'teacher' | 'select' | 'boot', Rng>;
  iteration = 0;
  episodesDone = 0;
  /** the 'moving' baseline b ← b + η (Ḡ − b) */
  private readonly baseline: MovingBaseline;
  private skipped = 0;
  labelsToTarget: number | null = null;
  /** regression labels (seed mode): one per step */
  private regressionLabels = 0;
  /** [2·size, 3] reward-model inputs (x(s), onehot a), and [size, 1] policy inputs */
  private readonly rewardInputs: Float64Array;
  private readonly policyInputs: Float64Array;

  constructor(readonly config: LineConfig) {
    const c = config;
    this.env = new LineEnv(c.size);
    this.iterations = lineIterations(c);
    const root = new Rng(c.seed);
    this.rng = { env: root.fork('env'), teacher: root.fork('teacher'), select: root.fork('select'), boot: root.fork('bootstrap') };
    this.policy = new Mlp({ sizes: [1, c.hidden, NUM_ACTIONS], activation: 'relu' }, root.fork('policy'));
    // the MLPs' Adam keeps float32 moments (the precision this domain was tuned and recorded with)
    this.policyOpt = new Adam(this.policy.numParams, { lr: c.policyLr, eps: c.adamEps, precision: 'float32' });
    this.members = Array.from({ length: c.rewardEnsemble }, (_, k) => new Mlp({ sizes: [1 + NUM_ACTIONS, c.hidden, 1], activation: 'relu' }, root.fork(`reward-${k}`)));
    this.memberOpts = this.members.map((m) => new Adam(m.numParams, { lr: c.rewardLr, eps: c.adamEps, precision: 'float32' }));
    this.baseline = new MovingBaseline(c.baselineRate);
    this.budget = new LabelBudget(resolveLabelBudget({ budget: c.labelBudget, perIteration: c.labelsPerIteration, schedule: c.labelSchedule, decay: c.labelDecay }));
    this.teacher = new BPrefTeacher(c.teacherConfig, this.rng.teacher, `teacher:${c.teacher}`);
    this.boot = new BootstrapWeights(c.rewardEnsemble, c.bootstrap);
    const S = c.size;
    this.policyInputs = new Float64Array(S);
    this.rewardInputs = new Float64Array(S * NUM_ACTIONS * 3);
    for (let s = 0; s < S; s++) {
      const x = c.normalizeState ? s / (S - 1) : s;
      this.policyInputs[s] = x;
      for (let a = 0; a < NUM_ACTIONS; a++) {
        const o = (s * NUM_ACTIONS + a) * 3;
        this.rewardInputs[o] = x;
        this.rewardInputs[o + 1 + a] = 1;
      }
    }
  }

  get done(): boolean {
    return this.iteration >= this.iterations;
  }

  get labels(): number {
    return this.config.feedback === 'regression' ? this.regressionLabels : this.budget.used;
  }

  get numPairs(): number {
    return this.mu.length;
  }

  /** P(right | s) for every state, [size] */
  policyTable(): Float64Array {
    const S = this.config.size;
    const z = this.policy.predict(this.policyInputs, S); // [S, 2]
    const p = new Float64Array(S);
    for (let s = 0; s < S; s++) p[s] = sigmoid(z[2 * s + 1]! - z[2 * s]!); // P(right) = e^{z1} / (e^{z0} + e^{z1}) = σ(z1 − z0)
    return p;
  }

  /** r̂_k(s, a) of every member, each [2·size] */
  memberTables(): Float64Array[] {
    const n = this.config.size * NUM_ACTIONS;
    return this.members.map((m) => m.predict(this.rewardInputs, n));
  }

  /** The ensemble's mean and std of r̂(s, a), [2·size] each. */
  rewardTable(): { mean: Float64Array; std: Float64Array } {
    return new RewardEnsemble(this.members).meanAndStd((m) => m.predict(this.rewardInputs, this.config.size * NUM_ACTIONS));
  }

  /** Judged reward of (s, a) (the teacher's), [2·size]. */
  judgedTable(): Float64Array {
    const S = this.config.size;
    const t = new Float64Array(S * NUM_ACTIONS);
    for (let s = 0; s < S; s++) for (let a = 0; a < NUM_ACTIONS; a++) t[s * NUM_ACTIONS + a] = s === this.env.goal ? 0 : this.env.judgedReward(s, this.env.next(s, a));
    return t;
  }

  /** 1. One episode with the (fixed) current policy. */
  private rollout(pRight: Float64Array): Episode {
    const { maxSteps } = this.config;
    const states: number[] = [];
    const actions: number[] = [];
    let s = 0;
    for (let t = 0; t < maxSteps; t++) {
      const a = this.rng.env.uniform() < pRight[s]! ? RIGHT : LEFT;
      states.push(s);
      actions.push(a);
      s = this.env.next(s, a);
      if (s === this.env.goal) break;
    }
    return this.episodeFrom(Int32Array.from(states), Uint8Array.from(actions));
  }

  /** An episode record from its states and actions (rewards follow from them). */
  private episodeFrom(states: Int32Array, actions: Uint8Array): Episode {
    const judged = new Float64Array(states.length);
    let envReturn = 0;
    let last = 0;
    for (let t = 0; t < states.length; t++) {
      const s2 = this.env.next(states[t]!, actions[t]!);
      judged[t] = this.env.judgedReward(states[t]!, s2);
      envReturn += this.env.envReward(s2);
      last = s2;
    }
    return { states, actions, judged, envReturn, reachedGoal: last === this.env.goal };
  }

  /** n(s,a) counts of steps t0..t1−1 of an episode, [2·size] */
  private counts(ep: Episode, t0: number, t1: number): Float64Array {
    const c = new Float64Array(this.config.size * NUM_ACTIONS);
    for (let t = t0; t < t1; t++) c[ep.states[t]! * NUM_ACTIONS + ep.actions[t]!]! += 1;
    return c;
  }

  /** A random window of `segmentLength` steps (the whole episode when shorter). */
  private segment(ep: Episode): { counts: Float64Array; judged: Float64Array } {
    const L = this.config.segmentLength;
    const T = ep.states.length;
    const t0 = T > L ? this.rng.select.int(T - L + 1) : 0;
    const t1 = Math.min(T, t0 + L);
    return { counts: this.counts(ep, t0, t1), judged: ep.judged.slice(t0, t1) };
  }

  /** 2. Candidate pairs → selected queries → teacher labels → dataset. Returns [asked, skipped]. */
  private gatherComparisons(episodes: Episode[]): [number, number] {
    const want = this.budget.allowance(this.iteration);
    if (want === 0) return [0, 0];
    const c = this.config;
    const poolSize = want * c.poolFactor;
    const cands: Array<{ l: ReturnType<LineTrainer['segment']>; r: ReturnType<LineTrainer['segment']> }> = [];
    // Pairs whose (state, action) counts are identical are left out: no reward model of (s, a) can tell them
    // apart, so their label carries no information (and a person would be asked to compare two equal clips).
    for (let i = 0, tries = 0; i < poolSize && tries < 20 * poolSize; tries++) {
      const a = this.rng.select.int(episodes.length);
      let b = episodes.length > 1 ? this.rng.select.int(episodes.length - 1) : a;
      if (episodes.length > 1 && b >= a) b++;
      const q = { l: this.segment(episodes[a]!), r: this.segment(episodes[b]!) };
      if (sameCounts(q.l.counts, q.r.counts)) continue;
      cands.push(q);
      i++;
    }
    if (cands.length === 0) return [0, 0];
    let picked: number[];
    if (c.querySelection === 'random') {
      picked = this.rng.select.sampleIndices(cands.length, Math.min(want, cands.length));
    } else {
      const tables = this.memberTables();
      const P = pairProbabilitiesFromReturns(
        tables.map((r) => ({ left: cands.map((q) => dot(q.l.counts, r)), right: cands.map((q) => dot(q.r.counts, r)) })),
      );
      picked = selectQueries(c.querySelection, P, want, this.rng.select);
    }
    const chosen = picked.map((i) => cands[i]!);
    const labels = this.teacher.labelBatch(chosen.map((q) => ({ left: q.l.judged, right: q.r.judged })));
    this.budget.spend(chosen.length);
    let added = 0;
    let skipped = 0;
    labels.forEach((lab, i) => {
      const mu = comparisonTarget(lab);
      if (mu === undefined) {
        skipped++;
        return;
      }
      const q = chosen[i]!;
      for (const v of q.l.counts) this.leftCounts.push(v);
      for (const v of q.r.counts) this.rightCounts.push(v);
      this.mu.push(mu);
      added++;
    });
    this.boot.grow(added, this.rng.boot);
    return [chosen.length, skipped];
  }

  /**
   * 3. Bradley–Terry fit of every member on all labels, full batch (reward/losses.ts):
   *    d = R(σˡ) − R(σʳ) = Σ_f (n_σˡ − n_σʳ)_f r̂_f;  loss = Σ wᵢ ℓ(dᵢ, μᵢ) / Σ w;  ∂loss/∂r̂_f = Σᵢ (∂loss/∂dᵢ) (n_σˡ − n_σʳ)ᵢ,f
   * Returns the mean final loss and the mean model's accuracy on the labels (ties excluded).
   */
  private fitRewards(): { loss: number | null; accuracy: number | null } {
    const N = this.mu.length;
    if (N === 0) return { loss: null, accuracy: null };
    const F = this.config.size * NUM_ACTIONS;
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
      const opt = this.memberOpts[k]!;
      let last = 0;
      for (let step = 0; step < this.config.rewardSteps; step++) {
        const r = m.forward(this.rewardInputs, F); // [F]
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
    const mean = this.rewardTable().mean;
    let correct = 0;
    let total = 0;
    for (let i = 0; i < N; i++) {
      const mu = this.mu[i]!;
      if (mu === 0.5) continue;
      let d = 0;
      for (let f = 0; f < F; f++) d += (Cl[i * F + f]! - Cr[i * F + f]!) * mean[f]!;
      total++;
      if (d === 0) correct += 0.5; // the model cannot tell the segments apart (e.g. identical counts): a coin flip
      else if (d > 0 === mu > 0.5) correct++;
    }
    return { loss: lossSum / this.members.length, accuracy: total > 0 ? correct / total : null };
  }

  /**
   * 4. REINFORCE on one episode with predicted rewards r̂ (stop-gradient):
   *    loss = −(1/T) Σₜ [Aₜ log π(aₜ|sₜ) + c_H H(π(·|sₜ))],  Aₜ = Gₜ − b,  Gₜ = Σ_{t′≥t} γ^{t′−t} r̂(s_{t′},a_{t′})
   * folded per state: ∂loss/∂z(s) = −(1/T) [c(s,·) − (Σₐ c(s,a)) π(·|s)] + (c_H n(s)/T) π(·|s) ⊙ (log π(·|s) + H(s)),
   * c(s,a) = Σ_{t: sₜ=s, aₜ=a} Aₜ. Then clip each element to ±gradClip and take one Adam step.
   */
  private policyUpdate(ep: Episode, rhat: Float64Array, pRight: Float64Array): void {
    const c = this.config;
    const S = c.size;
    const T = ep.states.length;
    if (T === 0) return;
    const G = returnsToGo(Float64Array.from({ length: T }, (_, t) => rhat[ep.states[t]! * NUM_ACTIONS + ep.actions[t]!]!), c.discount); // Gₜ = r̂ₜ + γ Gₜ₊₁
    const coef = new Float64Array(S * NUM_ACTIONS); // c(s,a)
    const visits = new Float64Array(S); // n(s)
    let meanG = 0;
    for (let t = 0; t < T; t++) {
      const s = ep.states[t]!;
      let b = 0;
      if (c.baseline === 'moving') b = this.baseline.get();
      else if (c.baseline === 'expected') b = pRight[s]! * rhat[s * NUM_ACTIONS + RIGHT]! + (1 - pRight[s]!) * rhat[s * NUM_ACTIONS + LEFT]!; // Σₐ π(a|s) r̂(s,a)
      coef[s * NUM_ACTIONS + ep.actions[t]!]! += G[t]! - b; // Aₜ = Gₜ − b
      visits[s]! += 1;
      meanG += G[t]! / T;
    }
    if (c.baseline === 'moving') this.baseline.update(meanG); // b ← b + η (Ḡ − b)
    const dz = new Float64Array(S * NUM_ACTIONS);
    for (let s = 0; s < S; s++) {
      if (visits[s] === 0) continue;
      const at = s * NUM_ACTIONS;
      softmaxReinforceGrad(coef.subarray(at, at + NUM_ACTIONS), [1 - pRight[s]!, pRight[s]!], T, dz.subarray(at, at + NUM_ACTIONS), { coef: c.entropyCoef, visits: visits[s]! });
    }
    this.policy.forward(this.policyInputs, S);
    this.policy.zeroGrad();
    this.policy.backward(dz);
    clipByValue(this.policy.flatGrads, c.gradClip);
    this.policyOpt.step(this.policy.flatParams, this.policy.flatGrads);
  }

  /**
   * The seed's per-episode update (feedback 'regression'): for every step, reward loss (r_env − r̂(s,a))² and
   * policy loss −log π(a|s) r̂(s,a), both accumulated over the episode, divided by T, clamped to ±gradClip.
   */
  private seedUpdate(ep: Episode, pRight: Float64Array): void {
    const c = this.config;
    const S = c.size;
    const F = S * NUM_ACTIONS;
    const T = ep.states.length;
    if (T === 0) return;
    const rm = this.members[0]!;
    const rhat = rm.forward(this.rewardInputs, F);
    const n = new Float64Array(F);
    for (let t = 0; t < T; t++) n[ep.states[t]! * NUM_ACTIONS + ep.actions[t]!]! += 1;
    // reward: ∂/∂r̂ Σₜ (rₜ − r̂)² = Σ −2 (r_env(s,a) − r̂(s,a)) per visit
    const dr = new Float64Array(F);
    for (let s = 0; s < S; s++)
      for (let a = 0; a < NUM_ACTIONS; a++) {
        const f = s * NUM_ACTIONS + a;
        if (n[f] === 0) continue;
        const target = this.env.envReward(this.env.next(s, a));
        dr[f] = (-2 * n[f]! * (target - rhat[f]!)) / T;
      }
    rm.zeroGrad();
    rm.backward(dr);
    clipByValue(rm.flatGrads, c.gradClip);
    this.regressionLabels += T;
    // policy: REINFORCE with A = r̂ (no baseline), ∂/∂z(s) of −(1/T) Σ n(s,a) r̂(s,a) log π(a|s)
    const dz = new Float64Array(F);
    for (let s = 0; s < S; s++) {
      const at = s * NUM_ACTIONS;
      softmaxReinforceGrad([n[at]! * rhat[at]!, n[at + 1]! * rhat[at + 1]!], [1 - pRight[s]!, pRight[s]!], T, dz.subarray(at, at + NUM_ACTIONS));
    }
    this.policy.forward(this.policyInputs, S);
    this.policy.zeroGrad();
    this.policy.backward(dz);
    clipByValue(this.policy.flatGrads, c.gradClip);
    this.policyOpt.step(this.policy.flatParams, this.policy.flatGrads);
    this.memberOpts[0]!.step(rm.flatParams, rm.flatGrads);
  }

  /** 5. Exact success probability within evalSteps, greedy success, and the policy's mean entropy over states. */
  evaluate(): { successRate: number; greedySuccess: boolean; entropy: number; pRight: Float64Array } {
    const p = this.policyTable();
    let H = 0;
    for (let s = 0; s < this.env.goal; s++) {
      const q = p[s]!;
      H -= (q > 0 ? q * Math.log(q) : 0) + (q < 1 ? (1 - q) * Math.log(1 - q) : 0);
    }
    return {
      successRate: successProbability(this.env, p, this.config.evalSteps),
      greedySuccess: greedySuccess(this.env, p, this.config.evalSteps),
      entropy: H / this.env.goal,
      pRight: p,
    };
  }

  /** Runs one iteration (steps 1–5) and returns its metrics row. */
  step(): LineMetrics {
    const c = this.config;
    const nEpisodes = Math.min(c.episodesPerIteration, c.episodes - this.episodesDone);
    let lengthSum = 0;
    let reached = 0;
    let asked = 0;
    let skipped = 0;
    let fit: { loss: number | null; accuracy: number | null } = { loss: null, accuracy: null };
    if (c.feedback === 'regression') {
      for (let e = 0; e < nEpisodes; e++) {
        const pRight = this.policyTable();
        const ep = this.rollout(pRight);
        lengthSum += ep.states.length;
        if (ep.reachedGoal) reached++;
        this.seedUpdate(ep, pRight);
      }
    } else {
      // 1. roll out (the policy changes after every episode's update, below, so roll out first with the current one)
      const pRight0 = this.policyTable();
      const episodes: Episode[] = [];
      for (let e = 0; e < nEpisodes; e++) episodes.push(this.rollout(pRight0));
      // 2–3. queries and reward fit
      this.buffer.push(...episodes);
      if (this.buffer.length > c.queryBuffer) this.buffer.splice(0, this.buffer.length - c.queryBuffer);
      [asked, skipped] = this.gatherComparisons(this.buffer);
      this.skipped += skipped;
      fit = this.fitRewards();
      // 4. one policy update per episode on the ensemble's mean prediction
      const rhat = this.rewardTable().mean;
      for (const ep of episodes) {
        lengthSum += ep.states.length;
        if (ep.reachedGoal) reached++;
        if (this.mu.length > 0) this.policyUpdate(ep, rhat, this.policyTable());
      }
    }
    this.episodesDone += nEpisodes;
    this.iteration++;
    const ev = this.evaluate();
    if (this.labelsToTarget === null && ev.successRate >= LINE_SUCCESS_TARGET) this.labelsToTarget = this.labels;
    const tables = this.memberTables();
    let right = 0;
    let dis = 0;
    const gaps = tables.map((r) => Float64Array.from({ length: this.env.goal }, (_, s) => r[s * 2 + RIGHT]! - r[s * 2 + LEFT]!));
    const ms = meanAndStd(gaps);
    for (let s = 0; s < this.env.goal; s++) {
      if (ms.mean[s]! > 0) right++;
      dis += ms.std[s]! / this.env.goal;
    }
    return {
      iteration: this.iteration,
      episodes: this.episodesDone,
      'feedback/labels': this.labels,
      'feedback/labels_iteration': c.feedback === 'regression' ? lengthSum : asked,
      'feedback/skipped': this.skipped,
      'reward/loss': fit.loss,
      'reward/accuracy': fit.accuracy,
      'reward/right_preferred': right / this.env.goal,
      'reward/disagreement': dis,
      'policy/entropy': ev.entropy,
      'policy/mean_episode_length': nEpisodes > 0 ? lengthSum / nEpisodes : 0,
      'policy/train_success': nEpisodes > 0 ? reached / nEpisodes : 0,
      'objective/success_rate': ev.successRate,
      'objective/greedy_success': ev.greedySuccess ? 1 : 0,
    };
  }

  /** Everything a resumed run needs: JSON state and named arrays. */
  checkpoint(): { state: LineState; arrays: Record<string, TensorToWrite> } {
    const arrays: Record<string, TensorToWrite> = { ...this.policy.toArrays('policy'), ...this.policyOpt.toArrays('policy_adam') };
    this.members.forEach((m, k) => Object.assign(arrays, m.toArrays(`reward${k}`), this.memberOpts[k]!.toArrays(`reward${k}_adam`)));
    const F = this.config.size * NUM_ACTIONS;
    arrays['data.left'] = { shape: [this.mu.length, F], data: Float32Array.from(this.leftCounts) };
    arrays['data.right'] = { shape: [this.mu.length, F], data: Float32Array.from(this.rightCounts) };
    const flatStates = this.buffer.flatMap((e) => Array.from(e.states));
    const flatActions = this.buffer.flatMap((e) => Array.from(e.actions));
    arrays['buffer.states'] = { shape: [flatStates.length], data: Int32Array.from(flatStates) };
    arrays['buffer.actions'] = { shape: [flatActions.length], data: Int32Array.from(flatActions) };
    arrays['buffer.lengths'] = { shape: [this.buffer.length], data: Int32Array.from(this.buffer.map((e) => e.states.length)) };
    const state: LineState = {
      iteration: this.iteration,
      episodesDone: this.episodesDone,
      baseline: this.baseline.get(),
      labelsToTarget: this.labelsToTarget,
      skipped: this.skipped,
      regressionLabels: this.regressionLabels,
      rng: Object.fromEntries(Object.entries(this.rng).map(([k, r]) => [k, r.state()])),
      budget: this.budget.state(),
      bootstrap: this.boot.state(),
      mu: this.mu.slice(),
    };
    return { state, arrays };
  }

  restore(state: LineState, arrays: Map<string, NamedTensor>): void {
    this.policy.fromArrays('policy', arrays);
    this.policyOpt.fromArrays('policy_adam', arrays);
    this.members.forEach((m, k) => {
      m.fromArrays(`reward${k}`, arrays);
      this.memberOpts[k]!.fromArrays(`reward${k}_adam`, arrays);
    });
    this.leftCounts = Array.from(arrays.get('data.left')?.data ?? []);
    this.rightCounts = Array.from(arrays.get('data.right')?.data ?? []);
    this.mu = state.mu.slice();
    const bs = arrays.get('buffer.states')?.data ?? new Int32Array(0);
    const ba = arrays.get('buffer.actions')?.data ?? new Int32Array(0);
    let off = 0;
    this.buffer = Array.from(arrays.get('buffer.lengths')?.data ?? []).map((len) => {
      const e = this.episodeFrom(Int32Array.from(bs.subarray(off, off + len)), Uint8Array.from(ba.subarray(off, off + len)));
      off += len;
      return e;
    });
    this.iteration = state.iteration;
    this.episodesDone = state.episodesDone;
    this.baseline.values[0] = state.baseline;
    this.labelsToTarget = state.labelsToTarget;
    this.skipped = state.skipped;
    this.regressionLabels = state.regressionLabels;
    for (const [k, r] of Object.entries(this.rng)) r.setState(state.rng[k]!);
    this.budget.setState(state.budget);
    this.boot.setState(state.bootstrap);
  }
}

function sameCounts(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
