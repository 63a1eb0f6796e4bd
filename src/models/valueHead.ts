/**
 * TRL's ValueHead: a scalar on the last hidden state, v = h wᵀ + b, w [1, C] ("v_head.summary.weight"),
 * b [1] ("v_head.summary.bias"). Saved beside a model as value_head.safetensors (load.ts) under TRL's names.
 */
import { tf } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { DataError, ShapeError } from '../core/errors.js';
import type { NamedTensor, TensorToWrite } from '../core/safetensors.js';
import { variableFrom } from './layers.js';

export const VALUE_HEAD_WEIGHT = 'v_head.summary.weight';
export const VALUE_HEAD_BIAS = 'v_head.summary.bias';

/** w [1, C], b [1] */
export interface ValueHead {
  weight: tf.Variable;
  bias: tf.Variable;
}

/** The head's weights as plain arrays. */
export interface ValueHeadArrays {
  weight: Float32Array;
  bias: Float32Array;
}

/** A value head of width C: weight ~ N(0, std) drawn from an Rng and bias 0, or the given arrays. */
export function createValueHead(C: number, init: Rng | ValueHeadArrays, std: number): ValueHead {
  const given = 'weight' in init ? init : null;
  const w = given ? given.weight : (init as Rng).normalArray(C, std);
  const b = given ? given.bias : new Float32Array(1);
  if (w.length !== C || b.length !== 1) throw new ShapeError(`value head: weight must have ${C} values and bias 1, got ${w.length} and ${b.length}`);
  return { weight: variableFrom(w, [1, C]), bias: variableFrom(b, [1]) };
}

/** v = h wᵀ + b.  h [N, C] → [N, 1] */
export function applyValueHead(head: ValueHead, h: tf.Tensor2D): tf.Tensor2D {
  // plain matMul + add: tfjs-wasm 4.22's _FusedMatMul adds the bias wrongly for transposed products (bench/NOTES.md)
  return tf.add(tf.matMul(h, head.weight, false, true), head.bias) as tf.Tensor2D; // [N, 1] = h wᵀ + b
}

export function disposeValueHead(head: ValueHead | null): void {
  head?.weight.dispose();
  head?.bias.dispose();
}

/** The head in a checkpoint's tensors (null when it holds neither name); `source` names the file in errors. */
export function valueHeadFromTensors(tensors: Map<string, NamedTensor>, C: number, source: string): ValueHeadArrays | null {
  const w = tensors.get(VALUE_HEAD_WEIGHT);
  const b = tensors.get(VALUE_HEAD_BIAS);
  if (!w && !b) return null;
  if (!w || !b) throw new DataError(`${source}: value head needs both ${VALUE_HEAD_WEIGHT} and ${VALUE_HEAD_BIAS}`);
  if (w.data.length !== C || b.data.length !== 1) throw new DataError(`${source}: value head has ${w.data.length} weights and ${b.data.length} biases, expected ${C} and 1`);
  return { weight: Float32Array.from(w.data), bias: Float32Array.from(b.data) };
}

/** The head's tensors under TRL's names (for a safetensors file). */
export function valueHeadTensors(head: ValueHead): Record<string, TensorToWrite> {
  return {
    [VALUE_HEAD_WEIGHT]: { shape: head.weight.shape, data: head.weight.dataSync() as Float32Array },
    [VALUE_HEAD_BIAS]: { shape: head.bias.shape, data: head.bias.dataSync() as Float32Array },
  };
}
