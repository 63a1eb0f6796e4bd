/**
 * Saving and loading GPT-2 checkpoints as Hugging Face does: a directory with
 *   config.json               GPT2Config fields (config.ts)
 *   model.safetensors         base weights under HF names (GPT2Model names; a `transformer.` prefix is accepted)
 *   tokenizer.json            which tokenizer the model uses (our own format, tokenizer/io.ts)
 * and, when a policy was trained with them,
 *   adapter_config.json + adapter_model.safetensors   LoRA adapters in PEFT's layout (lora.ts)
 *   value_head.safetensors    v_head.summary.weight [1, C], v_head.summary.bias [1] (TRL's names)
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../core/errors.js';
import { readSafetensors, writeSafetensors, type NamedTensor, type TensorToWrite } from '../core/safetensors.js';
import { readGpt2Config, writeGpt2Config } from './gpt2/config.js';
import { Gpt2 } from './gpt2/model.js';
import { LoraAdapters } from './lora.js';
import { paramsFromCheckpoint } from './gpt2/params.js';

const VH_W = 'v_head.summary.weight';
const VH_B = 'v_head.summary.bias';

function valueHeadFrom(tensors: Map<string, NamedTensor>, C: number, source: string): { weight: Float32Array; bias: Float32Array } | null {
  const w = tensors.get(VH_W);
  const b = tensors.get(VH_B);
  if (!w && !b) return null;
  if (!w || !b) throw new DataError(`${source}: value head needs both ${VH_W} and ${VH_B}`);
  if (w.data.length !== C || b.data.length !== 1) throw new DataError(`${source}: value head has ${w.data.length} weights and ${b.data.length} biases, expected ${C} and 1`);
  return { weight: Float32Array.from(w.data), bias: Float32Array.from(b.data) };
}

/**
 * Loads config.json + model.safetensors from `dir` (plus adapters and value head when present).
 * Throws DataError naming the missing file or tensor.
 */
export function loadGpt2(dir: string): Gpt2 {
  const cfgPath = join(dir, 'config.json');
  const wPath = join(dir, 'model.safetensors');
  if (!existsSync(cfgPath)) throw new DataError(`${dir}: no config.json (a GPT-2 model directory holds config.json + model.safetensors)`);
  if (!existsSync(wPath))
    throw new DataError(`${dir}: no model.safetensors (PyTorch .bin checkpoints are not read; convert with safetensors' convert script or save_pretrained(safe_serialization=True))`);
  const config = readGpt2Config(cfgPath);
  const file = readSafetensors(wPath);
  const { params, extra } = paramsFromCheckpoint(config, file.tensors, wPath);
  const model = Gpt2.fromArrays(config, params);
  let vh = valueHeadFrom(extra, config.n_embd, wPath);
  const vhPath = join(dir, 'value_head.safetensors');
  if (existsSync(vhPath)) vh = valueHeadFrom(readSafetensors(vhPath).tensors, config.n_embd, vhPath) ?? vh;
  if (vh) model.addValueHead(vh);
  if (existsSync(join(dir, 'adapter_config.json'))) model.lora = LoraAdapters.load(dir, config);
  return model;
}

/** Writes config.json + model.safetensors (and adapters / value head if the model has them) into `dir`. */
export function saveGpt2(dir: string, model: Gpt2): void {
  mkdirSync(dir, { recursive: true });
  writeGpt2Config(join(dir, 'config.json'), model.config);
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, t] of model.paramArrays()) tensors[name] = t;
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  saveTrainable(dir, model);
}

/** Writes only what a LoRA run trains: adapters (PEFT layout) and the value head. */
export function saveTrainable(dir: string, model: Gpt2): void {
  mkdirSync(dir, { recursive: true });
  model.lora?.save(dir);
  if (model.valueHead) {
    writeSafetensors(
      join(dir, 'value_head.safetensors'),
      {
        [VH_W]: { shape: model.valueHead.weight.shape, data: model.valueHead.weight.dataSync() as Float32Array },
        [VH_B]: { shape: model.valueHead.bias.shape, data: model.valueHead.bias.dataSync() as Float32Array },
      },
      { format: 'pt' },
    );
  }
}

/** Loads adapters and value head saved by `saveTrainable` into an existing model (replacing its own). */
export function loadTrainable(dir: string, model: Gpt2): void {
  if (existsSync(join(dir, 'adapter_config.json'))) {
    model.lora?.dispose();
    model.lora = LoraAdapters.load(dir, model.config);
  }
  const vhPath = join(dir, 'value_head.safetensors');
  if (existsSync(vhPath)) {
    const vh = valueHeadFrom(readSafetensors(vhPath).tensors, model.config.n_embd, vhPath);
    if (vh) model.addValueHead(vh);
  }
}
