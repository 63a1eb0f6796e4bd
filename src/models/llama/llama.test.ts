import { describe, it, expect, beforeAll } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initTensors } from '../../core/tensor.js';
import { Rng } from '../../core/rng.js';
import { readSafetensors } from '../../core/safetensors.js';
import { ConfigError, DataError } from '../../core/errors.js';
import { generate } from '../generate.js';
import { tokenLogProbs } from '../logprobs.js';
import { loadCausalLm, loadLlama, loadTokenizer, readCheckpointTensors, saveLlama, saveTokenizer } from '../load.js';
import { HfTokenizer } from '../tokenizers/hf.js';
import { type LlamaConfig, llamaConfigFromJson, resolveLlamaConfig } from './config.js';
import { applyRope, rmsNorm, ropeInvFreq, siluGate } from './layers.js';
import { Llama } from './model.js';

const FIXTURE = join(import.meta.dirname, '../../../test/fixtures/llama');
const EXPECTED = readSafetensors(join(FIXTURE, 'expected.safetensors')).tensors;
const EXPECTED_JSON = JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as {
  tokenizer_cases: { text: string; ids: number[] }[];
  cli: { prompt: string; ids: number[]; greedy: number[] };
  chat: { messages: { role: string; content: string }[]; rendered: string; ids: number[]; greedy: number[] };
};
const TINY: LlamaConfig = resolveLlamaConfig({
  vocab_size: 40,
  hidden_size: 32,
  intermediate_size: 48,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 32,
  initializer_range: 0.2,
  bos_token_id: 0,
  eos_token_id: 1,
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function ints(name: string): number[] {
  return Array.from(EXPECTED.get(name)!.data);
}

function logitsOf(model: Llama, ids: number[][] | { data: Int32Array; shape: number[] }, mask?: number[][] | { data: Int32Array; shape: number[] }, adapters?: boolean): Float32Array {
  return tf.tidy(() => {
    const t = (x: number[][] | { data: Int32Array; shape: number[] }): tf.Tensor2D =>
      Array.isArray(x) ? tf.tensor2d(x, undefined, 'int32') : tf.tensor2d(x.data, x.shape as [number, number], 'int32');
    return model.forward(t(ids), mask ? t(mask) : undefined, { adapters }).logits.dataSync() as Float32Array;
  });
}

/** max |Δ| over the non-padding positions of a [B, T, V] logits pair */
function worstOverTokens(got: Float32Array, want: ArrayLike<number>, mask: ArrayLike<number>, V: number): { worst: number; compared: number } {
  let worst = 0;
  let compared = 0;
  for (let n = 0; n < mask.length; n++) {
    if (!mask[n]) continue; // padding positions have no defined output
    for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(got[n * V + v]! - want[n * V + v]!));
    compared++;
  }
  return { worst, compared };
}

/** Greedy decoding by full recomputation (no cache): the slow path generate's KV cache must agree with. */
function greedyFull(model: Llama, prompt: number[], n: number): number[] {
  const seq = [...prompt];
  for (let i = 0; i < n; i++) {
    const z = logitsOf(model, [seq]);
    const V = model.vocabSize;
    const last = z.subarray((seq.length - 1) * V, seq.length * V);
    let arg = 0;
    for (let v = 1; v < V; v++) if (last[v]! > last[arg]!) arg = v;
    seq.push(arg);
  }
  return seq.slice(prompt.length);
}

beforeAll(async () => {
  await initTensors('wasm');
});

describe('Llama against the PyTorch reference (test/fixtures/llama)', () => {
  it('computes inv_freq as HF does, Llama 3 scaling included (all three frequency bands)', () => {
    const model = loadLlama(FIXTURE);
    expect(model.config.rope_scaling).toMatchObject({ rope_type: 'llama3', factor: 8 });
    const want = EXPECTED.get('inv_freq')!.data;
    for (let i = 0; i < want.length; i++) expect(Math.abs(model.invFreq[i]! - want[i]!) / want[i]!).toBeLessThan(1e-6);
    // the three bands: kept (λ < 16), smoothed (16 ≤ λ ≤ 64), divided by the factor (λ > 64)
    const plain = ropeInvFreq(12, 10000, null);
    expect(model.invFreq[0]).toBe(plain[0]);
    expect(model.invFreq[1]! / plain[1]!).toBeGreaterThan(1 / 8 + 0.1);
    expect(model.invFreq[1]! / plain[1]!).toBeLessThan(0.9);
    expect(model.invFreq[2]! / plain[2]!).toBeCloseTo(1 / 8, 6);
    model.dispose();
  });

  it('loads the HF-named F32 checkpoint (GQA, q/k/v/o biases, untied head) and matches logits within 1e-4', () => {
    const model = loadLlama(FIXTURE);
    expect(model.config).toMatchObject({ num_attention_heads: 4, num_key_value_heads: 2, attention_bias: true, tie_word_embeddings: false, eos_token_id: [2, 0] });
    expect(model.params.has('lm_head.weight')).toBe(true);
    expect(model.params.has('model.layers.1.self_attn.o_proj.bias')).toBe(true);
    const ids = EXPECTED.get('input_ids')!;
    const mask = EXPECTED.get('attention_mask')!;
    const got = logitsOf(model, { data: ids.data as Int32Array, shape: ids.shape }, { data: mask.data as Int32Array, shape: mask.shape });
    const { worst, compared } = worstOverTokens(got, EXPECTED.get('logits')!.data, mask.data, model.vocabSize);
    expect(compared).toBe(3 * 12 - 4);
    expect(worst).toBeLessThan(1e-4);
    model.dispose();
  });

  it('the check can fail: without the Llama 3 rope scaling the logits move by more than 1e-3', () => {
    const exp = EXPECTED.get('logits')!.data;
    const ids = EXPECTED.get('input_ids')!;
    const mask = EXPECTED.get('attention_mask')!;
    const raw = JSON.parse(readFileSync(join(FIXTURE, 'config.json'), 'utf8')) as Record<string, unknown>;
    const { tensors, source } = readCheckpointTensors(FIXTURE);
    const unscaled = Llama.fromCheckpoint(llamaConfigFromJson({ ...raw, rope_scaling: null }, 'config.json'), tensors, source);
    const got = logitsOf(unscaled, { data: ids.data as Int32Array, shape: ids.shape }, { data: mask.data as Int32Array, shape: mask.shape });
    expect(worstOverTokens(got, exp, mask.data, unscaled.vocabSize).worst).toBeGreaterThan(1e-3);
    unscaled.dispose();
  });

  it('loads the half-precision sharded copy (index + 2 shards, BF16 and F16 widened) and matches its logits within 1e-4', () => {
    const dir = join(FIXTURE, 'half-sharded');
    const { tensors, source } = readCheckpointTensors(dir);
    expect(source).toMatch(/model\.safetensors\.index\.json$/);
    expect(tensors.get('model.embed_tokens.weight')!.dtype).toBe('BF16');
    expect(tensors.get('lm_head.weight')!.dtype).toBe('F16');
    const model = loadLlama(dir);
    const ids = EXPECTED.get('input_ids')!;
    const mask = EXPECTED.get('attention_mask')!;
    const got = logitsOf(model, { data: ids.data as Int32Array, shape: ids.shape }, { data: mask.data as Int32Array, shape: mask.shape });
    expect(worstOverTokens(got, EXPECTED.get('logits_half')!.data, mask.data, model.vocabSize).worst).toBeLessThan(1e-4);
    // and the half copy is a different model from the F32 one at this tolerance
    expect(worstOverTokens(got, EXPECTED.get('logits')!.data, mask.data, model.vocabSize).worst).toBeGreaterThan(1e-3);
    model.dispose();
  });

  it('loads Qwen2 (multi-query attention, q/k/v biases without an o_proj bias, tied embeddings) and matches logits', () => {
    const dir = join(FIXTURE, 'qwen2');
    const model = loadLlama(dir);
    expect(model.config).toMatchObject({ model_type: 'qwen2', num_key_value_heads: 1, tie_word_embeddings: true, attention_bias: true });
    expect(model.params.has('model.layers.0.self_attn.q_proj.bias')).toBe(true);
    expect(model.params.has('model.layers.0.self_attn.o_proj.bias')).toBe(false);
    expect(model.params.has('lm_head.weight')).toBe(false);
    const exp = readSafetensors(join(dir, 'expected.safetensors')).tensors;
    const ids = exp.get('input_ids')!;
    const mask = exp.get('attention_mask')!;
    const got = logitsOf(model, { data: ids.data as Int32Array, shape: ids.shape }, { data: mask.data as Int32Array, shape: mask.shape });
    const { worst, compared } = worstOverTokens(got, exp.get('logits')!.data, mask.data, model.vocabSize);
    expect(compared).toBe(16 - 3);
    expect(worst).toBeLessThan(1e-4);
    model.dispose();
  });

  it('greedy continuations are identical to the reference: full recomputation, the KV cache, and a left-padded batch', () => {
    const model = loadLlama(FIXTURE);
    const prompts = [0, 1, 2].map((j) => ints(`gen_prompt_${j}`));
    const want = [0, 1, 2].map((j) => ints(`gen_${j}`));
    expect(new Set(prompts.map((p) => p.length)).size).toBe(3); // three lengths: the batch needs left padding
    for (let j = 0; j < 3; j++) {
      expect(greedyFull(model, prompts[j]!, 10)).toEqual(want[j]);
      const one = generate(model, [prompts[j]!], { maxNewTokens: 10, greedy: true, stopAtEos: false }, new Rng(0));
      expect(one.responses[0]).toEqual(want[j]);
    }
    const batch = generate(model, prompts, { maxNewTokens: 10, greedy: true, stopAtEos: false, padId: 2 }, new Rng(0));
    expect(batch.promptLength).toBe(7);
    expect(batch.responses).toEqual(want);
    model.dispose();
  });
});

describe('Llama model', () => {
  it('generates with a KV cache exactly what full recomputation gives (logits within 1e-4)', () => {
    const model = Llama.random(TINY, new Rng(4));
    const prompts = [[3, 1, 4], [1, 5, 9, 2, 6], [5]];
    const g = generate(model, prompts, { maxNewTokens: 6, returnLogits: true, stopAtEos: false }, new Rng(5));
    const L = g.promptLength + g.newTokens;
    const V = TINY.vocab_size;
    const full = tf.tidy(() => model.forward(tf.tensor2d(g.sequences, [g.batch, L], 'int32'), tf.tensor2d(g.attentionMask, [g.batch, L], 'int32')).logits.dataSync() as Float32Array);
    let worst = 0;
    for (let t = 0; t < g.newTokens; t++)
      for (let b = 0; b < g.batch; b++) {
        const pos = g.promptLength - 1 + t;
        worst = Math.max(worst, maxAbsDiff(g.stepLogits![t]!.subarray(b * V, (b + 1) * V), full.subarray((b * L + pos) * V, (b * L + pos + 1) * V)));
      }
    expect(worst).toBeLessThan(1e-4);
    const again = generate(model, prompts, { maxNewTokens: 6, stopAtEos: false }, new Rng(5));
    expect(again.responses).toEqual(g.responses);
    model.dispose();
  });

  it('gives a left-padded row the same logits as the unpadded row', () => {
    const model = Llama.random(TINY, new Rng(3));
    const plain = logitsOf(model, [[4, 8, 15, 16]]);
    const padded = logitsOf(model, [[1, 1, 4, 8, 15, 16]], [[0, 0, 1, 1, 1, 1]]);
    expect(maxAbsDiff(plain, padded.subarray(2 * TINY.vocab_size))).toBeLessThan(1e-5);
    model.dispose();
  });

  it('rejects a sequence longer than the context and ids outside the vocabulary', () => {
    const model = Llama.random(TINY, new Rng(3));
    expect(() => logitsOf(model, [Array.from({ length: 33 }, () => 1)])).toThrow(/length 33.*only 32/);
    expect(() => logitsOf(model, [[1, 40]])).toThrow(/token id 40 is outside the vocabulary \[0, 40\)/);
    model.dispose();
  });

  it('saves and reloads config.json + safetensors with HF names, giving identical logits and outputs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama-'));
    try {
      const model = Llama.random(TINY, new Rng(1));
      model.addValueHead(new Rng(2));
      saveLlama(dir, model);
      const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      expect(cfg).toMatchObject({ architectures: ['LlamaForCausalLM'], model_type: 'llama', num_key_value_heads: 2, eos_token_id: 1, rope_scaling: null });
      const names = [...readSafetensors(join(dir, 'model.safetensors')).tensors.keys()];
      expect(names).toContain('model.layers.1.mlp.gate_proj.weight');
      expect(names).toContain('lm_head.weight');
      expect(readSafetensors(join(dir, 'model.safetensors')).tensors.get('model.layers.0.self_attn.k_proj.weight')!.shape).toEqual([16, 32]); // nn.Linear [out, in]
      const back = loadLlama(dir);
      expect(back.config).toEqual(model.config);
      const ids = [[1, 5, 9, 3, 7]];
      expect(maxAbsDiff(logitsOf(model, ids), logitsOf(back, ids))).toBe(0);
      expect(back.valueHead).not.toBeNull();
      model.dispose();
      back.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the value head computes h·wᵀ + b on the final hidden state', () => {
    const model = Llama.random(TINY, new Rng(30));
    const w = new Rng(31).normalArray(TINY.hidden_size);
    model.addValueHead({ weight: w, bias: Float32Array.of(0.75) });
    const out = tf.tidy(() => {
      const o = model.forward(tf.tensor2d([[1, 2, 3], [4, 5, 6]], undefined, 'int32'));
      return { h: o.hidden.dataSync(), v: o.values!.dataSync() };
    });
    for (let i = 0; i < 6; i++) {
      let s = 0.75;
      for (let c = 0; c < TINY.hidden_size; c++) s += out.h[i * TINY.hidden_size + c]! * w[c]!;
      expect(out.v[i]).toBeCloseTo(s, 4);
    }
    model.dispose();
  });
});

