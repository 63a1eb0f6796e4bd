import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initTensors } from '../../../core/tensor.js';
import { Rng } from '../../../core/rng.js';
import { enableNativeMatmul, nativeBlasStatus } from './native.js';

/** Naive batched product on plain arrays: C_i = op(A_i) op(B_i). */
function reference(a: Float32Array, sa: number[], b: Float32Array, sb: number[], tA: boolean, tB: boolean): Float32Array {
  const [ba, ra, ca] = sa.length === 3 ? sa : [1, ...sa];
  const [bb, rb, cb] = sb.length === 3 ? sb : [1, ...sb];
  const M = tA ? ca! : ra!;
  const K = tA ? ra! : ca!;
  const N = tB ? rb! : cb!;
  const batch = Math.max(ba!, bb!);
  const out = new Float32Array(batch * M * N);
  for (let i = 0; i < batch; i++) {
    const oa = ba === 1 ? 0 : i * ra! * ca!;
    const ob = bb === 1 ? 0 : i * rb! * cb!;
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[oa + (tA ? k * ca! + m : m * ca! + k)]! * b[ob + (tB ? n * cb! + k : k * cb! + n)]!;
        out[i * M * N + m * N + n] = s;
      }
  }
  return out;
}

beforeAll(async () => {
  await initTensors('wasm');
  enableNativeMatmul();
});

describe('native BLAS matmul kernels', () => {
  it('match a naive product for transposes, batches, broadcast, bias and relu (or are absent with a reason)', () => {
    const st = nativeBlasStatus();
    if (!st.enabled) {
      expect(st.reason.length).toBeGreaterThan(0);
      return;
    }
    const rng = new Rng(1);
    const cases: [number[], number[], boolean, boolean][] = [
      [[40, 50], [50, 60], false, false],
      [[50, 40], [50, 60], true, false],
      [[40, 50], [60, 50], false, true],
      [[50, 40], [60, 50], true, true],
      [[3, 40, 50], [3, 50, 36], false, false],
      [[3, 40, 50], [50, 36], false, false], // B broadcast over the batch
      [[40, 50], [4, 36, 50], false, true], // A broadcast
    ];
    for (const [sa, sb, tA, tB] of cases) {
      const a = rng.normalArray(sa.reduce((x, y) => x * y, 1));
      const b = rng.normalArray(sb.reduce((x, y) => x * y, 1));
      const want = reference(a, sa, b, sb, tA, tB);
      // poison the allocator: a freed block with the right answer must not pass for a result
      tf.tidy(() => tf.fill([want.length], 12345).dataSync());
      const got = tf.tidy(() => tf.matMul(tf.tensor(a, sa), tf.tensor(b, sb), tA, tB).dataSync());
      expect(got.length).toBe(want.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      expect(worst, `${JSON.stringify([sa, sb, tA, tB])}`).toBeLessThan(1e-3);
    }
    const before = nativeBlasStatus().calls.native;
    const x = rng.normalArray(40 * 50);
    const w = rng.normalArray(50 * 60);
    const bias = rng.normalArray(60);
    const want = reference(x, [40, 50], w, [50, 60], false, false).map((v, i) => Math.max(0, v + bias[i % 60]!));
    const got = tf.tidy(() => tf.fused.matMul({ a: tf.tensor(x, [40, 50]), b: tf.tensor(w, [50, 60]), bias: tf.tensor(bias, [60]), activation: 'relu' }).dataSync());
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    expect(worst).toBeLessThan(1e-3);
    expect(nativeBlasStatus().calls.native).toBeGreaterThan(before);
  });

  it('gradients through native kernels equal the wasm ones', () => {
    if (!nativeBlasStatus().enabled) return;
    const rng = new Rng(2);
    const x = tf.tensor(rng.normalArray(30 * 40), [30, 40]);
    const w = tf.tensor(rng.normalArray(40 * 50), [40, 50]);
    const g = tf.grad((wv: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, wv))))(w).dataSync();
    const y = reference(x.dataSync() as Float32Array, [30, 40], w.dataSync() as Float32Array, [40, 50], false, false); // [30, 50]
    const want = reference(x.dataSync() as Float32Array, [30, 40], y.map((v) => 2 * v), [30, 50], true, false); // xᵀ (2y)
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(g[i]! - want[i]!));
    expect(worst).toBeLessThan(1e-2);
    tf.dispose([x, w]);
  });
});
