import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tf, initTensors } from './tensor.js';
import { Rng } from './rng.js';
import { enableNativeBlas, disableNativeBlas, nativeBlasStatus, loadNativeBlas, setNativeBlasThreads } from './nativeBlas.js';

const built = loadNativeBlas().addon !== null && process.env.RLHF_NATIVE_BLAS !== '0';
if (!built) {
  console.warn(`nativeBlas.test: native BLAS addon not available (${loadNativeBlas().error ?? 'RLHF_NATIVE_BLAS=0'}): ` +
    'skipping the native-vs-wasm comparisons; build it with `npm run build:native` (needs libopenblas-dev).');
}

const rng = new Rng(20261122);
function randn(shape: number[]): tf.Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return tf.tensor(rng.normalArray(n, 1), shape, 'float32');
}

/** max |x − y| / max |y|: the relative error the native kernel may add (float32 summation order). */
function relErr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  expect(x.length).toBe(y.length);
  let d = 0;
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    d = Math.max(d, Math.abs(x[i]! - y[i]!));
    s = Math.max(s, Math.abs(y[i]!));
  }
  return d / Math.max(s, 1e-12);
}

/** Runs f with the native kernels (every size) and with the original wasm kernels; returns both outputs. */
function bothWays(f: () => tf.Tensor): { native: Float32Array; wasm: Float32Array; shape: number[]; nativeCalls: number } {
  enableNativeBlas({ minFlops: 0 });
  const before = nativeBlasStatus().nativeCalls;
  const tn = f();
  const nativeCalls = nativeBlasStatus().nativeCalls - before;
  disableNativeBlas();
  const tw = f();
  const out = { native: tn.dataSync() as Float32Array, wasm: tw.dataSync() as Float32Array, shape: tn.shape, nativeCalls };
  expect(tn.shape).toEqual(tw.shape);
  tn.dispose();
  tw.dispose();
  return out;
}

/** Reference batched product with numpy broadcasting of the batch dims (plain loops, float64). */
function referenceMatMul(a: tf.Tensor, b: tf.Tensor): { data: Float64Array; shape: number[] } {
  const av = a.dataSync();
  const bv = b.dataSync();
  const [M, K] = a.shape.slice(-2) as [number, number];
  const N = b.shape[b.shape.length - 1]!;
  const oa = a.shape.slice(0, -2);
  const ob = b.shape.slice(0, -2);
  const r = Math.max(oa.length, ob.length);
  const pa = [...Array<number>(r - oa.length).fill(1), ...oa];
  const pb = [...Array<number>(r - ob.length).fill(1), ...ob];
  const outer = pa.map((d, i) => Math.max(d, pb[i]!));
  const batch = outer.reduce((p, d) => p * d, 1);
  const data = new Float64Array(batch * M * N);
  for (let i = 0; i < batch; i++) {
    let rest = i;
    let ia = 0;
    let ib = 0;
    let sa = 1;
    let sb = 1;
    for (let d = r - 1; d >= 0; d--) {
      const idx = rest % outer[d]!;
      rest = Math.floor(rest / outer[d]!);
      if (pa[d]! > 1) ia += idx * sa;
      if (pb[d]! > 1) ib += idx * sb;
      sa *= pa[d]!;
      sb *= pb[d]!;
    }
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += av[ia * M * K + m * K + k]! * bv[ib * K * N + k * N + n]!;
        data[i * M * N + m * N + n] = s;
      }
  }
  return { data, shape: [...outer, M, N] };
}

beforeAll(async () => {
  await initTensors('wasm');
});

afterEach(() => {
  // leave the process as initTensors left it (native on when built), whatever a test did
  disableNativeBlas();
  enableNativeBlas();
});

