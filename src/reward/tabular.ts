/**
 * Tabular state reward with learnable logits, and its Bradley–Terry trainer (Adam, src/optim), in plain typed arrays.
 *
 *   r_θ(s) = log softmax(θ)_s = θ_s − log Σ_{s'} exp θ_{s'}          (the seed's agent reward: a log target distribution)
 *   R(σ) = Σₜ r_θ(sₜ) = c_σ · r_θ                                     (c_σ: visit counts of segment σ)
 *   d = R(σˡ) − R(σʳ) = (c_σˡ − c_σʳ) · r_θ = D · r_θ,  P(σˡ ≻ σʳ) = sigmoid(d)
 *   loss = (1/Σw) Σᵢ wᵢ [softplus(dᵢ) − μᵢ dᵢ]                         (Bradley–Terry cross-entropy, ties μ = ½)
 *   ∂loss/∂r = (1/Σw) Σᵢ wᵢ (sigmoid(dᵢ) − μᵢ) Dᵢ =: g;   ∂loss/∂θ = g − softmax(θ) Σₖ gₖ
 *
 * A segment's return is linear in the reward vector, so the gradient is analytic and a step costs O(nnz(D) + S):
 * for the 5×5 default that is ~60 non-zeros per pair instead of a tensor graph (tfjs dispatch costs µs per op, more
 * than the arithmetic here; docs/gridworld.md "Speed" has the measurement). Parameters and Adam moments are float32 arrays (as in PyTorch), so a
 * checkpoint stores them exactly and a resumed run continues bit for bit.
 */
import { ConfigError, ShapeError } from '../core/errors.js';
import { Adam } from '../optim/adam.js';
import { bradleyTerryGrad, bradleyTerryTerm } from './losses.js';

/** The optimizer TabularBTTrainer steps (src/optim/adam.ts), re-exported for the gridworld, which makes one per member. */
export { Adam };

/** r = log softmax(θ) into out. */
export function logSoftmax(theta: ArrayLike<number>, out: Float64Array = new Float64Array(theta.length)): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < theta.length; i++) m = Math.max(m, theta[i]!);
  let z = 0;
  for (let i = 0; i < theta.length; i++) z += Math.exp(theta[i]! - m);
  const lse = m + Math.log(z);
  for (let i = 0; i < theta.length; i++) out[i] = theta[i]! - lse;
  return out;
}

/** p = softmax(θ). */
export function softmax(theta: ArrayLike<number>, out: Float64Array = new Float64Array(theta.length)): Float64Array {
  logSoftmax(theta, out);
  for (let i = 0; i < out.length; i++) out[i] = Math.exp(out[i]!);
  return out;
}

/** The learnable state reward r_θ(s) = log softmax(θ)_s. */
export class TabularStateReward {
  /** θ [S], float32 like the seed's nn.Parameter */
  readonly logits: Float32Array;
  constructor(readonly numStates: number, init?: ArrayLike<number>) {
    this.logits = new Float32Array(numStates);
    if (init) {
      if (init.length !== numStates) throw new ShapeError(`TabularStateReward: ${init.length} initial logits for ${numStates} states`);
      this.logits.set(init);
    }
  }

  /** [S] r_θ = log softmax(θ) */
  reward(out?: Float64Array): Float64Array {
    return logSoftmax(this.logits, out);
  }

  /** [S] the learned target distribution softmax(θ) */
  distribution(out?: Float64Array): Float64Array {
    return softmax(this.logits, out);
  }
}

/**
 * Labelled comparisons as sparse count differences (CSR): row i holds Dᵢ = c_σˡ − c_σʳ. Pairs whose label was a skip
 * are not stored (they carry no information).
 */
export interface CountComparisons {
  numStates: number;
  /** [N + 1] row i spans cols/vals[rowPtr[i] .. rowPtr[i+1]) */
  rowPtr: Int32Array;
  cols: Int32Array;
  vals: Float64Array;
  /** [N] μᵢ = P(left ≻ right): 1, 0 or ½ */
  mu: Float64Array;
  /** [N] weights (bootstrap counts, importance); all 1 by default */
  weight: Float64Array;
}

