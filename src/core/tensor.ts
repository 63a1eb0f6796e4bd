/**
 * The tensor runtime: one place that picks and initialises the TensorFlow.js backend.
 *
 * Order for `auto`: tfjs-node (`@tensorflow/tfjs-node`, native TensorFlow, if the user installed it) → wasm
 * (the default here; single-threaded in Node) → cpu (pure JS, slow). We import the umbrella `@tensorflow/tfjs`
 * because `tfjs-core` alone registers no gradients in Node.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { ConfigError } from './errors.js';
import { enableNativeBlas } from './nativeBlas.js';

export { tf };

export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

let initialised: Promise<string> | undefined;
let requested: BackendName | undefined;

async function tryTfjsNode(): Promise<boolean> {
  try {
    // optional dependency: present only when the user installed it
    const name = '@tensorflow/tfjs-node';
    await import(name);
    return await tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

async function init(backend: BackendName): Promise<string> {
  if (backend === 'tensorflow' || backend === 'auto') {
    if (await tryTfjsNode()) {
      await tf.ready();
      return tf.getBackend();
    }
    if (backend === 'tensorflow')
      throw new ConfigError('backend', 'backend "tensorflow" needs @tensorflow/tfjs-node: run `npm install @tensorflow/tfjs-node`, or use --backend wasm');
  }
  if (backend === 'wasm' || backend === 'auto') {
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      enableNativeBlas(); // matmuls on the system BLAS when native/ is built (off: RLHF_NATIVE_BLAS=0)
      return tf.getBackend();
    }
    if (backend === 'wasm') throw new ConfigError('backend', 'the wasm backend failed to initialise; try --backend cpu');
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return tf.getBackend();
}

/**
 * Initialises the backend once per process (later calls with the same name return the same promise).
 * The environment variable RLHF_BACKEND overrides `auto`. Returns the backend's name.
 */
export function initTensors(backend: BackendName = 'auto'): Promise<string> {
  const env = process.env.RLHF_BACKEND as BackendName | undefined;
  const want = backend === 'auto' && env && BACKEND_NAMES.includes(env) ? env : backend;
  if (initialised && requested === want) return initialised;
  if (initialised && requested !== want) {
    initialised = initialised.then(() => init(want));
  } else {
    initialised = init(want);
  }
  requested = want;
  return initialised;
}

/** A tensor from a plain array, float32. */
export function tensorFrom(data: Float32Array | number[], shape: number[]): tf.Tensor {
  return tf.tensor(data instanceof Float32Array ? data : Float32Array.from(data), shape, 'float32');
}

/** Number of live tensors: a training step must leave it unchanged (leak check). */
export function liveTensors(): number {
  return tf.memory().numTensors;
}
