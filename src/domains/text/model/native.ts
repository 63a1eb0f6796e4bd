/**
 * Optional native matrix products: the N-API addon in native/blas (OpenBLAS through cblas_sgemm) registered as the
 * tfjs wasm backend's BatchMatMul and _FusedMatMul kernels. tfjs-wasm runs one thread at ~20 GFLOP/s; OpenBLAS on
 * two cores reaches ~150. The kernels read and write the wasm heap in place (typed-array views, no copies) and fall
 * back to the original wasm kernels for what they do not cover (tiny products, broadcast batches, fused activations
 * other than relu, non-vector biases) or when the addon is not built.
 *
 * Build: `npm run build:native` (node-gyp; needs g++ and the node headers; at run time libopenblas0-pthread).
 * Disable at run time with RLHF_NATIVE_BLAS=0.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { tf } from '../../../core/tensor.js';

interface BlasAddon {
  info(): { library?: string; threads?: number; error?: string };
  setThreads(n: number): void;
  sgemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    A: Float32Array,
    B: Float32Array,
    C: Float32Array,
    batch: number,
    strideA: number,
    strideB: number,
    strideC: number,
    bias: Float32Array | null,
    relu: boolean,
  ): void;
}

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

export interface NativeBlasInfo {
  library: string;
  threads: number;
  addon: string;
}

/** Products smaller than this many multiply-adds stay on wasm (the call overhead would dominate). */
const MIN_MACS = 32 * 32 * 32;

let state: { info: NativeBlasInfo | null; reason: string } | undefined;
let counters = { native: 0, fallback: 0 };

function repoRoot(): string {
  // src/domains/text/model/native.ts → repository root (also from dist/src/...)
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

function loadAddon(): { addon: BlasAddon; path: string } | { reason: string } {
  const path = process.env.RLHF_BLAS_ADDON ?? join(repoRoot(), 'native/blas/build/Release/rlhf_blas.node');
  if (!existsSync(path)) return { reason: `addon not built (${path}); run npm run build:native` };
  try {
    const addon = createRequire(import.meta.url)(path) as BlasAddon;
    const info = addon.info();
    if (info.error !== undefined || !info.library) return { reason: `no OpenBLAS found: ${info.error ?? 'unknown'} (install libopenblas0-pthread)` };
    return { addon, path };
  } catch (e) {
    return { reason: `cannot load ${path}: ${(e as Error).message}` };
  }
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Plans C = op(A) op(B) for tensors of rank ≥ 2 with batch dims; null when the native path does not apply.
 * Batches must be equal, or one side 1 (then that matrix is reused: stride 0).
 */
function plan(a: tf.TensorInfo, b: tf.TensorInfo, tA: boolean, tB: boolean) {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = tA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const K = tA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const K2 = tB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const N = tB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (K !== K2) return null; // let the original kernel raise its error
  const batchA = size(a.shape.slice(0, -2));
  const batchB = size(b.shape.slice(0, -2));
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  if (M * N * K < MIN_MACS || M === 0 || N === 0) return null;
  let outer: number[];
  try {
    outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    return null; // let the original kernel raise its error
  }
  const batch = size(outer);
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return null;
  return { M, N, K, batch, sA: batchA === 1 ? 0 : M * K, sB: batchB === 1 ? 0 : K * N, outShape: [...outer, M, N] };
}

/**
 * Registers the native kernels for the wasm backend (idempotent). Returns what was loaded, or null with the
 * reason in `nativeBlasStatus()`. Call after `initTensors()`; a no-op on other backends.
 */
export function enableNativeMatmul(opts: { threads?: number } = {}): NativeBlasInfo | null {
  if (state) return state.info;
  if (process.env.RLHF_NATIVE_BLAS === '0') {
    state = { info: null, reason: 'disabled by RLHF_NATIVE_BLAS=0' };
    return null;
  }
  const loaded = loadAddon();
  if ('reason' in loaded) {
    state = { info: null, reason: loaded.reason };
    return null;
  }
  const { addon } = loaded;
  if (opts.threads) addon.setThreads(opts.threads);
  const origBmm = tf.getKernel('BatchMatMul', 'wasm');
  const origFused = tf.getKernel('_FusedMatMul', 'wasm');
  if (!origBmm || !origFused) {
    state = { info: null, reason: 'the wasm backend is not registered' };
    return null;
  }

  const bmm = (args: KernelArgs): tf.TensorInfo => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const p = plan(a, b, transposeA, transposeB);
    if (!p) {
      counters.fallback++;
      return origBmm.kernelFunc(args as never) as tf.TensorInfo;
    }
    counters.native++;
    const be = args.backend as WasmHeapBackend;
    const out = be.makeOutput(p.outShape, 'float32');
    // views after makeOutput: an allocation can grow the heap and detach older views
    addon.sgemm(transposeA, transposeB, p.M, p.N, p.K, be.typedArrayFromHeap(a), be.typedArrayFromHeap(b), be.typedArrayFromHeap(out), p.batch, p.sA, p.sB, p.M * p.N, null, false);
    return out;
  };

  const fused = (args: KernelArgs): tf.TensorInfo => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const { transposeA, transposeB, activation } = args.attrs as { transposeA: boolean; transposeB: boolean; activation: string };
    const p = a && b ? plan(a, b, transposeA, transposeB) : null;
    const act = activation ?? 'linear';
    const biasOk = !bias || (bias.dtype === 'float32' && p !== null && size(bias.shape) === p.N && bias.shape[bias.shape.length - 1] === p.N);
    if (!p || preluActivationWeights || (act !== 'linear' && act !== 'relu') || !biasOk) {
      counters.fallback++;
      return origFused.kernelFunc(args as never) as tf.TensorInfo;
    }
    counters.native++;
    const be = args.backend as WasmHeapBackend;
    const out = be.makeOutput(p.outShape, 'float32');
    const biasArr = bias ? be.typedArrayFromHeap(bias) : null;
    addon.sgemm(transposeA, transposeB, p.M, p.N, p.K, be.typedArrayFromHeap(a!), be.typedArrayFromHeap(b!), be.typedArrayFromHeap(out), p.batch, p.sA, p.sB, p.M * p.N, biasArr, act === 'relu');
    return out;
  };

  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: bmm as unknown as tf.KernelFunc });
  tf.unregisterKernel('_FusedMatMul', 'wasm');
  tf.registerKernel({ kernelName: '_FusedMatMul', backendName: 'wasm', kernelFunc: fused as unknown as tf.KernelFunc });
  const info = addon.info();
  state = { info: { library: info.library!, threads: info.threads ?? -1, addon: loaded.path }, reason: 'enabled' };
  return state.info;
}

/** Whether native matmul is active, and why not. */
export function nativeBlasStatus(): { enabled: boolean; reason: string; info: NativeBlasInfo | null; calls: { native: number; fallback: number } } {
  return { enabled: !!state?.info, reason: state?.reason ?? 'not requested', info: state?.info ?? null, calls: { ...counters } };
}

/** Resets the call counters (for benchmarks). */
export function resetNativeCounters(): void {
  counters = { native: 0, fallback: 0 };
}
