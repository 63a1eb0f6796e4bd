// The contract of src/models: shared by domains, reward models and the browser, so it imports no domain, CLI or
// server code, and only load.ts touches the disk; a model, its adapters and its tokenizer build from bytes.
import { describe, it, expect, beforeAll } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tf, initTensors } from '../core/tensor.js';
import { Rng } from '../core/rng.js';
import { parseSafetensors } from '../core/safetensors.js';
import { gpt2ConfigFromJson, resolveGpt2Config } from './gpt2/config.js';
import { Gpt2 } from './gpt2/model.js';
import { loadGpt2 } from './load.js';
import { LoraAdapters } from './lora.js';
import { tokenizerFromModelJson } from './tokenizers/json.js';

const HERE = import.meta.dirname;
const FIXTURE = join(HERE, '../../test/fixtures/gpt2');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
}

beforeAll(async () => {
  await initTensors('wasm');
});

describe('src/models', () => {
  it('imports no domain, CLI or server module, and only load.ts imports node: modules', () => {
    const files = sources(HERE);
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const name = relative(HERE, f);
      for (const spec of imports(f)) {
        expect(spec, `${name} imports ${spec}`).not.toMatch(/\/(domains|cli|server)\//);
        // index.ts re-exports load.ts for Node users; browser code imports the modules it needs
        if (name !== 'load.ts') expect(spec, `${name} imports ${spec}`).not.toMatch(/^node:/);
      }
    }
    expect(imports(join(HERE, 'load.ts'))).toContain('node:fs');
  });

  it('builds a GPT-2 from the bytes of config.json and model.safetensors, as loadGpt2 does from the directory', () => {
    const config = gpt2ConfigFromJson(JSON.parse(new TextDecoder().decode(readFileSync(join(FIXTURE, 'config.json')))), 'config.json');
    const fromBytes = Gpt2.fromCheckpoint(config, parseSafetensors(readFileSync(join(FIXTURE, 'model.safetensors')), 'model.safetensors').tensors, 'model.safetensors');
    const fromDir = loadGpt2(FIXTURE);
    const ids = [[1, 5, 9, 3, 7]];
    const logits = (m: Gpt2): Float32Array => tf.tidy(() => m.forward(tf.tensor2d(ids, undefined, 'int32')).logits.dataSync() as Float32Array);
    expect(Array.from(logits(fromBytes))).toEqual(Array.from(logits(fromDir)));
    fromBytes.dispose();
    fromDir.dispose();
  });

  it('round-trips LoRA adapters through PEFT JSON and tensors without files', () => {
    const model = Gpt2.random(resolveGpt2Config({ vocab_size: 40, n_positions: 16, n_embd: 16, n_layer: 2, n_head: 2 }), new Rng(1));
    const lora = model.addLora({ r: 2, targetModules: ['c_attn', 'mlp.c_proj'] }, new Rng(2));
    for (const p of lora.pairs.values()) p.B.assign(tf.tidy(() => tf.randomNormal(p.B.shape, 0, 0.1, 'float32', 3)));
    const peft = lora.toPeft();
    expect(peft.config).toMatchObject({ peft_type: 'LORA', r: 2, target_modules: ['c_attn', 'mlp.c_proj'], fan_in_fan_out: true });
    expect(Object.keys(peft.tensors)).toContain('base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight');
    const tensors = new Map(Object.entries(peft.tensors).map(([k, t]) => [k, { dtype: 'F32' as const, shape: t.shape, data: t.data }]));
    const back = LoraAdapters.fromPeft(JSON.parse(JSON.stringify(peft.config)), tensors, model.loraSites(), { config: 'adapter_config.json', weights: 'adapter_model.safetensors' });
    expect([...back.pairs.keys()]).toEqual([...lora.pairs.keys()]);
    for (const [name, p] of lora.pairs) expect(Array.from(back.get(name)!.B.dataSync())).toEqual(Array.from(p.B.dataSync()));
    expect(() => model.addLora({ targetModules: ['q_proj'] }, new Rng(3))).toThrow(/matches no GPT-2 module; use c_attn/);
    back.dispose();
    model.dispose();
  });

  it("chooses a tokenizer from a tokenizer.json's contents", () => {
    expect(tokenizerFromModelJson({ format: 'rlhfkit-tokenizer', version: 1, type: 'byte-bpe', merges: [] }, 257, 'tokenizer.json').vocabSize).toBe(257);
    expect(tokenizerFromModelJson({ model: { type: 'BPE' } }, 50257, 'tokenizer.json').type).toBe('tiktoken');
    expect(() => tokenizerFromModelJson({ model: { type: 'BPE' } }, 1000, 'tokenizer.json')).toThrow(/neither an rlhfkit tokenizer/);
  });
});
