/**
 * Kernels the tfjs wasm backend lacks (or runs wastefully) and the GPT-2 needs for training.
 *
 * - UnsortedSegmentSum: the gradient of `gather` (embedding lookup, picking token log-probs by flat index) is
 *   `unsortedSegmentSum(dy, indices, n)`, which wasm does not implement. We add it as a plain JS loop over the wasm
 *   heap: out[seg[i], :] += x[i, :]. It is memory-bound, O(size of x + size of out).
 *
 * - Identity without a copy: while a gradient tape records, tfjs clones every tensor a gradient will need
 *   (`saveTensorsForBackwardMode` → Identity). wasm's Identity copies the data — for GPT-2 small that is a 154 MB
 *   memcpy of the tied embedding per use per step. Tensors are immutable (Variable.assign swaps the data id instead
 *   of writing in place), so sharing the data with a reference count is safe; the cpu backend's Identity does the same.
 *
 * Registration is idempotent and only touches backend 'wasm' (cpu and tensorflow have their own kernels).
 */
import { tf } from '../core/tensor.js';

/** The parts of the wasm backend we use (tfjs-backend-wasm's BackendWasm). */
export interface WasmBackendLike {
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

let registered = false;

/** Identity that shares the input's data (reference counted) instead of copying it. */
function sharedIdentityWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const x = args.inputs.x!;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** out[numSegments, ...inner] with out[s] = Σ_{i: ids[i] = s} x[i] (segments outside [0, n) are dropped, as in TF). */
function unsortedSegmentSumWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const x = args.inputs.x!;
  const ids = args.inputs.segmentIds!;
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum (wasm, rlhfkit): unsupported dtype ${x.dtype}`);
  const n = ids.shape.reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(ids.shape.length).reduce((a, b) => a * b, 1);
  const outShape = [numSegments, ...x.shape.slice(ids.shape.length)];
  const out = backend.makeOutput(outShape, x.dtype);
  // read views after makeOutput: allocation may grow (and detach) the heap
  const xs = backend.typedArrayFromHeap(x);
  const seg = backend.typedArrayFromHeap(ids);
  const o = backend.typedArrayFromHeap(out);
  o.fill(0);
  for (let i = 0; i < n; i++) {
    const s = seg[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j]! += xs[src + j]!;
  }
  return out;
}

/** Registers the kernels wasm lacks (safe to call many times). */
export function registerMissingWasmKernels(): void {
  if (registered) return;
  registered = true;
  // someone (or a future tfjs) may already provide it
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm'))
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSumWasm as unknown as tf.KernelFunc });
  const original = tf.getKernel('Identity', 'wasm');
  if (original) {
    tf.unregisterKernel('Identity', 'wasm');
    tf.registerKernel({
      kernelName: 'Identity',
      backendName: 'wasm',
      kernelFunc: ((args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) =>
        args.inputs.x!.dtype === 'string' ? original.kernelFunc(args as never) : sharedIdentityWasm(args)) as unknown as tf.KernelFunc,
    });
  }
}
