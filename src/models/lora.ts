/**
 * LoRA (Hu et al. 2021, arXiv:2106.09685): a frozen weight W plus a trainable low-rank update,
 *   y = x W + b + (α/r) · dropout(x) Aᵀ Bᵀ,   A [r, in], B [out, r],
 * with A ~ U(−1/√in, 1/√in) (PEFT's kaiming_uniform(a=√5)) and B = 0, so a fresh adapter leaves the model unchanged.
 * Switching adapters off gives the base model (the PPO/DPO reference policy) from the same single copy of W.
 *
 * Names and layouts follow Hugging Face PEFT, so adapters move between rlhfkit and PEFT:
 *   adapter_config.json  { peft_type: "LORA", r, lora_alpha, lora_dropout, target_modules, fan_in_fan_out: true, … }
 *   adapter_model.safetensors  base_model.model.transformer.h.{i}.attn.c_attn.lora_A.weight [r, in] / lora_B.weight [out, r]
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { ConfigError, DataError } from '../core/errors.js';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '../core/safetensors.js';
import { type Gpt2Config, innerDim } from './gpt2/config.js';
import { variableFrom } from './gpt2/params.js';

/** LoRA hyperparameters (PEFT's LoraConfig names in comments). */
export interface LoraConfig {
  /** rank r of the update (PEFT `r`); default 8 */
  r: number;
  /** scaling α: the update is multiplied by α/r (PEFT `lora_alpha`); default 16 */
  alpha: number;
  /** dropout on the adapter's input while training (PEFT `lora_dropout`); default 0.05 */
  dropout: number;
  /**
   * modules to adapt, matched as a suffix of the module path (PEFT `target_modules`): "c_attn", "c_proj" (both the
   * attention and the MLP projection), "c_fc", or a longer path like "attn.c_proj"; default ["c_attn"]
   */
  targetModules: string[];
}

export const DEFAULT_LORA: LoraConfig = { r: 8, alpha: 16, dropout: 0.05, targetModules: ['c_attn'] };

/** Every linear (Conv1D) module of a GPT-2 with its [in, out] sizes. */
export function linearModules(c: Gpt2Config): { name: string; inDim: number; outDim: number }[] {
  const C = c.n_embd;
  const I = innerDim(c);
  const out: { name: string; inDim: number; outDim: number }[] = [];
  for (let i = 0; i < c.n_layer; i++) {
    out.push(
      { name: `h.${i}.attn.c_attn`, inDim: C, outDim: 3 * C },
      { name: `h.${i}.attn.c_proj`, inDim: C, outDim: C },
      { name: `h.${i}.mlp.c_fc`, inDim: C, outDim: I },
      { name: `h.${i}.mlp.c_proj`, inDim: I, outDim: C },
    );
  }
  return out;
}

function matches(module: string, target: string): boolean {
  return module === target || module.endsWith(`.${target}`);
}

/** Validates a partial LoRA config against a model; throws ConfigError naming the option. */
export function resolveLoraConfig(partial: Partial<LoraConfig>, model: Gpt2Config): LoraConfig {
  const cfg: LoraConfig = { ...DEFAULT_LORA, ...partial, targetModules: [...(partial.targetModules ?? DEFAULT_LORA.targetModules)] };
  if (!Number.isInteger(cfg.r) || cfg.r < 1) throw new ConfigError('lora.r', `LoRA rank r must be an integer ≥ 1, got ${cfg.r}`);
  if (!(cfg.alpha > 0)) throw new ConfigError('lora.alpha', `LoRA alpha must be > 0, got ${cfg.alpha}`);
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) throw new ConfigError('lora.dropout', `LoRA dropout must be in [0, 1), got ${cfg.dropout}`);
  if (cfg.targetModules.length === 0) throw new ConfigError('lora.targetModules', 'LoRA needs at least one target module (e.g. c_attn)');
  const mods = linearModules(model).map((m) => m.name);
  for (const t of cfg.targetModules)
    if (!mods.some((m) => matches(m, t)))
      throw new ConfigError('lora.targetModules', `LoRA target module "${t}" matches no GPT-2 module; use c_attn, c_proj, c_fc, attn.c_proj or mlp.c_proj`);
  return cfg;
}

/** One adapted module: A [r, in], B [out, r]. */
export interface LoraPair {
  A: tf.Variable;
  B: tf.Variable;
}

/** The adapters of one model: module name → (A, B), plus the config. */
export class LoraAdapters {
  readonly scale: number;
  private constructor(
    readonly config: LoraConfig,
    readonly pairs: Map<string, LoraPair>,
  ) {
    this.scale = config.alpha / config.r; // α / r
  }

