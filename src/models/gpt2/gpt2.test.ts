import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initTensors } from '../../core/tensor.js';
import { Rng } from '../../core/rng.js';
import { readSafetensors } from '../../core/safetensors.js';
import { resolveGpt2Config, type Gpt2Config } from './config.js';
import { Gpt2 } from './model.js';
import { embeddingLookup, geluNew, layerNorm } from '../layers.js';
import { loadGpt2, saveGpt2, saveTrainable, loadTrainable } from '../load.js';
import { generate } from '../generate.js';
import { tokenLogProbs, scoreResponses } from '../logprobs.js';

const FIXTURE = join(import.meta.dirname, '../../../test/fixtures/gpt2');
const TINY: Gpt2Config = resolveGpt2Config({ vocab_size: 50, n_positions: 24, n_embd: 32, n_layer: 2, n_head: 4 });

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function logitsOf(model: Gpt2, ids: number[][], mask?: number[][], adapters?: boolean): Float32Array {
  return tf.tidy(() => {
    const i = tf.tensor2d(ids, undefined, 'int32');
    const m = mask ? tf.tensor2d(mask, undefined, 'int32') : undefined;
    return model.forward(i, m, { adapters }).logits.dataSync() as Float32Array;
  });
}

beforeAll(async () => {
  await initTensors('wasm');
});

describe('GPT-2 against the PyTorch reference (test/fixtures/gpt2)', () => {
  it('loads an HF-named checkpoint (transformer. prefix, lm_head, attn.bias buffers) and matches logits within 1e-4', () => {
    const model = loadGpt2(FIXTURE);
    const exp = readSafetensors(join(FIXTURE, 'expected.safetensors')).tensors;
    const ids = exp.get('input_ids')!;
    const mask = exp.get('attention_mask')!;
    const want = exp.get('logits')!.data;
    const [B, T] = ids.shape as [number, number];
    const V = model.config.vocab_size;
    const got = tf.tidy(() =>
      model.forward(tf.tensor2d(ids.data as Int32Array, [B, T], 'int32'), tf.tensor2d(mask.data as Int32Array, [B, T], 'int32')).logits.dataSync(),
    );
    let worst = 0;
    let compared = 0;
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) {
        if (!mask.data[b * T + t]) continue; // padding positions have no defined output
        for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(got[(b * T + t) * V + v]! - want[(b * T + t) * V + v]!));
        compared++;
      }
    expect(compared).toBe(B * T - 4);
    expect(worst).toBeLessThan(1e-4);
    model.dispose();
  });
});

