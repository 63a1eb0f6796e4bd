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
import { BootstrapWeights } from './ensemble.js';

/** Growable typed array. */
class Grow<T extends Float64Array | Int32Array> {
  data: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.data = make(0);
  }
  push(src: ArrayLike<number>): void {
    if (this.length + src.length > this.data.length) {
      const next = this.make(Math.max(2 * this.data.length, this.length + src.length, 64));
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    this.data.set(src, this.length);
    this.length += src.length;
  }
  /** replaces the contents */
  reset(src: ArrayLike<number>): void {
    this.length = 0;
    this.push(src);
  }
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

const ints = (n: number) => new Int32Array(n);
const floats = (n: number) => new Float64Array(n);

export class ComparisonBuffer {
  private readonly cols = new Grow(ints);
  private readonly vals = new Grow(floats);
  private readonly mu = new Grow(floats);
  /** row pointers; rowPtr[0] = 0 */
  private readonly rowPtr = new Grow(ints);
  /** each member's bootstrap weight of every label */
  private readonly boot: BootstrapWeights;

  constructor(
    readonly numStates: number,
    readonly members: number,
    /** Poisson(1) weights per member (else every weight is 1) */
    readonly bootstrap: boolean,
  ) {
    this.rowPtr.push([0]);
    this.boot = new BootstrapWeights(members, bootstrap);
  }

  get size(): number {
    return this.mu.length;
  }

  /** Appends a batch of comparisons; draws the members' weights from `rng` (only when bootstrapping K ≥ 2 members). */
  push(c: CountComparisons, rng: Rng): void {
    if (c.numStates !== this.numStates) throw new Error(`ComparisonBuffer: ${c.numStates} states, expected ${this.numStates}`);
    const n = c.mu.length;
    const base = this.cols.length;
    this.cols.push(c.cols);
    this.vals.push(c.vals);
    this.mu.push(c.mu);
    const ptr = new Int32Array(n);
    for (let i = 0; i < n; i++) ptr[i] = base + c.rowPtr[i + 1]!;
    this.rowPtr.push(ptr);
    this.boot.grow(n, rng);
  }

  /** Every comparison so far, weighted for member k (views, except the weights: valid until the next push). */
  all(k = 0): CountComparisons {
    return { numStates: this.numStates, rowPtr: this.rowPtr.view(), cols: this.cols.view(), vals: this.vals.view(), mu: this.mu.view(), weight: Float64Array.from(this.boot.weights(k)) };
  }

  /** The buffer as checkpoint arrays (float32 holds counts, ½/0/1 targets and Poisson weights exactly). */
  arrays(prefix = 'labels'): Record<string, { shape: number[]; data: Float32Array | Int32Array }> {
    const out: Record<string, { shape: number[]; data: Float32Array | Int32Array }> = {
      [`${prefix}.row_ptr`]: { shape: [this.rowPtr.length], data: Int32Array.from(this.rowPtr.view()) },
      [`${prefix}.cols`]: { shape: [this.cols.length], data: Int32Array.from(this.cols.view()) },
      [`${prefix}.vals`]: { shape: [this.vals.length], data: Float32Array.from(this.vals.view()) },
      [`${prefix}.mu`]: { shape: [this.mu.length], data: Float32Array.from(this.mu.view()) },
    };
    for (let k = 0; k < this.members; k++) out[`${prefix}.weight.${k}`] = { shape: [this.size], data: this.boot.weights(k) };
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
    const weights = Array.from({ length: this.members }, (_, k) => {
      const wk = get(`weight.${k}`);
      if (wk.length !== n) throw new CheckpointError(`checkpoint array "${prefix}.weight.${k}" has ${wk.length} weights for ${n} labels`);
      return Array.from(wk);
    });
    this.rowPtr.reset(rowPtr);
    this.cols.reset(cols);
    this.vals.reset(vals);
    this.mu.reset(mu);
    this.boot.setState(weights);
  }
}
