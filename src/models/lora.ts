/**
 * LoRA (Hu et al. 2021, arXiv:2106.09685): a frozen weight W plus a trainable low-rank update,
 *   y = x W + b + (α/r) · dropout(x) Aᵀ Bᵀ,   A [r, in], B [out, r],
 * with A ~ U(−1/√in, 1/√in) (PEFT's kaiming_uniform(a=√5)) and B = 0, so a fresh adapter leaves the model unchanged.
 * Switching adapters off gives the base model (the PPO/DPO reference policy) from the same single copy of W.
 *
 * The architecture says where adapters may go (`LoraSites`: its linear modules and their sizes); the rest is the
 * same for every model.
 *
 * Names and layouts follow Hugging Face PEFT, so adapters move between rlhfkit and PEFT:
 *   adapter_config.json  { peft_type: "LORA", r, lora_alpha, lora_dropout, target_modules, fan_in_fan_out, … }
 *   adapter_model.safetensors  base_model.model.<prefix><module>.lora_A.weight [r, in] / lora_B.weight [out, r]
 *   (GPT-2: base_model.model.transformer.h.{i}.attn.c_attn.lora_A.weight, fan_in_fan_out: true)
 * This module turns adapters into that JSON and those tensors and back (browser-safe); load.ts reads and writes
 * the two files.
 */
import { tf } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { ConfigError, DataError } from '../core/errors.js';
import type { NamedTensor, TensorToWrite } from '../core/safetensors.js';
import { variableFrom } from './layers.js';

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

/** One linear module of a model, y = x W (+ b) with x [N, in] and y [N, out]. */
export interface LinearModule {
  /** module path under the model's own names, e.g. "h.0.attn.c_attn" */
  name: string;
  inDim: number;
  outDim: number;
}

/** Where LoRA may go in one architecture, and how PEFT names it there. */
export interface LoraSites {
  /** the architecture, for messages (e.g. "GPT-2") */
  architecture: string;
  /** every linear module an adapter may wrap, in a fixed order */
  modules: LinearModule[];
  /** prefix of module paths in Hugging Face checkpoints ("transformer." for GPT-2); PEFT writes base_model.model.<prefix><module> */
  checkpointPrefix: string;
  /** PEFT's fan_in_fan_out: true when the base weight is stored [in, out] (GPT-2's Conv1D) */
  fanInFanOut: boolean;
  /** the target names to suggest when one matches no module */
  hint: string;
}

function matches(module: string, target: string): boolean {
  return module === target || module.endsWith(`.${target}`);
}

/** Validates a partial LoRA config against a model's sites; throws ConfigError naming the option. */
export function resolveLoraConfig(partial: Partial<LoraConfig>, sites: LoraSites): LoraConfig {
  const cfg: LoraConfig = { ...DEFAULT_LORA, ...partial, targetModules: [...(partial.targetModules ?? DEFAULT_LORA.targetModules)] };
  if (!Number.isInteger(cfg.r) || cfg.r < 1) throw new ConfigError('lora.r', `LoRA rank r must be an integer ≥ 1, got ${cfg.r}`);
  if (!(cfg.alpha > 0)) throw new ConfigError('lora.alpha', `LoRA alpha must be > 0, got ${cfg.alpha}`);
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) throw new ConfigError('lora.dropout', `LoRA dropout must be in [0, 1), got ${cfg.dropout}`);
  if (cfg.targetModules.length === 0) throw new ConfigError('lora.targetModules', 'LoRA needs at least one target module (e.g. c_attn)');
  const mods = sites.modules.map((m) => m.name);
  for (const t of cfg.targetModules)
    if (!mods.some((m) => matches(m, t)))
      throw new ConfigError('lora.targetModules', `LoRA target module "${t}" matches no ${sites.architecture} module; use ${sites.hint}`);
  return cfg;
}

/** One adapted module: A [r, in], B [out, r]. */
export interface LoraPair {
  A: tf.Variable;
  B: tf.Variable;
}

/** What PEFT saves: adapter_config.json (as an object) and the tensors of adapter_model.safetensors. */
export interface PeftAdapters {
  config: Record<string, unknown>;
  tensors: Record<string, TensorToWrite>;
}

