import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../core/rng.js';
import { tf } from '../../core/tensor.js';
import { NUM_CLASSES, loadIdxDir, oneHot } from './data.js';
import { initDigitsTensors } from './kernels.js';
import { CondVae, bernoulliNll } from './vae.js';
import { Classifier } from './classifier.js';
import { trainClassifier, trainVae } from './train.js';
import { LatentPolicy, resolveLatentPolicyConfig } from './policy.js';
import { CorrectionLearner, resolveCorrectionsConfig } from './corrections.js';
import { writeSynthIdxDir } from './testing.js';
import { TensorAdam } from '../../optim/tensorAdam.js';
import { loadModels, saveModels } from './models.js';

const data = loadIdxDir(writeSynthIdxDir(mkdtempSync(join(tmpdir(), 'rlhf-digits-m-')), 200, 50, true));
const SMALL = { inputDim: 784, hidden: 32, zDim: 4 };

beforeAll(async () => {
  await initDigitsTensors('wasm');
});

describe('kernels', () => {
  it('the wrapped transposed matmul gives the same values and gradients as an explicit transpose', () => {
    const rng = new Rng(3);
    const a = tf.tensor2d(rng.normalArray(7 * 5), [7, 5]);
    const b = tf.tensor2d(rng.normalArray(6 * 5), [6, 5]);
    const fast = tf.matMul(a, b, false, true);
    const ref = tf.matMul(a, tf.transpose(b));
    expect(Array.from(fast.dataSync())).toEqual(Array.from(ref.dataSync()));
    const fused = tf.fused.matMul({ a: tf.transpose(a), b, transposeA: true, transposeB: true, activation: 'relu' });
    expect(Array.from(fused.dataSync())).toEqual(Array.from(tf.relu(ref).dataSync()));
    tf.dispose([a, b, fast, ref, fused]);
  });
});

describe('conditional VAE', () => {
  it('the negative ELBO decreases over a few Adam steps on a tiny subset', () => {
    const rng = new Rng(1);
    const vae = new CondVae(SMALL, rng);
    const x = tf.tensor2d(data.train.images.subarray(0, 64 * 784), [64, 784]);
    const y = tf.tensor2d(oneHot(data.train.labels.subarray(0, 64)), [64, NUM_CLASSES]);
    const eps = tf.zeros([64, SMALL.zDim]) as tf.Tensor2D;
    const lossNow = () => tf.tidy(() => vae.loss(x, y, eps).loss.dataSync()[0]!);
    const before = lossNow();
    const losses = trainVae(vae, data.train, { epochs: 6, batch: 64, lr: 3e-3 }, rng);
    const after = lossNow();
    expect(after).toBeLessThan(0.85 * before);
    expect(losses[5]!).toBeLessThan(losses[0]!);
    tf.dispose([x, y, eps]);
  });

  it('a training step leaves no tensor behind', () => {
    const rng = new Rng(2);
    const vae = new CondVae(SMALL, rng);
    const opt = new TensorAdam(vae.variables, { lr: 1e-3 });
    trainVae(vae, data.train, { epochs: 1, batch: 100, lr: 1e-3 }, rng, opt); // creates Adam's moments
    const n = tf.memory().numTensors;
    trainVae(vae, data.train, { epochs: 1, batch: 100, lr: 1e-3 }, rng, opt);
    expect(tf.memory().numTensors).toBe(n);
    const clf = new Classifier(784, 16, rng);
    const copt = new TensorAdam(clf.variables, { lr: 1e-3 });
    trainClassifier(clf, data.train, { batch: 50, lr: 1e-3, steps: 1 }, rng, copt);
    const m = tf.memory().numTensors;
    trainClassifier(clf, data.train, { batch: 50, lr: 1e-3, steps: 3 }, rng, copt);
    expect(tf.memory().numTensors).toBe(m);
  });

  it('same seed, same weights and losses', () => {
    const run = () => {
      const rng = new Rng(5);
      const vae = new CondVae(SMALL, rng);
      return trainVae(vae, data.train, { epochs: 1, batch: 100, lr: 1e-3 }, rng);
    };
    expect(run()).toEqual(run());
  });

  it('saves and loads models as safetensors', () => {
    const rng = new Rng(4);
    const vae = new CondVae(SMALL, rng);
    const classifier = new Classifier(784, 8, rng);
    const judge = new Classifier(784, 12, rng);
    const meta = { data: 'x', splitSeed: 0, trainSize: 1, valSize: 1, vae: SMALL, classifierHidden: 8, judgeHidden: 12, classifierAccuracy: 0.5, judgeAccuracy: 0.6, vaeLosses: [1], seconds: {} };
    const dir = mkdtempSync(join(tmpdir(), 'rlhf-digits-ck-'));
    saveModels(dir, { vae, classifier, judge, meta });
    const back = loadModels(dir);
    expect(back.meta).toEqual(meta);
    expect(Array.from(back.judge.params['fc1.weight']!.dataSync())).toEqual(Array.from(judge.params['fc1.weight']!.dataSync()));
    expect(Array.from(back.vae.params['dec_out.bias']!.dataSync())).toEqual(Array.from(vae.params['dec_out.bias']!.dataSync()));
    expect(() => loadModels(join(dir, 'missing'))).toThrow(/rlhf pretrain digits/);
  });
});

