import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initTensors } from '../../../core/tensor.js';
import { Rng } from '../../../core/rng.js';
import { FusedAdam } from './adam.js';

beforeAll(async () => {
  await initTensors('wasm');
});

describe('FusedAdam', () => {
  it('follows tfjs Adam step for step and leaks nothing', () => {
    const rng = new Rng(3);
    const init = rng.normalArray(50);
    const target = tf.tensor(rng.normalArray(50), [5, 10]);
    const a = tf.variable(tf.tensor(init, [5, 10]));
    const b = tf.variable(tf.tensor(init, [5, 10]));
    const ours = new FusedAdam({ learningRate: 0.05, epsilon: 1e-7 });
    const ref = tf.train.adam(0.05, 0.9, 0.999, 1e-7);
    const loss = (w: tf.Variable) => (): tf.Scalar => tf.sum(tf.square(tf.sub(tf.mul(w, w), target)));
    ours.minimize(loss(a), false, [a]);
    ref.minimize(loss(b), false, [b]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      ours.minimize(loss(a), false, [a]);
      ref.minimize(loss(b), false, [b]);
    }
    expect(tf.memory().numTensors).toBe(before);
    const x = a.dataSync();
    const y = b.dataSync();
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
    expect(worst).toBeLessThan(1e-4);
    expect(Math.abs(x[0]! - init[0]!)).toBeGreaterThan(1e-2); // it did move
    tf.dispose([a, b, target]);
    ours.dispose();
    ref.dispose();
  });

  it('decoupled weight decay shrinks weights with a zero gradient', () => {
    const w = tf.variable(tf.ones([4]));
    const opt = new FusedAdam({ learningRate: 0.1, weightDecay: 0.5 });
    opt.applyGradients({ [w.name]: tf.zeros([4]) });
    expect(w.dataSync()[0]).toBeCloseTo(1 - 0.1 * 0.5, 6);
    w.dispose();
  });
});
