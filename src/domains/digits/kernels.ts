/**
 * A faster matmul for tfjs-wasm when an operand is transposed.
 *
 * Measured here (bench/NOTES.md "## digits"): wasm's BatchMatMul runs ~27 GFLOP/s on [256, 794] × [794, 400]
 * but ~2 GFLOP/s (13× slower) when transposeA or transposeB is set — and every matmul gradient is transposed
 * (dA = dC Bᵀ, dB = Aᵀ dC). This wraps the wasm BatchMatMul and _FusedMatMul kernels: a transposed operand is
 * first copied out by the (fast) Transpose kernel, then the plain kernel runs. Same results, backward 5–10× faster.
 * Only the wasm backend is touched; other backends keep their kernels.
 */
import { type BackendName, initTensors, tf } from '../../core/tensor.js';
import { nativeBlasStatus } from '../../core/nativeBlas.js';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type Info = tf.TensorInfo;
interface WasmBackendLike {
  disposeData(dataId: object): boolean;
}

let installed = false;

/** Swaps the last two dimensions of x with the backend's Transpose kernel. */
function physicalTranspose(transpose: KernelFunc, x: Info, backend: unknown): Info {
  const rank = x.shape.length;
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose({ inputs: { x }, backend: backend as never, attrs: { perm } }) as Info;
}

function wrap(name: string, transpose: KernelFunc): void {
  const orig = tf.getKernel(name, 'wasm');
  if (!orig) return;
  const kernelFunc: KernelFunc = (args) => {
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean } & Record<string, unknown>;
    if (!attrs.transposeA && !attrs.transposeB) return orig.kernelFunc(args);
    const inputs = args.inputs as Record<string, Info>;
    const temps: Info[] = [];
    const a = attrs.transposeA ? physicalTranspose(transpose, inputs.a!, args.backend) : inputs.a!;
    if (attrs.transposeA) temps.push(a);
    const b = attrs.transposeB ? physicalTranspose(transpose, inputs.b!, args.backend) : inputs.b!;
    if (attrs.transposeB) temps.push(b);
    const out = orig.kernelFunc({ ...args, inputs: { ...inputs, a, b } as never, attrs: { ...attrs, transposeA: false, transposeB: false } as never });
    for (const t of temps) (args.backend as unknown as WasmBackendLike).disposeData(t.dataId);
    return out;
  };
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...orig, kernelFunc });
}

/** Installs the wrapped kernels once per process (no-op if the wasm backend is absent). */
export function installFastTransposedMatMul(): void {
  if (installed) return;
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) return;
  installed = true;
  wrap('BatchMatMul', transpose.kernelFunc);
  wrap('_FusedMatMul', transpose.kernelFunc);
}

/**
 * Initialises the tensor runtime for the digits domain: the shared initTensors (which registers the native BLAS
 * matmul when native/ is built), plus — only when that is not active — the faster transposed matmul above.
 */
export async function initDigitsTensors(backend: BackendName = 'auto'): Promise<string> {
  const name = await initTensors(backend);
  if (name === 'wasm' && !nativeBlasStatus().enabled) installFastTransposedMatMul();
  return name;
}