describe('latent policy', () => {
  it('REINFORCE moves probability toward the rewarded option and its code toward rewarded latents', () => {
    const cfg = resolveLatentPolicyConfig({ options: 4, sigma: 0.5, lrLogits: 0.5, lrCodes: 0.3 });
    const p = new LatentPolicy(cfg, 3);
    const rng = new Rng(11);
    p.codes.set(rng.normalArray(p.codes.length));
    const before = p.probs(2)[1]!;
    const code0 = Array.from(p.code(2, 1));
    // the person likes option 1 of class 2, and only when z[0] is large
    let last = 0;
    for (let t = 0; t < 300; t++) {
      const a = p.sample(2, rng);
      const r = a.option === 1 && a.z[0]! > code0[0]! ? 1 : 0;
      p.update(a, r);
      last = p.probs(2)[1]!;
    }
    expect(before).toBeCloseTo(0.25, 6);
    expect(last).toBeGreaterThan(0.6);
    expect(p.code(2, 1)[0]!).toBeGreaterThan(code0[0]! + 0.2); // the code moved toward rewarded z
    expect(p.probs(5)[0]).toBeCloseTo(0.25, 6); // other classes untouched
  });

  it('one 👍 raises the chosen option, one 👎 lowers it (sign of r − b)', () => {
    const cfg = resolveLatentPolicyConfig({ options: 3, baselineInit: 0.5 });
    const p = new LatentPolicy(cfg, 2);
    const a = { cls: 0, option: 2, z: new Float32Array([1, 1]), prob: 1 / 3 };
    expect(p.update(a, 1)).toBeCloseTo(0.5, 6); // A = 1 − 0.5
    expect(p.probs(0)[2]!).toBeGreaterThan(1 / 3);
    expect(Array.from(p.code(0, 2))).toEqual([0.25, 0.25]); // μ += 0.5 · 0.5 · (z − μ)
    const q = new LatentPolicy(cfg, 2);
    q.update({ ...a, cls: 1 }, 0);
    expect(q.probs(1)[2]!).toBeLessThan(1 / 3);
    expect(q.baseline[1]).toBeCloseTo(0.45, 6); // b ← 0.9 · 0.5 + 0.1 · 0
  });

  it('encoder init puts each code at a posterior mean of a real example of its class', () => {
    const rng = new Rng(3);
    const vae = new CondVae(SMALL, rng);
    const p = LatentPolicy.create(resolveLatentPolicyConfig({ options: 2 }), vae, data.train, new Rng(9));
    const q = LatentPolicy.create(resolveLatentPolicyConfig({ options: 2 }), vae, data.train, new Rng(9));
    expect(Array.from(p.codes)).toEqual(Array.from(q.codes));
    expect(p.codes.some((v) => v !== 0)).toBe(true);
    expect(() => resolveLatentPolicyConfig({ sigma: -1 })).toThrow(/policy.sigma/);
  });
});

describe('classifier corrections', () => {
  it('a correction raises that label’s probability; a rejection lowers the rejected class; no tensor leak', () => {
    const rng = new Rng(21);
    const clf = new Classifier(784, 16, rng);
    const learner = new CorrectionLearner(clf, data.test, data.train, resolveCorrectionsConfig({ lr: 1e-2, replayWarm: 4, replayFeedback: 2 }));
    const i = 7;
    const before = learner.probs(i);
    const wrong = (data.test.labels[i]! + 3) % 10;
    learner.apply(i, { predicted: wrong, correct: false, label: data.test.labels[i]! }, rng); // creates Adam's moments
    const n = tf.memory().numTensors;
    for (let k = 0; k < 4; k++) learner.apply(i, { predicted: wrong, correct: false, label: data.test.labels[i]! }, rng);
    expect(tf.memory().numTensors).toBe(n);
    const after = learner.probs(i);
    expect(after[data.test.labels[i]!]!).toBeGreaterThan(before[data.test.labels[i]!]! + 0.05);
    // "incorrect" without a label: lowers p(predicted)
    const j = 8;
    const pj = learner.probs(j);
    const pred = pj.indexOf(Math.max(...pj));
    for (let k = 0; k < 3; k++) learner.apply(j, { predicted: pred, correct: false }, rng);
    expect(learner.probs(j)[pred]!).toBeLessThan(pj[pred]!);
    expect(learner.answers.map((a) => a.kind)).toEqual(['label', 'label', 'label', 'label', 'label', 'not', 'not', 'not']);
    expect(() => learner.apply(j, { predicted: 1, correct: false, label: 10 }, rng)).toThrow(/label must be a class 0..9/);
  });
});

describe('bernoulliNll', () => {
  it('has the value Σ softplus(l) − x·l and the gradient σ(l) − x, also without the value', () => {
    const l = tf.tensor2d([[-2, 0.5, 3]]);
    const x = tf.tensor2d([[0, 1, 0.25]]);
    const sp = (v: number) => Math.log1p(Math.exp(v));
    expect(bernoulliNll(l, x).dataSync()[0]!).toBeCloseTo(sp(-2) + sp(0.5) - 0.5 + sp(3) - 0.75, 5);
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    for (const exact of [true, false]) {
      const g = tf.grad((t: tf.Tensor) => bernoulliNll(t as tf.Tensor2D, x, exact).mul(2))(l).dataSync();
      expect(Array.from(g).map((v) => +v.toFixed(5))).toEqual([2 * sig(-2), 2 * (sig(0.5) - 1), 2 * (sig(3) - 0.25)].map((v) => +v.toFixed(5)));
    }
    expect(Number.isNaN(bernoulliNll(l, x, false).dataSync()[0]!)).toBe(true);
    tf.dispose([l, x]);
  });
});
