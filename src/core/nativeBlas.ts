/**
 * Optional native matmul for the wasm backend: tfjs's `BatchMatMul` and `_FusedMatMul` kernels run on the
 * system BLAS (OpenBLAS, multi-threaded) through the N-API addon in native/ when it is built.
 *
 * Why: tfjs-wasm runs one thread in Node (~20 GFLOP/s on a 512² sgemm here); OpenBLAS uses AVX-512 on both
 * cores (150–176 GFLOP/s). The gradient of matMul is itself a BatchMatMul with transposes, so training gets
 * the speed-up too.
 *
 * How: we replace the wasm backend's kernels with wrappers that read the tensors straight from the wasm heap
 * (zero-copy Float32Array views over WebAssembly.Memory), call cblas_sgemm into the output tensor's heap
 * memory, and fall back to the original wasm kernel for everything else: products below `minFlops` (the call
 * overhead dominates), non-float32 inputs, shape errors (the original throws tfjs's own message), prelu, and
 * bias shapes other than [N]/[1, N].
 *
 * Off switch: RLHF_NATIVE_BLAS=0. Threads: OpenBLAS reads OPENBLAS_NUM_THREADS (default: all cores).
 * Build the addon with `npm run build:native` (needs libopenblas-dev).
 */
// the umbrella directly, not '../core/tensor.js': tensor.ts calls us from initTensors() (no import cycle)
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './errors.js';

/** The addon's API (native/src/blas.c). */
export interface NativeBlasAddon {
  /**
   * C[i] = op(A[aIndex[i]]) · op(B[bIndex[i]]) for i < batch, then C += bias (per column) and the activation.
   * a: [*, M, K] ([*, K, M] when transA); b: [*, K, N] ([*, N, K] when transB); c: [batch, M, N].
   * aIndex/bIndex null ⇒ i. activation: tfjs-wasm's FusableActivation code (0 linear). alpha: leaky-relu slope.
   */
  sgemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    a: Float32Array, b: Float32Array, c: Float32Array, batch: number,
    aIndex?: Int32Array | null, bIndex?: Int32Array | null,
    bias?: Float32Array | null, activation?: number, alpha?: number,
  ): void;
  numThreads(): number;
  setNumThreads(n: number): void;
  /** OpenBLAS build and core, e.g. "OpenBLAS 0.3.21 … SkylakeX". */
  config(): string;
}

/** Options of enableNativeBlas. */
export interface NativeBlasOptions {
  /**
   * Plain (untransposed) products with fewer floating-point operations (2·batch·M·N·K) than this run on the
   * original wasm kernel; transposed ones always go native. Default 0 (or RLHF_NATIVE_BLAS_MIN_FLOPS): measured
   * with bench/matmul.ts, the addon's call (~10 µs) was never slower than wasm's own kernel dispatch, down to 4×4×4.
   */
  minFlops?: number;
}

/** What enableNativeBlas did, for logs and benchmarks. */
export interface NativeBlasStatus {
  /** true while the native kernels are registered for the wasm backend */
  enabled: boolean;
  /** why it is not enabled (empty when enabled) */
  reason: string;
  /** the addon loaded (built and linkable), whether or not enabled */
  available: boolean;
  minFlops: number;
  /** OpenBLAS threads, 0 when the addon is not loaded */
  threads: number;
  /** OpenBLAS build string, '' when the addon is not loaded */
  blas: string;
  /** products that ran natively / fell back to wasm since enabling */
  nativeCalls: number;
  fallbackCalls: number;
}

export const DEFAULT_MIN_FLOPS = 0;

const KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;
type KernelName = (typeof KERNELS)[number];

/** tfjs-backend-wasm's FusableActivation (kernels/types.ts); prelu (3) is left to the wasm kernel. */
const ACTIVATION_CODES: Readonly<Record<string, number>> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 4, sigmoid: 5, elu: 6 };

