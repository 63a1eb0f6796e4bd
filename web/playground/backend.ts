/**
 * The tensor backend of the page: TensorFlow.js on the fastest one the browser offers, in this order —
 *   1. WebGPU  (when @tensorflow/tfjs-backend-webgpu is installed at build time and the browser has an adapter)
 *   2. WebGL   (a GPU, or the browser's software rasterizer)
 *   3. wasm    (SIMD where the browser has it; threads too where the page is cross-origin isolated, as
 *               `rlhf playground` serves it: COOP same-origin + COEP require-corp)
 *   4. cpu     (plain JavaScript)
 * The wasm binaries are part of the build (Vite's ?url assets, served from the page's own origin): nothing is fetched
 * from elsewhere. `?backend=wasm` (or webgl, cpu, webgpu) asks for one backend; the page says which one runs.
 *
 * TensorFlow.js is loaded lazily, so the page draws before its ~2 MB arrive. The gridworld fits its tabular reward in
 * typed arrays (faster than any backend for 25 numbers, docs/gridworld.md); the tensor backend is what the larger
 * models use.
 */
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type Backend = (typeof BACKENDS)[number];

export interface BackendInfo {
  /** the backend TensorFlow.js runs on */
  name: string;
  /** wasm: SIMD and threads in use */
  simd?: boolean;
  threads?: number;
  crossOriginIsolated: boolean;
  /** what was tried and why it was passed over, in order */
  tried: string[];
}

/** The WebGPU backend, if the build has it (an optional package: import.meta.glob finds nothing when it is absent). */
const webgpuModule = import.meta.glob('/../node_modules/@tensorflow/tfjs-backend-webgpu/dist/index.js');

let chosen: Promise<BackendInfo> | undefined;

/** Picks and initialises the backend once (see the file comment). */
export function initBackend(want?: Backend): Promise<BackendInfo> {
  return (chosen ??= pick(want));
}

async function pick(want?: Backend): Promise<BackendInfo> {
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });
  const tried: string[] = [];
  const isolated = globalThis.crossOriginIsolated === true;
  // threads: one per core (tfjs's default is half the cores, at most 4)
  if (isolated) wasm.setThreadsCount(Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1)));
  const order = want ? [want] : BACKENDS;
  for (const name of order) {
    try {
      if (name === 'webgpu') {
        const load = Object.values(webgpuModule)[0];
        if (!load) {
          tried.push('webgpu: not in this build (@tensorflow/tfjs-backend-webgpu is not installed)');
          continue;
        }
        if (!('gpu' in navigator) || !(await (navigator as Navigator & { gpu: { requestAdapter(): Promise<unknown> } }).gpu.requestAdapter())) {
          tried.push('webgpu: the browser offers no WebGPU adapter');
          continue;
        }
        await load();
      }
      if (await tf.setBackend(name)) {
        await tf.ready();
        const info: BackendInfo = { name: tf.getBackend(), crossOriginIsolated: isolated, tried };
        if (name === 'wasm') {
          info.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') as boolean;
          info.threads = wasm.getThreadsCount();
        }
        return info;
      }
      tried.push(`${name}: not available in this browser`);
    } catch (e) {
      tried.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${tried.join('; ')}`);
}

/** One line for the page: "wasm (SIMD, threaded: 2 threads)". */
export function describeBackend(b: BackendInfo): string {
  if (b.name !== 'wasm') return b.name;
  const simd = b.simd ? 'SIMD' : 'no SIMD';
  // tfjs runs its threaded build exactly when the browser has SIMD and the page may share memory (isolated)
  const threads = b.simd && b.crossOriginIsolated ? `threaded: ${b.threads ?? 1} thread${b.threads === 1 ? '' : 's'}` : 'no threads: the page is not cross-origin isolated';
  return `wasm (${simd}, ${threads})`;
}