describe('GPT-2 model', () => {
  it('saves and reloads safetensors with Hugging Face names, giving identical logits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt2-'));
    try {
      const model = Gpt2.random(TINY, new Rng(1));
      model.addValueHead(new Rng(2));
      saveGpt2(dir, model);
      const names = [...readSafetensors(join(dir, 'model.safetensors')).tensors.keys()];
      expect(names).toContain('wte.weight');
      expect(names).toContain('h.1.attn.c_attn.weight');
      expect(names).toContain('h.0.mlp.c_proj.bias');
      expect(names).toContain('ln_f.weight');
      expect(readSafetensors(join(dir, 'model.safetensors')).tensors.get('h.0.attn.c_attn.weight')!.shape).toEqual([32, 96]); // Conv1D [in, out]
      const back = loadGpt2(dir);
      const ids = [[1, 5, 9, 3, 7]];
      expect(maxAbsDiff(logitsOf(model, ids), logitsOf(back, ids))).toBe(0);
      expect(back.valueHead).not.toBeNull();
      model.dispose();
      back.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives a left-padded row the same logits as the unpadded row', () => {
    const model = Gpt2.random(TINY, new Rng(3));
    const plain = logitsOf(model, [[4, 8, 15, 16]]);
    const padded = logitsOf(model, [[0, 0, 4, 8, 15, 16]], [[0, 0, 1, 1, 1, 1]]);
    expect(maxAbsDiff(plain, padded.subarray(2 * TINY.vocab_size))).toBeLessThan(1e-5);
    model.dispose();
  });

  it('rejects a sequence longer than the context and ids outside the vocabulary', () => {
    const model = Gpt2.random(TINY, new Rng(3));
    expect(() => logitsOf(model, [Array.from({ length: 25 }, () => 1)])).toThrow(/length 25.*only 24/);
    expect(() => logitsOf(model, [[1, 50]])).toThrow(/token id 50 is outside the vocabulary \[0, 50\)/);
    model.dispose();
  });

  it('generates with a KV cache exactly what full recomputation gives (logits within 1e-4)', () => {
    const model = Gpt2.random(TINY, new Rng(4));
    const prompts = [[3, 1, 4], [1, 5, 9, 2, 6], [5]];
    const g = generate(model, prompts, { maxNewTokens: 6, returnLogits: true, stopAtEos: false }, new Rng(5));
    expect(g.newTokens).toBe(6);
    const L = g.promptLength + g.newTokens;
    const V = TINY.vocab_size;
    const full = tf.tidy(() => {
      const ids = tf.tensor2d(g.sequences, [g.batch, L], 'int32');
      const mask = tf.tensor2d(g.attentionMask, [g.batch, L], 'int32');
      return model.forward(ids, mask).logits.dataSync() as Float32Array;
    });
    let worst = 0;
    for (let t = 0; t < g.newTokens; t++)
      for (let b = 0; b < g.batch; b++) {
        const pos = g.promptLength - 1 + t; // the logits at this position predicted response token t
        worst = Math.max(worst, maxAbsDiff(g.stepLogits![t]!.subarray(b * V, (b + 1) * V), full.subarray((b * L + pos) * V, (b * L + pos + 1) * V)));
      }
    expect(worst).toBeLessThan(1e-4);
    // same seed, same samples
    const again = generate(model, prompts, { maxNewTokens: 6, stopAtEos: false }, new Rng(5));
    expect(again.responses).toEqual(g.responses);
    model.dispose();
  });

  it('stops a row at EOS and pads after it', () => {
    const model = Gpt2.random(TINY, new Rng(6));
    // make EOS the only likely token after the first step by sampling greedily with eos = the argmax token
    const first = generate(model, [[1, 2]], { maxNewTokens: 1, greedy: true }, new Rng(0)).responses[0]![0]!;
    const g = generate(model, [[1, 2], [1, 2]], { maxNewTokens: 4, greedy: true, eosId: first, padId: 0 }, new Rng(0));
    expect(g.newTokens).toBe(1); // both rows finished at once
    expect(g.responses).toEqual([[first], [first]]);
    model.dispose();
  });

  it('top-k = 1 equals greedy decoding', () => {
    const model = Gpt2.random(TINY, new Rng(7));
    const a = generate(model, [[1, 2, 3]], { maxNewTokens: 5, topK: 1, stopAtEos: false }, new Rng(1));
    const b = generate(model, [[1, 2, 3]], { maxNewTokens: 5, greedy: true, stopAtEos: false }, new Rng(2));
    expect(a.responses).toEqual(b.responses);
    model.dispose();
  });
});