/** The parts of tfjs-backend-wasm's BackendWasm we use. */
interface WasmBackendInternals {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

let addonCache: { addon: NativeBlasAddon | null; error: string | null } | undefined;
const originals = new Map<KernelName, tf.KernelConfig>();
const state = { enabled: false, reason: 'enableNativeBlas() not called', minFlops: DEFAULT_MIN_FLOPS, nativeCalls: 0, fallbackCalls: 0 };

/** Loads native/index.cjs from the package root (src/core or dist/src/core), once. Never throws. */
export function loadNativeBlas(): { addon: NativeBlasAddon | null; error: string | null } {
  if (addonCache) return addonCache;
  const here = dirname(fileURLToPath(import.meta.url));
  const loader = [join(here, '../../native/index.cjs'), join(here, '../../../native/index.cjs')].find((p) => existsSync(p));
  if (!loader) {
    addonCache = { addon: null, error: 'native/index.cjs not found next to the package' };
    return addonCache;
  }
  const loaded = createRequire(import.meta.url)(loader) as { addon: NativeBlasAddon | null; error: string | null };
  addonCache = { addon: loaded.addon, error: loaded.error };
  return addonCache;
}

function resolveMinFlops(options: NativeBlasOptions): number {
  const env = process.env.RLHF_NATIVE_BLAS_MIN_FLOPS;
  const value = options.minFlops ?? (env !== undefined && env !== '' ? Number(env) : DEFAULT_MIN_FLOPS);
  if (!Number.isFinite(value) || value < 0)
    throw new ConfigError('minFlops', `native BLAS minFlops must be a number ≥ 0 (RLHF_NATIVE_BLAS_MIN_FLOPS), got ${String(options.minFlops ?? env)}`);
  return value;
}

/**
 * Registers the native BatchMatMul/_FusedMatMul for the wasm backend when the addon is built, the current
 * backend is wasm and RLHF_NATIVE_BLAS is not "0". Returns whether the native kernels are active.
 * Safe to call many times (a later call only updates minFlops).
 */
export function enableNativeBlas(options: NativeBlasOptions = {}): boolean {
  state.minFlops = resolveMinFlops(options);
  if (state.enabled) return true;
  if (process.env.RLHF_NATIVE_BLAS === '0') return off('disabled by RLHF_NATIVE_BLAS=0');
  const { addon, error } = loadNativeBlas();
  if (!addon) return off(`native BLAS addon ${error ?? 'missing'}`);
  if (tf.getBackend() !== 'wasm') return off(`the current tfjs backend is ${tf.getBackend()}, not wasm`);
  for (const name of KERNELS) {
    const original = tf.getKernel(name, 'wasm');
    if (!original) return off(`the wasm backend has no ${name} kernel to wrap`);
    originals.set(name, original);
  }
  for (const name of KERNELS) {
    const original = originals.get(name)!;
    const kernelFunc = name === 'BatchMatMul' ? makeBatchMatMul(addon, original) : makeFusedMatMul(addon, original);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  state.enabled = true;
  state.reason = '';
  state.nativeCalls = 0;
  state.fallbackCalls = 0;
  return true;
}

/** Restores the original wasm kernels (benchmarks and tests compare both). */
export function disableNativeBlas(): void {
  if (!state.enabled) return;
  for (const name of KERNELS) {
    const original = originals.get(name);
    if (!original) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  state.enabled = false;
  state.reason = 'disabled by disableNativeBlas()';
}

/**
 * Sets OpenBLAS's thread count for this process (the addon's OpenBLAS is shared by all worker_threads).
 * Use 1 when the cores are already busy with data-parallel workers: OpenBLAS's idle threads spin for a while
 * after each call and would compete with them. Returns false when the addon is not loaded.
 */
export function setNativeBlasThreads(n: number): boolean {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('threads', `native BLAS threads must be an integer ≥ 1, got ${n}`);
  const { addon } = loadNativeBlas();
  if (!addon) return false;
  addon.setNumThreads(n);
  return true;
}

export function nativeBlasStatus(): NativeBlasStatus {
  const { addon } = loadNativeBlas();
  return {
    enabled: state.enabled,
    reason: state.reason,
    available: addon !== null,
    minFlops: state.minFlops,
    threads: addon ? addon.numThreads() : 0,
    blas: addon ? addon.config() : '',
    nativeCalls: state.nativeCalls,
    fallbackCalls: state.fallbackCalls,
  };
}

function off(reason: string): false {
  state.enabled = false;
  state.reason = reason;
  return false;
}

const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** The geometry of one batched product, or null when the wasm kernel should handle it (incl. its errors). */
interface Plan {
  M: number;
  N: number;
  K: number;
  batch: number;
  outShape: number[];
  aIndex: Int32Array | null;
  bIndex: Int32Array | null;
}

/**
 * tfjs BatchMatMul semantics: a [...batchA, M, K], b [...batchB, K, N] (transposes swap the last two), batch
 * dims broadcast numpy-style to the output's [...batch, M, N]. aIndex[i] is the flat batch index of a used
 * for output batch i (null when it is i itself).
 */
function plan(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): Plan | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const M = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const K = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const Kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const N = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (K !== Kb) return null;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const rank = Math.max(outerA.length, outerB.length);
  const padA = [...Array<number>(rank - outerA.length).fill(1), ...outerA];
  const padB = [...Array<number>(rank - outerB.length).fill(1), ...outerB];
  const outer: number[] = [];
  for (let d = 0; d < rank; d++) {
    const da = padA[d]!;
    const db = padB[d]!;
    if (da !== db && da !== 1 && db !== 1) return null;
    outer.push(Math.max(da, db));
  }
  const batch = size(outer);
  const batchA = size(outerA);
  const batchB = size(outerB);
  return {
    M, N, K, batch,
    outShape: [...outer, M, N],
    aIndex: batchA === batch && sameShape(padA, outer) ? null : broadcastIndex(padA, outer),
    bIndex: batchB === batch && sameShape(padB, outer) ? null : broadcastIndex(padB, outer),
  };
}

function sameShape(x: readonly number[], y: readonly number[]): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** For each flat index of `outer`, the flat index into `inShape` (same rank, dims 1 or equal) it reads. */
function broadcastIndex(inShape: readonly number[], outer: readonly number[]): Int32Array {
  const batch = size(outer);
  const index = new Int32Array(batch);
  if (size(inShape) === 1) return index; // all zeros: one matrix for every batch entry
  const rank = outer.length;
  const inStrides = new Array<number>(rank).fill(0);
  for (let d = rank - 1, s = 1; d >= 0; d--) {
    inStrides[d] = inShape[d] === 1 ? 0 : s; // a size-1 dim is repeated: stride 0
    s *= inShape[d]!;
  }
  for (let i = 0; i < batch; i++) {
    let rest = i;
    let src = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const od = outer[d]!;
      src += (rest % od) * inStrides[d]!;
      rest = Math.floor(rest / od);
    }
    index[i] = src;
  }
  return index;
}

/** A Float32Array view of a tensor's data on the wasm heap (valid until the next allocation). */
function heapView(backend: WasmBackendInternals, t: tf.TensorInfo): Float32Array {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new Error(`native BLAS: tensor data not found on the wasm backend`);
  return new Float32Array(backend.wasm.HEAPU8.buffer, data.memoryOffset, size(t.shape));
}

function flopsOf(p: Plan): number {
  return 2 * p.batch * p.M * p.N * p.K; // multiply-adds ×2
}

/**
 * Below minFlops the wasm kernel is as fast (the addon's call overhead dominates) — but only for plain
 * products: wasm's transposed path is 10–40× slower than its plain one at every size, so transposed products
 * (every matmul gradient) always go native.
 */
function tooSmall(p: Plan, transposed: boolean): boolean {
  return !transposed && flopsOf(p) < state.minFlops;
}

function makeBatchMatMul(addon: NativeBlasAddon, original: tf.KernelConfig) {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const p = plan(a, b, transposeA === true, transposeB === true);
    if (!p || tooSmall(p, transposeA === true || transposeB === true)) {
      state.fallbackCalls++;
      return original.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
    }
    const backend = args.backend as WasmBackendInternals;
    const out = backend.makeOutput(p.outShape, 'float32'); // allocate first: it may grow (detach) the heap
    addon.sgemm(transposeA === true, transposeB === true, p.M, p.N, p.K,
      heapView(backend, a), heapView(backend, b), heapView(backend, out), p.batch, p.aIndex, p.bIndex);
    state.nativeCalls++;
    return out;
  };
}

