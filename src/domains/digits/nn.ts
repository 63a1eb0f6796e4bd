/**
 * Small building blocks for the digits models: dense layers whose weights come from our seeded Rng,
 * named parameter sets, and their safetensors round trip.
 */
import { tf } from '../../core/tensor.js';
import { CheckpointError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { NamedTensor, TensorToWrite } from '../../core/safetensors.js';

/** Named trainable variables of one model, e.g. { "dec_out.weight": [400, 784], ... }. */
export type Params = Record<string, tf.Variable>;

/**
 * A dense layer's weight [in, out] and bias [out], initialised as PyTorch's nn.Linear does:
 * W, b ~ U(−1/√fan_in, 1/√fan_in) (kaiming_uniform with a = √5), drawn from `rng`.
 */
export function denseParams(params: Params, name: string, fanIn: number, fanOut: number, rng: Rng): void {
  const bound = 1 / Math.sqrt(fanIn);
  params[`${name}.weight`] = tf.variable(tf.tensor2d(rng.uniformArray(fanIn * fanOut, -bound, bound), [fanIn, fanOut]), true, `${name}.weight_${uid()}`);
  params[`${name}.bias`] = tf.variable(tf.tensor1d(rng.uniformArray(fanOut, -bound, bound)), true, `${name}.bias_${uid()}`);
}

/**
 * A dense layer over concatenated inputs [a, b, …] stored as one weight block per input (`<name>.weight_<part>`,
 * [fan_part, out]) and one bias, initialised as the concatenated layer would be (bound 1/√Σ fan_in). The forward
 * pass adds the blocks' products instead of concatenating: tfjs-wasm's Concat along axis 1 is a slow JS copy.
 */
export function denseBlockParams(params: Params, name: string, fanIns: Record<string, number>, fanOut: number, rng: Rng): void {
  const total = Object.values(fanIns).reduce((a, b) => a + b, 0);
  const bound = 1 / Math.sqrt(total);
  for (const [part, fanIn] of Object.entries(fanIns))
    params[`${name}.weight_${part}`] = tf.variable(tf.tensor2d(rng.uniformArray(fanIn * fanOut, -bound, bound), [fanIn, fanOut]), true, `${name}.weight_${part}_${uid()}`);
  params[`${name}.bias`] = tf.variable(tf.tensor1d(rng.uniformArray(fanOut, -bound, bound)), true, `${name}.bias_${uid()}`);
}

/** y = act(Σ_part x_part W_part + b): the first block's product carries the bias (one fused kernel), the rest are added. */
export function denseBlocks(params: Params, name: string, inputs: Record<string, tf.Tensor2D>, activation: 'linear' | 'relu' = 'linear'): tf.Tensor2D {
  const parts = Object.entries(inputs);
  const b = params[`${name}.bias`];
  if (!b || parts.length === 0) throw new CheckpointError(`model has no layer "${name}"`);
  const weight = (part: string): tf.Tensor2D => {
    const w = params[`${name}.weight_${part}`];
    if (!w) throw new CheckpointError(`model has no weight block "${name}.weight_${part}"`);
    return w as tf.Tensor2D;
  };
  const [first, ...rest] = parts;
  let y = tf.fused.matMul({ a: first![1], b: weight(first![0]), bias: b }) as tf.Tensor2D;
  for (const [part, x] of rest) y = y.add(tf.matMul(x, weight(part)));
  return activation === 'relu' ? tf.relu(y) : y;
}

let counter = 0;
/** tfjs variable names must be unique per process: several models of one kind can live side by side. */
function uid(): number {
  return ++counter;
}

/** y = act(x W + b), one fused kernel. */
export function dense(params: Params, name: string, x: tf.Tensor2D, activation: 'linear' | 'relu' = 'linear'): tf.Tensor2D {
  const w = params[`${name}.weight`];
  const b = params[`${name}.bias`];
  if (!w || !b) throw new CheckpointError(`model has no layer "${name}"`);
  return tf.fused.matMul({ a: x, b: w as tf.Tensor2D, bias: b, activation }) as tf.Tensor2D;
}

/** Copies parameters into plain arrays for safetensors. */
export function paramsToTensors(params: Params, prefix = ''): Record<string, TensorToWrite> {
  const out: Record<string, TensorToWrite> = {};
  for (const [name, v] of Object.entries(params)) out[prefix + name] = { dtype: 'F32', shape: v.shape, data: v.dataSync() as Float32Array };
  return out;
}

/** Assigns stored tensors to parameters; every parameter must be present with the same shape. */
export function assignParams(params: Params, tensors: Map<string, NamedTensor>, source: string, prefix = ''): void {
  for (const [name, v] of Object.entries(params)) {
    const t = tensors.get(prefix + name);
    if (!t) throw new CheckpointError(`${source} has no tensor "${prefix + name}": it was written by another model or version`);
    if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i]))
      throw new CheckpointError(`${source}: tensor "${prefix + name}" has shape [${t.shape.join(', ')}], expected [${v.shape.join(', ')}] (made with another config?)`);
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
  }
}

/** Disposes every variable of a model. */
export function disposeParams(params: Params): void {
  for (const v of Object.values(params)) v.dispose();
}

/** Number of scalar parameters. */
export function countParams(params: Params): number {
  return Object.values(params).reduce((s, v) => s + v.size, 0);
}