  /** Fresh adapters: A ~ U(−1/√in, 1/√in) from `rng`, B = 0. */
  static create(model: Gpt2Config, cfg: LoraConfig, rng: Rng): LoraAdapters {
    const pairs = new Map<string, LoraPair>();
    for (const m of linearModules(model)) {
      if (!cfg.targetModules.some((t) => matches(m.name, t))) continue;
      const bound = 1 / Math.sqrt(m.inDim);
      const a = rng.uniformArray(cfg.r * m.inDim, -bound, bound);
      pairs.set(m.name, {
        A: variableFrom(a, [cfg.r, m.inDim]),
        B: variableFrom(new Float32Array(m.outDim * cfg.r), [m.outDim, cfg.r]),
      });
    }
    return new LoraAdapters(cfg, pairs);
  }

  get(module: string): LoraPair | undefined {
    return this.pairs.get(module);
  }

  variables(): tf.Variable[] {
    return [...this.pairs.values()].flatMap((p) => [p.A, p.B]);
  }

  numParams(): number {
    return this.variables().reduce((n, v) => n + v.size, 0);
  }

  /** Writes adapter_config.json + adapter_model.safetensors (PEFT layout) into `dir`. */
  save(dir: string): void {
    const tensors: Record<string, TensorToWrite> = {};
    for (const [name, p] of this.pairs) {
      tensors[`base_model.model.transformer.${name}.lora_A.weight`] = { shape: p.A.shape, data: p.A.dataSync() as Float32Array };
      tensors[`base_model.model.transformer.${name}.lora_B.weight`] = { shape: p.B.shape, data: p.B.dataSync() as Float32Array };
    }
    writeSafetensors(join(dir, 'adapter_model.safetensors'), tensors, { format: 'pt' });
    const peft = {
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: this.config.r,
      lora_alpha: this.config.alpha,
      lora_dropout: this.config.dropout,
      target_modules: this.config.targetModules,
      fan_in_fan_out: true,
      bias: 'none',
    };
    writeFileSync(join(dir, 'adapter_config.json'), `${JSON.stringify(peft, null, 2)}\n`);
  }

  /** Reads adapters saved by `save` (or by PEFT for a GPT-2) from `dir`. */
  static load(dir: string, model: Gpt2Config): LoraAdapters {
    const cfgPath = join(dir, 'adapter_config.json');
    const wPath = join(dir, 'adapter_model.safetensors');
    if (!existsSync(cfgPath) || !existsSync(wPath)) throw new DataError(`${dir}: no LoRA adapters (adapter_config.json + adapter_model.safetensors)`);
    const raw = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
    if (raw.peft_type !== undefined && raw.peft_type !== 'LORA') throw new DataError(`${cfgPath}: peft_type is ${String(raw.peft_type)}, expected LORA`);
    const tm = raw.target_modules;
    const cfg = resolveLoraConfig(
      {
        r: raw.r as number,
        alpha: raw.lora_alpha as number,
        dropout: (raw.lora_dropout as number | undefined) ?? 0,
        targetModules: typeof tm === 'string' ? [tm] : (tm as string[]),
      },
      model,
    );
    const file = readSafetensors(wPath);
    const pairs = new Map<string, LoraPair>();
    for (const m of linearModules(model)) {
      if (!cfg.targetModules.some((t) => matches(m.name, t))) continue;
      const find = (ab: 'A' | 'B'): Float32Array => {
        for (const prefix of ['base_model.model.transformer.', 'base_model.model.', 'transformer.', '']) {
          for (const suffix of [`lora_${ab}.weight`, `lora_${ab}.default.weight`]) {
            const t = file.tensors.get(`${prefix}${m.name}.${suffix}`);
            if (!t) continue;
            const want = ab === 'A' ? [cfg.r, m.inDim] : [m.outDim, cfg.r];
            if (t.shape.join() !== want.join()) throw new DataError(`${wPath}: ${m.name} lora_${ab} has shape [${t.shape}], expected [${want}]`);
            return t.data as Float32Array;
          }
        }
        throw new DataError(`${wPath}: no lora_${ab} weight for module ${m.name}`);
      };
      pairs.set(m.name, {
        A: variableFrom(find('A'), [cfg.r, m.inDim]),
        B: variableFrom(find('B'), [m.outDim, cfg.r]),
      });
    }
    return new LoraAdapters(cfg, pairs);
  }

  dispose(): void {
    for (const p of this.pairs.values()) {
      p.A.dispose();
      p.B.dispose();
    }
    this.pairs.clear();
  }
}