function makeFusedMatMul(addon: NativeBlasAddon, original: tf.KernelConfig) {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string; leakyreluAlpha?: number };
    const code = ACTIVATION_CODES[attrs.activation ?? 'linear'];
    const p = a && b ? plan(a, b, attrs.transposeA === true, attrs.transposeB === true) : null;
    // bias must be one value per output column: [N] or [1, …, 1, N]
    const biasOk = !bias || (bias.dtype === 'float32' && p !== null && size(bias.shape) === p.N && bias.shape[bias.shape.length - 1] === p.N);
    if (!p || code === undefined || preluActivationWeights || !biasOk || tooSmall(p, attrs.transposeA === true || attrs.transposeB === true)) {
      state.fallbackCalls++;
      return original.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
    }
    const backend = args.backend as WasmBackendInternals;
    const out = backend.makeOutput(p.outShape, 'float32');
    addon.sgemm(attrs.transposeA === true, attrs.transposeB === true, p.M, p.N, p.K,
      heapView(backend, a!), heapView(backend, b!), heapView(backend, out), p.batch, p.aIndex, p.bIndex,
      bias ? heapView(backend, bias) : null, code, attrs.leakyreluAlpha || 0); // as the wasm kernel: missing alpha ⇒ 0
    state.nativeCalls++;
    return out;
  };
}
