/**
 * The text reward model: a backbone (backbone.ts) and a scalar head,
 *   r(x) = w · h(x) + b,   h(x) the backbone's features of the token sequence x (prompt + continuation).
 * Trained by Bradley–Terry on comparisons and Plackett–Luce on rankings (trainer.ts).
 */
import { tf } from '../../core/tensor.js';
import { ShapeError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { TextBackbone } from './backbone.js';

/** Right-pads token sequences to one length: ids and mask [B, T] (mask 1 on real tokens). */
export function rightPad(seqs: ReadonlyArray<ArrayLike<number>>, padId: number, length?: number): { ids: Int32Array; mask: Float32Array; length: number } {
  if (seqs.length === 0) throw new ShapeError('rightPad: no sequences');
  const T = length ?? Math.max(...seqs.map((s) => s.length));
  const ids = new Int32Array(seqs.length * T).fill(padId);
  const mask = new Float32Array(seqs.length * T);
  seqs.forEach((s, b) => {
    if (s.length === 0) throw new ShapeError(`rightPad: sequence ${b} is empty`);
    if (s.length > T) throw new ShapeError(`rightPad: sequence ${b} has ${s.length} tokens, more than ${T}`);
    for (let t = 0; t < s.length; t++) {
      ids[b * T + t] = s[t]!;
      mask[b * T + t] = 1;
    }
  });
  return { ids, mask, length: T };
}

let headCounter = 0;

export class TextRewardModel {
  readonly backbone: TextBackbone;
  readonly w: tf.Variable; // [H, 1]
  readonly b: tf.Variable; // [1]
  /** token id used for padding (never seen by the model: it is masked) */
  readonly padId: number;

  constructor(backbone: TextBackbone, rng: Rng, padId = 0) {
    this.backbone = backbone;
    this.padId = padId;
    const H = backbone.hiddenSize;
    const id = headCounter++;
    this.w = tf.tidy(() => tf.variable(tf.tensor2d(rng.normalArray(H, 1 / Math.sqrt(H)), [H, 1]), true, `rm_head${id}/w`)); // tidy frees the initial value
    this.b = tf.tidy(() => tf.variable(tf.zeros([1]), true, `rm_head${id}/b`));
  }

  /** r = h w + b for padded sequences: ids [B, T] int32, mask [B, T] → [B]. Differentiable. */
  score(ids: tf.Tensor2D, mask: tf.Tensor2D, opts: { training?: boolean } = {}): tf.Tensor1D {
    return tf.tidy(() => {
      const h = this.backbone.embed(ids, mask, opts); // [B, H]
      return tf.reshape(tf.add(tf.matMul(h, this.w), this.b), [-1]) as tf.Tensor1D; // [B]
    });
  }

  /** Scores of token sequences in batches, without gradients. */
  scoreSequences(seqs: ReadonlyArray<ArrayLike<number>>, batchSize = 32): Float32Array {
    const out = new Float32Array(seqs.length);
    for (let s = 0; s < seqs.length; s += batchSize) {
      const chunk = seqs.slice(s, s + batchSize);
      const { ids, mask, length } = rightPad(chunk, this.padId);
      const v = tf.tidy(() => this.score(tf.tensor2d(ids, [chunk.length, length], 'int32'), tf.tensor2d(mask, [chunk.length, length])).dataSync());
      out.set(v, s);
    }
    return out;
  }

  /** Head + backbone variables being trained. */
  trainableVariables(): tf.Variable[] {
    return [this.w, this.b, ...this.backbone.trainableVariables()];
  }

  /** The head's weights as plain arrays (for checkpoints). */
  headArrays(): { w: Float32Array; b: Float32Array } {
    return { w: Float32Array.from(this.w.dataSync()), b: Float32Array.from(this.b.dataSync()) };
  }

  setHead(a: { w: Float32Array; b: Float32Array }): void {
    if (a.w.length !== this.backbone.hiddenSize || a.b.length !== 1) throw new ShapeError(`reward head: expected ${this.backbone.hiddenSize} weights and 1 bias, got ${a.w.length} and ${a.b.length}`);
    tf.tidy(() => {
      this.w.assign(tf.tensor2d(a.w, [a.w.length, 1]));
      this.b.assign(tf.tensor1d(a.b));
    });
  }

  /** Frees the head (the backbone belongs to its owner). */
  dispose(): void {
    this.w.dispose();
    this.b.dispose();
  }
}