describe('LoRA and value head', () => {
  it('with B = 0 the adapted model equals the base; adapters off is the base after B moves', () => {
    const model = Gpt2.random(TINY, new Rng(8));
    const ids = [[2, 7, 1, 8, 2, 8]];
    const base = logitsOf(model, ids);
    model.addLora({ r: 4, alpha: 8, targetModules: ['c_attn', 'c_proj', 'c_fc'] }, new Rng(9));
    expect(model.lora!.pairs.size).toBe(TINY.n_layer * 4);
    expect(maxAbsDiff(base, logitsOf(model, ids, undefined, true))).toBe(0);
    for (const p of model.lora!.pairs.values()) p.B.assign(tf.tidy(() => tf.fill(p.B.shape, 0.05)));
    expect(maxAbsDiff(base, logitsOf(model, ids, undefined, true))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(base, logitsOf(model, ids, undefined, false))).toBe(0);
    model.dispose();
  });

  it('saves and reloads adapters and value head (PEFT / TRL names)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lora-'));
    try {
      const model = Gpt2.random(TINY, new Rng(10));
      model.addLora({ r: 2, targetModules: ['attn.c_proj'] }, new Rng(11));
      model.addValueHead(new Rng(12));
      for (const p of model.lora!.pairs.values()) p.B.assign(tf.tidy(() => tf.randomNormal(p.B.shape, 0, 0.1, 'float32', 3)));
      saveTrainable(dir, model);
      const names = [...readSafetensors(join(dir, 'adapter_model.safetensors')).tensors.keys()];
      expect(names).toContain('base_model.model.transformer.h.0.attn.c_proj.lora_A.weight');
      const other = Gpt2.random(TINY, new Rng(10));
      loadTrainable(dir, other);
      const ids = [[3, 3, 4]];
      expect(maxAbsDiff(logitsOf(model, ids), logitsOf(other, ids))).toBe(0);
      const v = (m: Gpt2): Float32Array => tf.tidy(() => m.forward(tf.tensor2d(ids, undefined, 'int32')).values!.dataSync() as Float32Array);
      expect(maxAbsDiff(v(model), v(other))).toBe(0);
      model.dispose();
      other.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a LoRA training step changes only adapters and value head, and leaks no tensors', () => {
    const model = Gpt2.random(TINY, new Rng(13));
    model.addLora({ r: 4, dropout: 0.1 }, new Rng(14));
    model.addValueHead(new Rng(15));
    const vars = model.trainableVariables('lora');
    const opt = tf.train.adam(1e-2);
    const rng = new Rng(16);
    const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]], undefined, 'int32');
    const wteBefore = model.params.get('wte.weight')!.dataSync().slice();
    const lossFn = (): tf.Scalar => {
      const out = model.forward(ids, undefined, { training: true, rng });
      const targets = tf.slice(ids, [0, 1], [2, 5]) as tf.Tensor2D;
      const lp = tokenLogProbs(tf.slice(out.logits, [0, 0, 0], [2, 5, TINY.vocab_size]) as tf.Tensor3D, targets);
      return tf.add(tf.neg(tf.mean(lp)), tf.mean(tf.square(out.values!))) as tf.Scalar;
    };
    const step = (): number => {
      const cost = opt.minimize(lossFn, true, vars)!;
      const c = cost.dataSync()[0]!;
      cost.dispose();
      return c;
    };
    const first = step(); // creates Adam's slots
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 5; i++) last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first);
    expect(maxAbsDiff(wteBefore, model.params.get('wte.weight')!.dataSync())).toBe(0);
    opt.dispose();
    ids.dispose();
    model.dispose();
  });

  it('full fine-tuning trains the embeddings through gather on wasm (UnsortedSegmentSum) without leaks', () => {
    const model = Gpt2.random(TINY, new Rng(17));
    const vars = model.trainableVariables('full');
    const opt = tf.train.adam(1e-2);
    const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7]], undefined, 'int32');
    const wteBefore = model.params.get('wte.weight')!.dataSync().slice();
    const lossFn = (): tf.Scalar =>
      tf.tidy(() => {
        const out = model.forward(ids);
        const lp = tokenLogProbs(tf.slice(out.logits, [0, 0, 0], [1, 6, TINY.vocab_size]) as tf.Tensor3D, tf.slice(ids, [0, 1], [1, 6]) as tf.Tensor2D);
        return tf.neg(tf.mean(lp)) as tf.Scalar;
      });
    opt.minimize(lossFn, false, vars);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) opt.minimize(lossFn, false, vars);
    expect(tf.memory().numTensors).toBe(before);
    const wte = model.params.get('wte.weight')!.dataSync();
    // rows of tokens in the input moved; a token never seen (49) moved only through the tied head
    expect(maxAbsDiff(wteBefore.subarray(32, 64), wte.subarray(32, 64))).toBeGreaterThan(1e-4);
    opt.dispose();
    ids.dispose();
    model.dispose();
  });
});