/**
 * Builds count differences from two batches of state sequences. left/right: [N, T] state indices (row i of each is
 * pair i; `stride` is the row length in the arrays, the first T entries of each row are used); mu [N] with NaN = skip.
 */
export function countComparisons(left: Int32Array, right: Int32Array, n: number, T: number, stride: number, numStates: number, mu: ArrayLike<number>): CountComparisons {
  const counts = new Float64Array(numStates);
  const touched = new Int32Array(2 * T);
  const rowPtr = new Int32Array(n + 1);
  const cols = new Int32Array(n * 2 * T);
  const vals = new Float64Array(n * 2 * T);
  const mus = new Float64Array(n);
  let rows = 0;
  let nnz = 0;
  for (let i = 0; i < n; i++) {
    const m = mu[i]!;
    if (Number.isNaN(m)) continue; // a skip: no information
    let nt = 0;
    for (let t = 0; t < T; t++) {
      const s = left[i * stride + t]!;
      if (counts[s] === 0) touched[nt++] = s;
      counts[s]! += 1;
    }
    for (let t = 0; t < T; t++) {
      const s = right[i * stride + t]!;
      if (counts[s] === 0) touched[nt++] = s;
      counts[s]! -= 1;
    }
    // ascending state order (insertion sort: a handful of entries) so sums run in a fixed order
    for (let x = 1; x < nt; x++) {
      const v = touched[x]!;
      let y = x - 1;
      while (y >= 0 && touched[y]! > v) {
        touched[y + 1] = touched[y]!;
        y--;
      }
      touched[y + 1] = v;
    }
    let prev = -1;
    for (let x = 0; x < nt; x++) {
      const s = touched[x]!;
      if (s === prev) continue; // a state that went 0 → ±1 → 0 → ±1 is listed twice
      prev = s;
      const c = counts[s]!;
      if (c !== 0) {
        cols[nnz] = s;
        vals[nnz] = c;
        nnz++;
      }
      counts[s] = 0;
    }
    mus[rows] = m;
    rows++;
    rowPtr[rows] = nnz;
  }
  return {
    numStates,
    rowPtr: rowPtr.slice(0, rows + 1),
    cols: cols.slice(0, nnz),
    vals: vals.slice(0, nnz),
    mu: mus.slice(0, rows),
    weight: new Float64Array(rows).fill(1),
  };
}

/** Number of comparisons in a CountComparisons. */
export function numComparisons(c: CountComparisons): number {
  return c.mu.length;
}

/** dᵢ = Dᵢ · r for every pair, into out [N]. */
export function returnDifferences(c: CountComparisons, r: ArrayLike<number>, out: Float64Array = new Float64Array(c.mu.length)): Float64Array {
  for (let i = 0; i < c.mu.length; i++) {
    let d = 0;
    for (let k = c.rowPtr[i]!; k < c.rowPtr[i + 1]!; k++) d += c.vals[k]! * r[c.cols[k]!]!;
    out[i] = d;
  }
  return out;
}

/**
 * Bradley–Terry loss of the tabular reward and its gradient w.r.t. θ (written into gradOut [S]). Returns the loss
 * (NaN when `withLoss` is false: the loss is not needed inside an optimisation loop, only the gradient).
 * With no comparisons the loss is 0 and the gradient 0.
 */