describe('enableNativeBlas: fallback', () => {
  it('RLHF_NATIVE_BLAS=0 keeps the original wasm kernels and says why', () => {
    disableNativeBlas();
    const original = tf.getKernel('BatchMatMul', 'wasm').kernelFunc;
    const saved = process.env.RLHF_NATIVE_BLAS;
    process.env.RLHF_NATIVE_BLAS = '0';
    try {
      expect(enableNativeBlas()).toBe(false);
      expect(nativeBlasStatus().enabled).toBe(false);
      expect(nativeBlasStatus().reason).toMatch(/RLHF_NATIVE_BLAS=0/);
      expect(tf.getKernel('BatchMatMul', 'wasm').kernelFunc).toBe(original);
      const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
      expect(Array.from(y.dataSync())).toEqual([11]);
    } finally {
      if (saved === undefined) delete process.env.RLHF_NATIVE_BLAS;
      else process.env.RLHF_NATIVE_BLAS = saved;
    }
  });

  it('the loader reports a missing addon instead of throwing (RLHF_NATIVE_BLAS=0 in a child process)', () => {
    const loader = join(import.meta.dirname, '../../native/index.cjs');
    const r = spawnSync(process.execPath, ['-e', `const m = require(${JSON.stringify(loader)}); console.log(JSON.stringify({ addon: m.addon, error: m.error }))`], {
      env: { ...process.env, RLHF_NATIVE_BLAS: '0' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ addon: null, error: 'disabled by RLHF_NATIVE_BLAS=0' });
  });

  it('rejects a bad minFlops naming the option', () => {
    expect(() => enableNativeBlas({ minFlops: -1 })).toThrow(/minFlops/);
  });
});

describe.skipIf(!built)('native BatchMatMul equals the wasm kernel', () => {
  it('is enabled by initTensors and reports OpenBLAS', () => {
    const s = nativeBlasStatus();
    expect(s.enabled).toBe(true);
    expect(s.available).toBe(true);
    expect(s.threads).toBeGreaterThanOrEqual(1);
    expect(s.blas).toMatch(/OpenBLAS/);
  });

  it('sets the OpenBLAS thread count (and rejects a bad one)', () => {
    const before = nativeBlasStatus().threads;
    expect(setNativeBlasThreads(1)).toBe(true);
    expect(nativeBlasStatus().threads).toBe(1);
    setNativeBlasThreads(before);
    expect(nativeBlasStatus().threads).toBe(before);
    expect(() => setNativeBlasThreads(0)).toThrow(/threads/);
  });

  it('writes correctly when the output allocation grows the wasm heap (views taken after allocation)', () => {
    const backend = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
    const heap = backend.wasm.HEAPU8.buffer.byteLength;
    const n = Math.min(4096, Math.ceil(Math.sqrt(heap / 4)) + 64); // output n² floats, larger than the heap when possible
    const a = randn([n, 2]);
    const b = randn([2, n]);
    enableNativeBlas({ minFlops: 0 });
    const y = tf.matMul(a, b);
    const yv = y.dataSync();
    const av = a.dataSync();
    const bv = b.dataSync();
    for (const [i, j] of [[0, 0], [n - 1, n - 1], [7, n - 3], [n >> 1, 5]] as const) {
      const ref = av[i * 2]! * bv[j]! + av[i * 2 + 1]! * bv[n + j]!;
      expect(Math.abs(yv[i * n + j]! - ref)).toBeLessThan(1e-5 * Math.max(1, Math.abs(ref)));
    }
    tf.dispose([a, b, y]);
  });

  const cases: Array<[string, number[], number[], boolean, boolean]> = [
    ['2-D', [5, 7], [7, 3], false, false],
    ['transposeA', [7, 5], [7, 3], true, false],
    ['transposeB', [5, 7], [3, 7], false, true],
    ['both transposed', [7, 5], [3, 7], true, true],
    ['batched', [4, 5, 7], [4, 7, 3], false, false],
    ['batched, transposeB', [4, 5, 7], [4, 3, 7], false, true],
    ['b broadcast over the batch (rank 3 × rank 2)', [4, 5, 7], [7, 3], false, false],
    ['a broadcast over the batch (batch 1)', [1, 5, 7], [3, 7, 2], false, false],
    ['rank 4, both transposed', [2, 3, 7, 5], [2, 3, 4, 7], true, true],
    ['larger than one BLAS block', [130, 257], [257, 66], false, false],
  ];
  for (const [name, sa, sb, ta, tb] of cases) {
    it(`${name}: ${JSON.stringify(sa)}${ta ? 'ᵀ' : ''} × ${JSON.stringify(sb)}${tb ? 'ᵀ' : ''}`, () => {
      const a = randn(sa);
      const b = randn(sb);
      const r = bothWays(() => tf.matMul(a, b, ta, tb));
      expect(r.nativeCalls).toBe(1); // the product really ran natively
      expect(relErr(r.native, r.wasm)).toBeLessThan(1e-4);
      tf.dispose([a, b]);
    });
  }

  it('broadcasts batch dims numpy-style ([2,1]×[1,3] → [2,3]) like a plain reference', () => {
    const a = randn([2, 1, 4, 6]);
    const b = randn([1, 3, 6, 5]);
    enableNativeBlas({ minFlops: 0 });
    const y = tf.matMul(a, b);
    const ref = referenceMatMul(a, b);
    expect(y.shape).toEqual(ref.shape);
    expect(relErr(y.dataSync(), ref.data)).toBeLessThan(1e-5);
    tf.dispose([a, b, y]);
  });

  it('small products stay on the wasm kernel below minFlops', () => {
    const a = randn([4, 4]);
    const b = randn([4, 4]);
    enableNativeBlas({ minFlops: 1e6 });
    const s0 = nativeBlasStatus();
    tf.matMul(a, b).dispose();
    const s1 = nativeBlasStatus();
    expect(s1.fallbackCalls - s0.fallbackCalls).toBe(1);
    expect(s1.nativeCalls - s0.nativeCalls).toBe(0);
    // a transposed product goes native at any size (wasm's transposed path is the slow one)
    const y = tf.matMul(a, b, false, true);
    const s2 = nativeBlasStatus();
    expect(s2.nativeCalls - s1.nativeCalls).toBe(1);
    disableNativeBlas();
    const yw = tf.matMul(a, b, false, true);
    expect(relErr(y.dataSync(), yw.dataSync())).toBeLessThan(1e-5);
    tf.dispose([a, b, y, yw]);
  });

  it('the addon runs concurrently in worker_threads (one OpenBLAS, several callers)', async () => {
    const { Worker } = await import('node:worker_threads');
    const loader = join(import.meta.dirname, '../../native/index.cjs');
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { addon } = require(${JSON.stringify(loader)});
      const n = 160, a = new Float32Array(n * n), b = new Float32Array(n * n), c = new Float32Array(n * n);
      for (let i = 0; i < n * n; i++) { a[i] = ((i * 7 + workerData) % 13) / 13 - 0.5; b[i] = ((i * 5) % 11) / 11 - 0.5; }
      for (let it = 0; it < 30; it++) addon.sgemm(false, false, n, n, n, a, b, c, 1);
      let err = 0;
      for (let i = 0; i < n; i++) for (const j of [0, 77, n - 1]) {
        let r = 0; for (let k = 0; k < n; k++) r += a[i * n + k] * b[k * n + j];
        err = Math.max(err, Math.abs(r - c[i * n + j]));
      }
      parentPort.postMessage(err);`;
    const errs = await Promise.all([0, 1, 2].map((d) => new Promise<number>((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: d });
      w.once('message', (m: number) => { resolve(m); void w.terminate(); });
      w.once('error', reject);
    })));
    for (const e of errs) expect(e).toBeLessThan(1e-3);
  });

  it('is deterministic: the same product twice is bit-identical', () => {
    const a = randn([96, 200]);
    const b = randn([200, 80]);
    enableNativeBlas({ minFlops: 0 });
    const y1 = tf.matMul(a, b);
    const y2 = tf.matMul(a, b);
    expect(Array.from(y1.dataSync())).toEqual(Array.from(y2.dataSync()));
    tf.dispose([a, b, y1, y2]);
  });

  it('keeps tfjs’s own error for mismatched inner dimensions', () => {
    const a = randn([3, 4]);
    const b = randn([5, 2]);
    enableNativeBlas({ minFlops: 0 });
    expect(() => tf.matMul(a, b)).toThrow(/inner shapes/);
    tf.dispose([a, b]);
  });

  it('the addon bounds-checks its arguments instead of reading past an array', () => {
    const { addon } = loadNativeBlas();
    const a = new Float32Array(6);
    const c = new Float32Array(4);
    expect(() => addon!.sgemm(false, false, 2, 2, 4, a, a, c, 1)).toThrow(/too short/);
    expect(() => addon!.sgemm(false, false, 2, 2, 3, a, a, c, 2)).toThrow(/shorter than batch/);
    expect(() => addon!.sgemm(false, false, 2, 2, 3, a, a, c, 1, new Int32Array([1]))).toThrow(/too short/);
  });
});

describe.skipIf(!built)('native _FusedMatMul (bias + activation) equals the wasm kernel', () => {
  const activations = ['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu'] as const;
  for (const activation of activations) {
    it(`bias [N] + ${activation}`, () => {
      const a = randn([6, 9]);
      const b = randn([9, 5]);
      const bias = randn([5]);
      const r = bothWays(() => tf.fused.matMul({ a, b, bias, activation, leakyreluAlpha: 0.1 }));
      expect(r.nativeCalls).toBe(1);
      expect(relErr(r.native, r.wasm)).toBeLessThan(1e-4);
      tf.dispose([a, b, bias]);
    });
  }

  it('transposed operands, batch 3, relu: equals matMul + add + relu (the wasm fused kernel gets this wrong)', () => {
    // tfjs-backend-wasm 4.22's _FusedMatMul misplaces the bias when the product is batched or transposed
    // (only batch 1, no transpose is right), so the reference here is the unfused product on the wasm kernels.
    const a = randn([3, 9, 6]);
    const b = randn([3, 5, 9]);
    const bias = randn([5]);
    const fused = (): tf.Tensor => tf.fused.matMul({ a, b, bias, transposeA: true, transposeB: true, activation: 'relu' });
    const r = bothWays(fused);
    expect(r.nativeCalls).toBe(1);
    const ref = tf.relu(tf.add(tf.matMul(a, b, true, true), bias)); // wasm kernels (bothWays ends disabled)
    expect(relErr(r.native, ref.dataSync())).toBeLessThan(1e-4);
    expect(relErr(r.wasm, ref.dataSync())).toBeGreaterThan(1e-2); // remove this line when tfjs fixes the bug
    tf.dispose([a, b, bias, ref]);
  });

  it('without bias; and a [1, N] bias (which the wasm kernel rejects) matches add + relu', () => {
    const a = randn([6, 9]);
    const b = randn([9, 5]);
    const r = bothWays(() => tf.fused.matMul({ a, b, activation: 'relu' }));
    expect(r.nativeCalls).toBe(1);
    expect(relErr(r.native, r.wasm)).toBeLessThan(1e-4);
    const bias2 = randn([1, 5]);
    enableNativeBlas({ minFlops: 0 });
    const y = tf.fused.matMul({ a, b, bias: bias2, activation: 'relu' });
    const ref = tf.relu(tf.add(tf.matMul(a, b), bias2));
    expect(relErr(y.dataSync(), ref.dataSync())).toBeLessThan(1e-5);
    tf.dispose([a, b, bias2, y, ref]);
  });

  it('prelu falls back to the wasm kernel (same result)', () => {
    const a = randn([6, 9]);
    const b = randn([9, 5]);
    const bias = randn([5]);
    const alpha = tf.fill([5], 0.3);
    const r = bothWays(() => tf.fused.matMul({ a, b, bias, activation: 'prelu', preluActivationWeights: alpha }));
    expect(r.nativeCalls).toBe(0);
    expect(relErr(r.native, r.wasm)).toBe(0);
    tf.dispose([a, b, bias, alpha]);
  });
});

describe.skipIf(!built)('gradients through the native kernels', () => {
  it('a 2-layer MLP’s loss gradients equal the wasm ones and no tensor leaks', () => {
    const x = randn([32, 20]);
    const target = randn([32, 3]);
    const w1 = tf.variable(randn([20, 16]));
    const b1 = tf.variable(randn([16]));
    const w2 = tf.variable(randn([16, 3]));
    const loss = (): tf.Scalar => tf.tidy(() => {
      const h = tf.fused.matMul({ a: x, b: w1, bias: b1, activation: 'relu' }); // [B, 16]
      const y = tf.matMul(h, w2); // [B, 3]
      return tf.mean(tf.square(tf.sub(y, target))) as tf.Scalar;
    });
    const grads = (): Record<string, Float32Array> => {
      const { value, grads: g } = tf.variableGrads(loss);
      const out: Record<string, Float32Array> = { loss: value.dataSync() as Float32Array };
      for (const [k, t] of Object.entries(g)) out[k] = t.dataSync() as Float32Array;
      tf.dispose([value, ...Object.values(g)]);
      return out;
    };
    enableNativeBlas({ minFlops: 0 });
    const live = tf.memory().numTensors;
    const s0 = nativeBlasStatus().nativeCalls;
    const gn = grads();
    expect(nativeBlasStatus().nativeCalls - s0).toBeGreaterThanOrEqual(5); // 2 forward + 3 backward products at least
    expect(tf.memory().numTensors).toBe(live);
    disableNativeBlas();
    const gw = grads();
    expect(Object.keys(gn).sort()).toEqual(Object.keys(gw).sort());
    for (const k of Object.keys(gw)) expect(relErr(gn[k]!, gw[k]!), k).toBeLessThan(1e-4);
    tf.dispose([x, target, w1, b1, w2]);
  });
});