describe('log-probabilities', () => {
  it('tokenLogProbs equals log softmax picked by hand', () => {
    const logits = tf.tensor3d([[[1, 2, 3], [0, 0, 0]], [[-1, 5, 2], [3, 1, 0]]]);
    const tokens = tf.tensor2d([[2, 0], [1, 2]], undefined, 'int32');
    const got = tokenLogProbs(logits, tokens).dataSync();
    const ls = (z: number[], k: number): number => z[k]! - Math.log(z.reduce((a, x) => a + Math.exp(x), 0));
    const want = [ls([1, 2, 3], 2), ls([0, 0, 0], 0), ls([-1, 5, 2], 1), ls([3, 1, 0], 2)];
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-6);
    logits.dispose();
    tokens.dispose();
  });

  it('tokenLogProbs and embeddingLookup have exact gradients (onehot − softmax; scatter-add of rows)', () => {
    const z = tf.tensor3d([[[1, 2, 3], [0.5, -1, 0]]]);
    const y = tf.tensor2d([[2, 0]], undefined, 'int32');
    const g = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(tokenLogProbs(l as tf.Tensor3D, y), tf.tensor2d([[1, 2]]))))(z).dataSync();
    const sm = (r: number[]): number[] => r.map((v) => Math.exp(v) / r.reduce((a, x) => a + Math.exp(x), 0));
    const want = [...sm([1, 2, 3]).map((p, k) => (k === 2 ? 1 : 0) - p), ...sm([0.5, -1, 0]).map((p, k) => 2 * ((k === 0 ? 1 : 0) - p))];
    expect(maxAbsDiff(g, want)).toBeLessThan(1e-6);
    const table = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const ids = tf.tensor1d([2, 0, 2], 'int32');
    const ge = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t as tf.Tensor2D, ids), tf.tensor2d([[1, 10], [100, 1000], [2, 20]]))))(table).dataSync();
    expect(Array.from(ge)).toEqual([100, 1000, 0, 0, 3, 30]);
    tf.dispose([z, y, table, ids]);
  });

  it('geluNew and layerNorm gradients equal autograd of their formulas', () => {
    const rng = new Rng(40);
    const x = tf.tensor2d(rng.normalArray(6 * 8, 2), [6, 8]);
    const gam = tf.tensor1d(rng.normalArray(8, 1, 1));
    const bet = tf.tensor1d(rng.normalArray(8));
    const w = tf.tensor2d(rng.normalArray(6 * 8), [6, 8]); // a random upstream gradient
    const plainGelu = (v: tf.Tensor): tf.Tensor => tf.mul(tf.mul(v, 0.5), tf.add(tf.tanh(tf.mul(tf.add(v, tf.mul(tf.pow(v, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1));
    const plainLn = (v: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => {
      const m = tf.moments(v, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(v, m.mean), tf.sqrt(tf.add(m.variance, 1e-5))), g), b);
    };
    const ours = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(geluNew(v), w)))(x).dataSync();
    const ref = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(plainGelu(v), w)))(x).dataSync();
    expect(maxAbsDiff(ours, ref)).toBeLessThan(1e-5);
    expect(maxAbsDiff(geluNew(x).dataSync(), plainGelu(x).dataSync())).toBeLessThan(1e-6);
    const gOurs = tf.grads((v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layerNorm(v as tf.Tensor2D, g, b, 1e-5), w)))([x, gam, bet]);
    const gRef = tf.grads((v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(plainLn(v, g, b), w)))([x, gam, bet]);
    for (let i = 0; i < 3; i++) expect(maxAbsDiff(gOurs[i]!.dataSync(), gRef[i]!.dataSync())).toBeLessThan(1e-4);
    expect(maxAbsDiff(layerNorm(x, gam, bet, 1e-5).dataSync(), plainLn(x, gam, bet).dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, gam, bet, w, ...gOurs, ...gRef]);
  });

  it('scoreResponses picks the response tokens, and equals the reference when adapters are fresh', () => {
    const model = Gpt2.random(TINY, new Rng(18));
    model.addValueHead(new Rng(19));
    const g = generate(model, [[1, 2, 3], [4, 5]], { maxNewTokens: 4, stopAtEos: false }, new Rng(20));
    const L = g.promptLength + g.newTokens;
    const ids = tf.tensor2d(g.sequences, [2, L], 'int32');
    const mask = tf.tensor2d(g.attentionMask, [2, L], 'int32');
    const s = scoreResponses(model, ids, mask, g.newTokens);
    expect(s.logprobs.shape).toEqual([2, 4]);
    expect(s.values!.shape).toEqual([2, 4]);
    // the same numbers from a full forward
    const full = tf.tidy(() => {
      const out = model.forward(ids, mask);
      const lg = tf.slice(out.logits, [0, g.promptLength - 1, 0], [2, 4, TINY.vocab_size]) as tf.Tensor3D;
      return tokenLogProbs(lg, tf.slice(ids, [0, g.promptLength], [2, 4]) as tf.Tensor2D).dataSync();
    });
    expect(maxAbsDiff(s.logprobs.dataSync(), full)).toBeLessThan(1e-5);
    model.addLora({ r: 2 }, new Rng(21));
    const ref = scoreResponses(model, ids, mask, g.newTokens, { adapters: false });
    const pol = scoreResponses(model, ids, mask, g.newTokens, { adapters: true });
    expect(maxAbsDiff(ref.logprobs.dataSync(), pol.logprobs.dataSync())).toBe(0);
    tf.dispose([ids, mask, s.logprobs, s.values!, ref.logprobs, ref.values!, pol.logprobs, pol.values!]);
    model.dispose();
  });
});

describe('value head', () => {
  it('computes h·wᵀ + b on the last hidden state', () => {
    const model = Gpt2.random(TINY, new Rng(30));
    const w = new Rng(31).normalArray(TINY.n_embd);
    model.addValueHead({ weight: w, bias: Float32Array.of(0.75) });
    const ids = tf.tensor2d([[1, 2, 3], [4, 5, 6]], undefined, 'int32');
    const out = model.forward(ids);
    const h = out.hidden.dataSync();
    const v = out.values!.dataSync();
    for (let i = 0; i < 6; i++) {
      let s = 0.75;
      for (let c = 0; c < TINY.n_embd; c++) s += h[i * TINY.n_embd + c]! * w[c]!;
      expect(v[i]).toBeCloseTo(s, 4);
    }
    tf.dispose([ids, out.logits, out.hidden, out.values!]);
    model.dispose();
  });
});
