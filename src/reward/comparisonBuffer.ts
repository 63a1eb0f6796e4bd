/**
 * Every labelled comparison so far, for fitting a tabular reward on all of them (PEBBLE / B-Pref keep such a buffer)
 * rather than on the latest iteration's labels only (the gridworld seed's online fit).
 *
 * Why it matters when labels are scarce: with a handful of labels per iteration, an online fit of 50 Adam steps on
 * this iteration's labels overwrites what earlier labels taught — the rare informative label ("this rollout reached
 * the goal, that one did not") is forgotten a few iterations later under a stream of coin-flip ties. Kept in a
 * buffer, each label counts for the rest of the run; ties on unrelated pairs average out.
 *
 * Ensemble members see the buffer through their own bootstrap weights: each label gets one Poisson(1) weight per
 * member when it arrives (online bootstrap, Oza & Russell 2001), kept for the rest of the run.
 */
import type { Rng } from '../core/rng.js';
import { CheckpointError } from '../core/errors.js';
import type { CountComparisons } from './tabular.js';
import { poisson1 } from './ensemble.js';

/** Growable typed array. */
class Grow<T extends Float64Array | Int32Array> {
  constructor(
    public data: T,
    public length = 0,
  ) {}
  push(src: ArrayLike<number>, make: (n: number) => T): void {
    if (this.length + src.length > this.data.length) {
      const next = make(Math.max(2 * this.data.length, this.length + src.length, 64));
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    this.data.set(src as ArrayLike<number>, this.length);
    this.length += src.length;
  }
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

export class ComparisonBuffer {
  private readonly cols = new Grow(new Int32Array(0));
  private readonly vals = new Grow(new Float64Array(0));
  private readonly mu = new Grow(new Float64Array(0));
  /** row pointers; rowPtr[0] = 0 */
  private readonly rowPtr = new Grow(new Int32Array(1), 1);
  /** member k's bootstrap weight of every label */
  private readonly weights: Array<Grow<Float64Array>>;

  constructor(
    readonly numStates: number,
    readonly members: number,
    /** Poisson(1) weights per member (else every weight is 1) */
    readonly bootstrap: boolean,
  ) {
    this.weights = Array.from({ length: members }, () => new Grow(new Float64Array(0)));
  }

  get size(): number {
    return this.mu.length;
  }

  /** Appends a batch of comparisons; draws the members' weights from `rng` (only when bootstrapping K ≥ 2 members). */
  push(c: CountComparisons, rng: Rng): void {
    if (c.numStates !== this.numStates) throw new Error(`ComparisonBuffer: ${c.numStates} states, expected ${this.numStates}`);
    const n = c.mu.length;
    const base = this.cols.length;
    this.cols.push(c.cols, (m) => new Int32Array(m));
    this.vals.push(c.vals, (m) => new Float64Array(m));
    this.mu.push(c.mu, (m) => new Float64Array(m));
    const ptr = new Int32Array(n);
    for (let i = 0; i < n; i++) ptr[i] = base + c.rowPtr[i + 1]!;
    this.rowPtr.push(ptr, (m) => new Int32Array(m));
    const draw = this.bootstrap && this.members > 1;
    for (const w of this.weights) {
      const wk = new Float64Array(n);
      for (let i = 0; i < n; i++) wk[i] = draw ? poisson1(rng) : 1;
      w.push(wk, (m) => new Float64Array(m));
    }
  }

  /** Every comparison so far, weighted for member k (views: valid until the next push). */
  all(k = 0): CountComparisons {
    const w = this.weights[k];
    if (!w) throw new Error(`ComparisonBuffer: member ${k} does not exist (K = ${this.members})`);
    return { numStates: this.numStates, rowPtr: this.rowPtr.view(), cols: this.cols.view(), vals: this.vals.view(), mu: this.mu.view(), weight: w.view() };
  }

  /** The buffer as checkpoint arrays (float32 holds counts, ½/0/1 targets and Poisson weights exactly). */
  arrays(prefix = 'labels'): Record<string, { shape: number[]; data: Float32Array | Int32Array }> {
    const out: Record<string, { shape: number[]; data: Float32Array | Int32Array }> = {
      [`${prefix}.row_ptr`]: { shape: [this.rowPtr.length], data: Int32Array.from(this.rowPtr.view()) },
      [`${prefix}.cols`]: { shape: [this.cols.length], data: Int32Array.from(this.cols.view()) },
      [`${prefix}.vals`]: { shape: [this.vals.length], data: Float32Array.from(this.vals.view()) },
      [`${prefix}.mu`]: { shape: [this.mu.length], data: Float32Array.from(this.mu.view()) },
    };
    this.weights.forEach((w, k) => (out[`${prefix}.weight.${k}`] = { shape: [w.length], data: Float32Array.from(w.view()) }));
    return out;
  }

  /** Restores from arrays(); throws CheckpointError when an array is missing or inconsistent. */
  restore(arrays: Map<string, { data: Float32Array | Int32Array }>, prefix = 'labels'): void {
    const get = (name: string) => {
      const a = arrays.get(`${prefix}.${name}`);
      if (!a) throw new CheckpointError(`checkpoint array "${prefix}.${name}" is missing`);
      return a.data;
    };
    const rowPtr = get('row_ptr');
    const cols = get('cols');
    const vals = get('vals');
    const mu = get('mu');
    const n = mu.length;
    if (rowPtr.length !== n + 1 || rowPtr[0] !== 0 || rowPtr[n] !== cols.length || cols.length !== vals.length)
      throw new CheckpointError(`checkpoint label buffer "${prefix}" is inconsistent (${n} labels, ${rowPtr.length} row pointers, ${cols.length} entries)`);
    this.rowPtr.length = 0;
    this.rowPtr.push(rowPtr, (m) => new Int32Array(m));
    this.cols.length = 0;
    this.cols.push(cols, (m) => new Int32Array(m));
    this.vals.length = 0;
    this.vals.push(vals, (m) => new Float64Array(m));
    this.mu.length = 0;
    this.mu.push(mu, (m) => new Float64Array(m));
    this.weights.forEach((w, k) => {
      const wk = get(`weight.${k}`);
      if (wk.length !== n) throw new CheckpointError(`checkpoint array "${prefix}.weight.${k}" has ${wk.length} weights for ${n} labels`);
      w.length = 0;
      w.push(wk, (m) => new Float64Array(m));
    });
  }
}