describe('Llama LoRA', () => {
  it('adapts any projection; B = 0 is the base model; adapters off is the base after B moves', () => {
    const model = Llama.random(TINY, new Rng(8));
    const ids = [[2, 7, 1, 8, 2, 8]];
    const base = logitsOf(model, ids);
    const kinds = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
    model.addLora({ r: 4, alpha: 8, targetModules: kinds }, new Rng(9));
    expect(model.lora!.pairs.size).toBe(TINY.num_hidden_layers * 7);
    expect(model.lora!.get('model.layers.0.self_attn.k_proj')!.B.shape).toEqual([16, 4]); // [out = n_kv·d, r]
    expect(maxAbsDiff(base, logitsOf(model, ids, undefined, true))).toBe(0);
    for (const p of model.lora!.pairs.values()) p.B.assign(tf.tidy(() => tf.fill(p.B.shape, 0.05)));
    expect(maxAbsDiff(base, logitsOf(model, ids, undefined, true))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(base, logitsOf(model, ids, undefined, false))).toBe(0);
    expect(() => model.addLora({ targetModules: ['c_attn'] }, new Rng(3))).toThrow(/matches no Llama module; use q_proj/);
    model.dispose();
  });

  it("writes adapters in PEFT's layout for LlamaForCausalLM and reads them back", () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama-lora-'));
    try {
      const model = Llama.random(TINY, new Rng(10));
      model.addLora({ r: 2, targetModules: ['q_proj', 'v_proj', 'down_proj'] }, new Rng(11));
      model.addValueHead(new Rng(12));
      for (const p of model.lora!.pairs.values()) p.B.assign(tf.tidy(() => tf.randomNormal(p.B.shape, 0, 0.1, 'float32', 3)));
      saveLlama(dir, model);
      const peft = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
      expect(peft).toMatchObject({ peft_type: 'LORA', r: 2, fan_in_fan_out: false, target_modules: ['q_proj', 'v_proj', 'down_proj'] });
      const names = [...readSafetensors(join(dir, 'adapter_model.safetensors')).tensors.keys()];
      expect(names).toContain('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
      expect(names).toContain('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight');
      const back = loadLlama(dir);
      const ids = [[3, 3, 4, 9]];
      expect(maxAbsDiff(logitsOf(model, ids), logitsOf(back, ids))).toBe(0);
      expect(maxAbsDiff(logitsOf(model, ids, undefined, false), logitsOf(back, ids, undefined, false))).toBe(0);
      model.dispose();
      back.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Llama training and tensor hygiene', () => {
  it('rmsNorm and siluGate gradients equal autograd of their formulas; applyRope is a rotation', () => {
    const rng = new Rng(40);
    const x = tf.tensor2d(rng.normalArray(6 * 8, 2), [6, 8]);
    const u = tf.tensor2d(rng.normalArray(6 * 8, 1), [6, 8]);
    const w = tf.tensor1d(rng.normalArray(8, 1, 1));
    const up = tf.tensor2d(rng.normalArray(6 * 8), [6, 8]); // a random upstream gradient
    const plainRms = (v: tf.Tensor, g: tf.Tensor): tf.Tensor => tf.mul(tf.mul(v, tf.rsqrt(tf.add(tf.mean(tf.square(v), -1, true), 1e-5))), g);
    const plainSilu = (g: tf.Tensor, v: tf.Tensor): tf.Tensor => tf.mul(tf.mul(g, tf.sigmoid(g)), v);
    const a = tf.grads((v: tf.Tensor, g: tf.Tensor) => tf.sum(tf.mul(rmsNorm(v as tf.Tensor2D, g, 1e-5), up)))([x, w]);
    const b = tf.grads((v: tf.Tensor, g: tf.Tensor) => tf.sum(tf.mul(plainRms(v, g), up)))([x, w]);
    for (let i = 0; i < 2; i++) expect(maxAbsDiff(a[i]!.dataSync(), b[i]!.dataSync())).toBeLessThan(1e-4);
    expect(maxAbsDiff(rmsNorm(x, w, 1e-5).dataSync(), plainRms(x, w).dataSync())).toBeLessThan(1e-5);
    const c = tf.grads((g: tf.Tensor, v: tf.Tensor) => tf.sum(tf.mul(siluGate(g as tf.Tensor2D, v as tf.Tensor2D), up)))([x, u]);
    const d = tf.grads((g: tf.Tensor, v: tf.Tensor) => tf.sum(tf.mul(plainSilu(g, v), up)))([x, u]);
    for (let i = 0; i < 2; i++) expect(maxAbsDiff(c[i]!.dataSync(), d[i]!.dataSync())).toBeLessThan(1e-4);
    // a rotation keeps each (x_i, x_{i+d/2}) pair's length
    const q = tf.tensor4d(rng.normalArray(2 * 4), [1, 1, 2, 4]);
    const ang = [0.3, 1.1];
    const cos = tf.tensor4d([...ang, ...ang].map(Math.cos), [1, 1, 1, 4]);
    const sin = tf.tensor4d([...ang, ...ang].map(Math.sin), [1, 1, 1, 4]);
    const r = applyRope(q, cos, sin).dataSync();
    const qd = q.dataSync();
    for (let h = 0; h < 2; h++)
      for (let i = 0; i < 2; i++) {
        const o = h * 4;
        expect(Math.hypot(r[o + i]!, r[o + i + 2]!)).toBeCloseTo(Math.hypot(qd[o + i]!, qd[o + i + 2]!), 5);
        expect(r[o + i]).toBeCloseTo(qd[o + i]! * Math.cos(ang[i]!) - qd[o + i + 2]! * Math.sin(ang[i]!), 5);
      }
    tf.dispose([x, u, w, up, ...a, ...b, ...c, ...d, q, cos, sin]);
  });

  it('LoRA and full fine-tuning steps lower the loss and leak no tensors (forward + backward)', () => {
    for (const mode of ['lora', 'full'] as const) {
      const model = Llama.random(TINY, new Rng(13));
      if (mode === 'lora') model.addLora({ r: 4, dropout: 0.1, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] }, new Rng(14));
      model.addValueHead(new Rng(15));
      const vars = model.trainableVariables(mode);
      const opt = tf.train.adam(1e-2);
      const rng = new Rng(16);
      const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]], undefined, 'int32');
      const embBefore = model.params.get('model.embed_tokens.weight')!.dataSync().slice();
      const lossFn = (): tf.Scalar => {
        const out = model.forward(ids, undefined, { training: true, rng });
        const lp = tokenLogProbs(tf.slice(out.logits, [0, 0, 0], [2, 5, TINY.vocab_size]) as tf.Tensor3D, tf.slice(ids, [0, 1], [2, 5]) as tf.Tensor2D);
        return tf.add(tf.neg(tf.mean(lp)), tf.mean(tf.square(out.values!))) as tf.Scalar;
      };
      const step = (): number => {
        const cost = opt.minimize(lossFn, true, vars)!;
        const v = cost.dataSync()[0]!;
        cost.dispose();
        return v;
      };
      const first = step(); // creates Adam's slots
      const before = tf.memory().numTensors;
      let last = first;
      for (let i = 0; i < 5; i++) last = step();
      expect(tf.memory().numTensors).toBe(before);
      expect(last).toBeLessThan(first);
      const moved = maxAbsDiff(embBefore, model.params.get('model.embed_tokens.weight')!.dataSync());
      if (mode === 'lora') expect(moved).toBe(0);
      else expect(moved).toBeGreaterThan(1e-4); // embeddings train through gather on wasm (UnsortedSegmentSum)
      opt.dispose();
      ids.dispose();
      model.dispose();
    }
  });

  it('generate and forward leave tf.memory().numTensors where it was', () => {
    const model = Llama.random(TINY, new Rng(50));
    model.addLora({ r: 2 }, new Rng(51));
    model.addValueHead(new Rng(52));
    generate(model, [[1, 2, 3], [4]], { maxNewTokens: 4 }, new Rng(53)); // warm-up (kernels, caches)
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      generate(model, [[1, 2, 3], [4]], { maxNewTokens: 5, topK: 5, topP: 0.9, temperature: 0.7 }, new Rng(54 + i));
      generate(model, [[7, 7]], { maxNewTokens: 3, greedy: true, adapters: false }, new Rng(0));
      tf.tidy(() => {
        model.forward(tf.tensor2d([[1, 2, 3]], undefined, 'int32')); // (a tidy returning the outputs would keep them)
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('Llama config', () => {
  it('reads HF fields, fills the family defaults and refuses what it does not implement', () => {
    const c = resolveLlamaConfig({ hidden_size: 64, num_attention_heads: 8 });
    expect(c).toMatchObject({ num_key_value_heads: 8, head_dim: 8, rope_theta: 10000, tie_word_embeddings: false, eos_token_id: [2], bos_token_id: 1 });
    const q = resolveLlamaConfig({ model_type: 'qwen2', hidden_size: 64, num_attention_heads: 8, num_key_value_heads: 2, eos_token_id: 5 });
    expect(q).toMatchObject({ attention_bias: true, mlp_bias: false, eos_token_id: [5], vocab_size: 151936 });
    // newer transformers nest rope_theta and the scaling in rope_parameters
    const n = resolveLlamaConfig({ hidden_size: 64, num_attention_heads: 8, rope_parameters: { rope_type: 'llama3', rope_theta: 500000, factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } });
    expect(n.rope_theta).toBe(500000);
    expect(n.rope_scaling).toMatchObject({ rope_type: 'llama3', factor: 32 });
    expect(resolveLlamaConfig({ rope_scaling: { type: 'linear', factor: 2 } }).rope_scaling).toEqual({ rope_type: 'linear', factor: 2 });
    expect(() => resolveLlamaConfig({ num_attention_heads: 8, num_key_value_heads: 3 })).toThrow(ConfigError);
    expect(() => resolveLlamaConfig({ num_attention_heads: 8, num_key_value_heads: 3 })).toThrow(/must be a multiple of num_key_value_heads \(3\)/);
    expect(() => resolveLlamaConfig({ rope_scaling: { rope_type: 'yarn', factor: 4 } })).toThrow(/rope_scaling type "yarn" is not supported/);
    expect(() => resolveLlamaConfig({ hidden_act: 'gelu' })).toThrow(/hidden_act must be "silu"/);
    expect(() => resolveLlamaConfig({ model_type: 'qwen2', use_sliding_window: true })).toThrow(/sliding-window/);
    expect(() => resolveLlamaConfig({ vocab_size: 10, eos_token_id: [1, 10] })).toThrow(/eos_token_id\[1\] must be an integer in \[0, vocab_size=10\)/);
    expect(() => llamaConfigFromJson({ model_type: 'gpt2' }, 'x/config.json')).toThrow(DataError);
  });

  it('loadCausalLm tells GPT-2 from Llama by config.json and names what it cannot load', () => {
    const llama = loadCausalLm(FIXTURE);
    expect(llama.architecture).toBe('llama');
    expect(llama.tokenizer.type).toBe('hf');
    llama.model.dispose();
    const gpt2 = loadCausalLm(join(import.meta.dirname, '../../../models/fortunes-tiny'));
    expect(gpt2.architecture).toBe('gpt2');
    expect(gpt2.tokenizer.type).toBe('byte-bpe');
    gpt2.model.dispose();
    const dir = mkdtempSync(join(tmpdir(), 'llama-bad-'));
    try {
      expect(() => loadCausalLm(dir)).toThrow(/no config\.json/);
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'mamba' }));
      expect(() => loadCausalLm(dir)).toThrow(/model_type "mamba".*not supported; rlhfkit loads gpt2, llama and qwen2/);
      copyFileSync(join(FIXTURE, 'config.json'), join(dir, 'config.json'));
      expect(() => loadCausalLm(dir)).toThrow(/no model\.safetensors or model\.safetensors\.index\.json/);
      // a shard the index names but the directory lacks
      writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'model.norm.weight': 'model-00001-of-00001.safetensors' } }));
      expect(() => loadCausalLm(dir)).toThrow(/shard model-00001-of-00001\.safetensors is missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Hugging Face tokenizer and chat template (@huggingface/tokenizers, @huggingface/jinja)', () => {
  const tok = (): HfTokenizer => loadTokenizer(FIXTURE, 320) as HfTokenizer;

  it('encodes as the reference script does, round-trips text, and adds BOS only when asked', () => {
    const t = tok();
    expect(t).toBeInstanceOf(HfTokenizer);
    expect(t.vocabSize).toBe(320);
    expect(t.eosId).toBe(2); // tokenizer_config.json eos_token "<|im_end|>"
    expect(t.bosId).toBe(0);
    for (const c of EXPECTED_JSON.tokenizer_cases) {
      expect(t.encode(c.text), c.text).toEqual(c.ids);
      expect(t.decode(t.encode(c.text))).toBe(c.text);
    }
    expect(t.encode(EXPECTED_JSON.cli.prompt, { addSpecialTokens: true })).toEqual(EXPECTED_JSON.cli.ids);
    expect(t.decode([...t.encode('hi there'), 2], { skipSpecialTokens: true })).toBe('hi there');
    expect(t.decode([])).toBe('');
  });

  it('renders the chat template with Jinja as transformers does, and encodes it without extra specials', () => {
    const t = tok();
    const { text, ids } = t.applyChatTemplate(EXPECTED_JSON.chat.messages);
    expect(text).toBe(EXPECTED_JSON.chat.rendered);
    expect(ids).toEqual(EXPECTED_JSON.chat.ids);
    expect(t.applyChatTemplate(EXPECTED_JSON.chat.messages, { addGenerationPrompt: false }).text.endsWith('<|im_start|>assistant\n')).toBe(false);
  });

  it('saves tokenizer.json with its tokenizer_config.json and loads the same tokenizer back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-tok-'));
    try {
      saveTokenizer(dir, tok());
      expect(existsSync(join(dir, 'tokenizer_config.json'))).toBe(true);
      const back = loadTokenizer(dir, 320) as HfTokenizer;
      for (const c of EXPECTED_JSON.tokenizer_cases) expect(back.encode(c.text)).toEqual(c.ids);
      expect(back.chatTemplate).toBe(tok().chatTemplate);
      expect(() => loadTokenizer(dir, 300)).toThrow(/the tokenizer has 320 ids but the model's vocab_size is only 300/);
      // a padded embedding (more rows than the tokenizer's ids, as Qwen2.5) is fine
      const padded = loadTokenizer(dir, 384);
      expect(padded.vocabSize).toBe(320);
      expect(padded.decode([279, 350, 286])).toBe('hello world'); // an id past the tokenizer's decodes to nothing, as in transformers
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
