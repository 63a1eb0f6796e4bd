/**
 * Seeded random numbers for all sampling in rlhfkit (plain JS, no tensors).
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Counter), 128-bit state, period ≥ 2^32, passes PractRand;
 * seeded through splitmix32 so that nearby seeds give unrelated streams. The state can be saved in a
 * checkpoint and restored, so a resumed run draws exactly the numbers an uninterrupted one would.
 */

/** splitmix32: one step, used to expand a 32-bit seed into the generator's state. */
function splitmix32(x: number): [number, number] {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [x, z >>> 0];
}

/** Hashes a string to 32 bits (FNV-1a), to derive named sub-streams. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The generator's complete state, JSON-serializable for checkpoints. */
export type RngState = [number, number, number, number];

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`Rng seed must be a finite number, got ${seed}`);
    let x = Math.floor(seed) | 0;
    const s: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [nx, z] = splitmix32(x);
      x = nx;
      s.push(z);
    }
    [this.a, this.b, this.c, this.d] = s as RngState;
    for (let i = 0; i < 12; i++) this.nextUint32(); // warm up
  }

  /** A new generator whose stream is independent of this one's, derived from this one's seed state and a label. */
  fork(label: string): Rng {
    const r = new Rng(0);
    const h = hashString(label);
    r.setState([(this.a ^ h) >>> 0, (this.b + h) >>> 0, (this.c ^ Math.imul(h, 0x9e3779b1)) >>> 0, this.d]);
    for (let i = 0; i < 12; i++) r.nextUint32();
    return r;
  }

  state(): RngState {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }

  setState(s: RngState): void {
    [this.a, this.b, this.c, this.d] = s.map((v) => v | 0) as RngState;
  }

  /** sfc32 step: uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n > 0)) throw new RangeError(`Rng.int needs n > 0, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** Bernoulli draw: true with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /**
   * Standard normal by Box–Muller: z = sqrt(−2 ln u₁) cos(2π u₂). Each call draws its own two uniforms (no cached
   * second value), so state() captures everything and a restored generator continues exactly.
   */
  normal(mean = 0, std = 1): number {
    let u1 = this.uniform();
    while (u1 <= 1e-300) u1 = this.uniform();
    const u2 = this.uniform();
    return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** A Float32Array of n normals (for weight initialisation); uses both Box–Muller values of each pair of uniforms. */
  normalArray(n: number, std = 1, mean = 0): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      let u1 = this.uniform();
      while (u1 <= 1e-300) u1 = this.uniform();
      const u2 = this.uniform();
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }

  /** A Float32Array of n uniforms in [lo, hi). */
  uniformArray(n: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }

  /** Index drawn from unnormalised non-negative weights w (offset..offset+n of the array). */
  categorical(w: ArrayLike<number>, offset = 0, n = w.length - offset): number {
    let total = 0;
    for (let i = 0; i < n; i++) total += w[offset + i]!;
    if (!(total > 0)) throw new RangeError('Rng.categorical needs weights with a positive sum');
    let u = this.uniform() * total;
    for (let i = 0; i < n; i++) {
      u -= w[offset + i]!;
      if (u < 0) return i;
    }
    return n - 1; // rounding: u landed on the total
  }

  /** Fisher–Yates shuffle, in place; returns the array. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i]!;
      arr[i] = arr[j]!;
      arr[j] = t;
    }
    return arr;
  }

  /** k distinct indices from [0, n), in random order. */
  sampleIndices(n: number, k: number): number[] {
    if (k > n) throw new RangeError(`cannot draw ${k} distinct indices from ${n}`);
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const t = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = t;
    }
    return idx.slice(0, k);
  }
}