export function bradleyTerryTabular(theta: ArrayLike<number>, c: CountComparisons, gradOut: Float64Array, work?: { r: Float64Array }, withLoss = true): number {
  const S = c.numStates;
  const r = logSoftmax(theta, work?.r);
  gradOut.fill(0);
  const { rowPtr, cols, vals, mu, weight } = c;
  const N = mu.length;
  let wsum = 0;
  for (let i = 0; i < N; i++) wsum += weight[i]!;
  if (N === 0 || wsum <= 0) return 0;
  let loss = 0;
  // g = ∂loss/∂r = (1/Σw) Σᵢ wᵢ (sigmoid(dᵢ) − μᵢ) Dᵢ
  for (let i = 0; i < N; i++) {
    const a = rowPtr[i]!;
    const b = rowPtr[i + 1]!;
    let d = 0;
    for (let k = a; k < b; k++) d += vals[k]! * r[cols[k]!]!;
    const w = weight[i]! / wsum;
    if (withLoss) loss += w * bradleyTerryTerm(d, mu[i]!);
    const coef = w * bradleyTerryGrad(d, mu[i]!);
    if (coef !== 0) for (let k = a; k < b; k++) gradOut[cols[k]!]! += coef * vals[k]!;
  }
  // ∂loss/∂θ = g − softmax(θ) Σₖ gₖ   (Jacobian of log-softmax)
  let gs = 0;
  for (let k = 0; k < S; k++) gs += gradOut[k]!;
  if (gs !== 0) for (let k = 0; k < S; k++) gradOut[k]! -= Math.exp(r[k]!) * gs;
  return withLoss ? loss : Number.NaN;
}

/**
 * Share of labelled, non-tie comparisons where the model's sign agrees with the label: d > 0 for "left", d < 0 for
 * "right"; d = 0 counts ½. NaN when there are none.
 */
export function comparisonAccuracy(c: CountComparisons, r: ArrayLike<number>): number {
  let hit = 0;
  let n = 0;
  for (let i = 0; i < c.mu.length; i++) {
    const mu = c.mu[i]!;
    if (mu === 0.5) continue;
    let d = 0;
    for (let k = c.rowPtr[i]!; k < c.rowPtr[i + 1]!; k++) d += c.vals[k]! * r[c.cols[k]!]!;
    n++;
    if (d === 0) hit += 0.5;
    else if (d > 0 === mu > 0.5) hit += 1;
  }
  return n === 0 ? Number.NaN : hit / n;
}

export interface TabularFitStats {
  /** BT loss at the parameters after the last step */
  loss: number;
  /** BT loss before the first step */
  lossBefore: number;
  /** accuracy on these comparisons before the fit (fresh labels: a held-out estimate) */
  accuracyBefore: number;
  /** accuracy after the fit */
  accuracy: number;
  /** comparisons used */
  comparisons: number;
}

/** Fits r_θ to comparisons by `steps` full-batch Adam steps on the Bradley–Terry loss (the seed's update_reward). */
export class TabularBTTrainer {
  private readonly grad: Float64Array;
  private readonly work: { r: Float64Array };
  constructor(
    readonly model: TabularStateReward,
    readonly adam: Adam,
    readonly steps: number,
  ) {
    if (!(Number.isInteger(steps) && steps >= 0)) throw new ConfigError('reward-steps', `reward steps must be an integer ≥ 0, got ${steps}`);
    if (adam.size !== model.numStates) throw new ShapeError(`Adam has ${adam.size} slots for ${model.numStates} logits`);
    this.grad = new Float64Array(model.numStates);
    this.work = { r: new Float64Array(model.numStates) };
  }

  fit(c: CountComparisons): TabularFitStats {
    const theta = this.model.logits;
    const r = this.model.reward(this.work.r);
    const accuracyBefore = comparisonAccuracy(c, r);
    let lossBefore = Number.NaN;
    if (numComparisons(c) > 0) {
      for (let k = 0; k < this.steps; k++) {
        const loss = bradleyTerryTabular(theta, c, this.grad, this.work, k === 0);
        if (k === 0) lossBefore = loss;
        this.adam.step(theta, this.grad);
      }
    }
    const loss = numComparisons(c) > 0 ? bradleyTerryTabular(theta, c, this.grad, this.work) : Number.NaN;
    if (Number.isNaN(lossBefore)) lossBefore = loss;
    const accuracy = comparisonAccuracy(c, this.model.reward(this.work.r));
    return { loss, lossBefore, accuracyBefore, accuracy, comparisons: numComparisons(c) };
  }
}