/** The adapters of one model: module name → (A, B), plus the config and the model's sites. */
export class LoraAdapters {
  readonly scale: number;
  private constructor(
    readonly config: LoraConfig,
    readonly pairs: Map<string, LoraPair>,
    readonly sites: LoraSites,
  ) {
    this.scale = config.alpha / config.r; // α / r
  }

  /** Fresh adapters: A ~ U(−1/√in, 1/√in) from `rng`, B = 0. */
  static create(sites: LoraSites, cfg: LoraConfig, rng: Rng): LoraAdapters {
    const pairs = new Map<string, LoraPair>();
    for (const m of sites.modules) {
      if (!cfg.targetModules.some((t) => matches(m.name, t))) continue;
      const bound = 1 / Math.sqrt(m.inDim);
      const a = rng.uniformArray(cfg.r * m.inDim, -bound, bound);
      pairs.set(m.name, {
        A: variableFrom(a, [cfg.r, m.inDim]),
        B: variableFrom(new Float32Array(m.outDim * cfg.r), [m.outDim, cfg.r]),
      });
    }
    return new LoraAdapters(cfg, pairs, sites);
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

  /** adapter_config.json and the adapter tensors in PEFT's layout (load.ts `saveLora` writes them). */
  toPeft(): PeftAdapters {
    const prefix = `base_model.model.${this.sites.checkpointPrefix}`;
    const tensors: Record<string, TensorToWrite> = {};
    for (const [name, p] of this.pairs) {
      tensors[`${prefix}${name}.lora_A.weight`] = { shape: p.A.shape, data: p.A.dataSync() as Float32Array };
      tensors[`${prefix}${name}.lora_B.weight`] = { shape: p.B.shape, data: p.B.dataSync() as Float32Array };
    }
    const config = {
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: this.config.r,
      lora_alpha: this.config.alpha,
      lora_dropout: this.config.dropout,
      target_modules: this.config.targetModules,
      fan_in_fan_out: this.sites.fanInFanOut,
      bias: 'none',
    };
    return { config, tensors };
  }

  /**
   * Adapters from PEFT's adapter_config.json (parsed) and adapter tensors, saved by `toPeft` or by PEFT itself.
   * `source` names the two files in errors.
   */
  static fromPeft(raw: Record<string, unknown>, tensors: Map<string, NamedTensor>, sites: LoraSites, source: { config: string; weights: string }): LoraAdapters {
    if (raw.peft_type !== undefined && raw.peft_type !== 'LORA') throw new DataError(`${source.config}: peft_type is ${String(raw.peft_type)}, expected LORA`);
    const tm = raw.target_modules;
    const cfg = resolveLoraConfig(
      {
        r: raw.r as number,
        alpha: raw.lora_alpha as number,
        dropout: (raw.lora_dropout as number | undefined) ?? 0,
        targetModules: typeof tm === 'string' ? [tm] : (tm as string[]),
      },
      sites,
    );
    const root = sites.checkpointPrefix;
    const pairs = new Map<string, LoraPair>();
    for (const m of sites.modules) {
      if (!cfg.targetModules.some((t) => matches(m.name, t))) continue;
      const find = (ab: 'A' | 'B'): Float32Array => {
        for (const prefix of [`base_model.model.${root}`, 'base_model.model.', root, '']) {
          for (const suffix of [`lora_${ab}.weight`, `lora_${ab}.default.weight`]) {
            const t = tensors.get(`${prefix}${m.name}.${suffix}`);
            if (!t) continue;
            const want = ab === 'A' ? [cfg.r, m.inDim] : [m.outDim, cfg.r];
            if (t.shape.join() !== want.join()) throw new DataError(`${source.weights}: ${m.name} lora_${ab} has shape [${t.shape}], expected [${want}]`);
            return t.data as Float32Array;
          }
        }
        throw new DataError(`${source.weights}: no lora_${ab} weight for module ${m.name}`);
      };
      pairs.set(m.name, {
        A: variableFrom(find('A'), [cfg.r, m.inDim]),
        B: variableFrom(find('B'), [m.outDim, cfg.r]),
      });
    }
    return new LoraAdapters(cfg, pairs, sites);
  }

  dispose(): void {
    for (const p of this.pairs.values()) {
      p.A.dispose();
      p.B.dispose();
    }
    this.pairs.clear();
  }
}
