/**
 * `rlhf run arithmetic [options]` (over the one run command, src/cli/runCommand.ts) and `rlhf pretrain arithmetic`.
 * The edges that touch the disk: the pretrained model's directory, and importing a user's --reward-fn module
 * (resolved against the working directory).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { commandSets, runDomainCommand, type DomainCommand } from '../../cli/runCommand.js';
import { commandFlags } from '../../cli/args.js';
import { ConfigError } from '../../core/errors.js';
import { renderHelp } from '../../core/config/options.js';
import { RUN_OPTIONS } from '../../core/config/runOptions.js';
import { initTensors } from '../../core/tensor.js';
import { saveLlama, saveTokenizer, writeLlamaConfig } from '../../models/load.js';
import { parseRewardSpec, type ModuleImporter } from '../../teachers/rewardFunctions.js';
import { ARITHMETIC_OPTIONS, DEFAULT_ARITHMETIC_MODEL_DIR, type ArithmeticConfig } from './config.js';
import { HELD_OUT_SEED } from './problems.js';
import { PRETRAIN_ARITHMETIC_OPTIONS, pretrainArithmetic, type PretrainArithmeticConfig, type PretrainArithmeticResult } from './pretrain.js';
import { arithmeticTask } from './run.js';
import type { ArithmeticSummary } from './summary.js';

/** A --reward-fn module path, imported relative to the working directory. */
export const importFromCwd: ModuleImporter = (path) => import(pathToFileURL(resolve(path)).href);

export const arithmeticCommandSpec: DomainCommand<ArithmeticConfig, ArithmeticSummary> = {
  name: 'arithmetic',
  title: 'RL with a verifiable reward: a tiny Llama learns a + b from its own samples (GRPO, RLOO or PPO; no judges)',
  options: [ARITHMETIC_OPTIONS],
  configFromFlags(values, human) {
    if (human) throw new ConfigError('judge', 'arithmetic is scored by its reward functions, not judged by people: drop --judge human|mixed and --db');
    const config = ARITHMETIC_OPTIONS.resolveFlags(values);
    // everything that can be checked before the run directory is written: the specs, the model, the modules' files
    const dir = config.model ?? DEFAULT_ARITHMETIC_MODEL_DIR;
    if (!existsSync(join(dir, 'config.json'))) throw new ConfigError('model', `--model ${dir}: no model there (config.json is missing); rlhf pretrain arithmetic --out ${dir} makes one`);
    for (const spec of config.rewardFns) {
      const s = parseRewardSpec(spec);
      if (s.kind === 'module' && !existsSync(resolve(s.path))) throw new ConfigError('reward-fn', `--reward-fn ${s.path}: no such file (${resolve(s.path)})`);
    }
    return config;
  },
  task: (run) => arithmeticTask({ backend: run.backend, importModule: importFromCwd }),
  headline: (s, config, dir) =>
    `arithmetic (${config.optimizer}): held-out accuracy ${s.accuracy_before.toFixed(3)} → ${s.accuracy_after.toFixed(3)} (${s.accuracy_gain >= 0 ? '+' : ''}${s.accuracy_gain.toFixed(3)}), ` +
    `KL ${s.kl.toFixed(3)} nats, ${s.iterations} steps, ${s.seconds.toFixed(1)} s → ${dir}`,
};

/** The option sets whose flags `rlhf run arithmetic` takes. */
export const ARITHMETIC_COMMAND_SETS = commandSets(arithmeticCommandSpec);

export function arithmeticCommand(argv: string[]): Promise<number> {
  return runDomainCommand(arithmeticCommandSpec, argv);
}

// ------------------------------------------------------------------------------------------------------------
// rlhf pretrain arithmetic

export const PRETRAIN_ARITHMETIC_COMMAND_SETS = [PRETRAIN_ARITHMETIC_OPTIONS, RUN_OPTIONS.pick(['backend', 'quiet', 'json'])] as const;

export function pretrainArithmeticHelp(): string {
  return renderHelp('rlhf pretrain arithmetic — train the tiny Llama on a+b= problems until it is right part of the time', PRETRAIN_ARITHMETIC_COMMAND_SETS, 'rlhf pretrain arithmetic [options]');
}

/**
 * Writes the model directory: config.json (with the task's "arithmetic" entry: operands and held-out pool),
 * model.safetensors, tokenizer.json + tokenizer_config.json, pretrain.json (the config, the validation curve, the
 * accuracies).
 */
export function saveArithmeticModel(c: PretrainArithmeticConfig, r: PretrainArithmeticResult, seconds: number): void {
  saveLlama(c.out, r.model);
  writeLlamaConfig(join(c.out, 'config.json'), r.model.config, { arithmetic: { maxOperand: c.maxOperand, heldOut: c.heldOut, heldOutSeed: HELD_OUT_SEED, prompt: 'a+b=' } });
  saveTokenizer(c.out, r.tokenizer);
  const record = {
    config: c,
    params: r.params,
    steps: r.steps,
    reachedTarget: r.reachedTarget,
    validationAccuracy: r.validationAccuracy,
    evalAccuracy: r.evalAccuracy,
    curve: r.curve,
    seconds: Math.round(seconds * 10) / 10,
  };
  writeFileSync(join(c.out, 'pretrain.json'), `${JSON.stringify(record, null, 2)}\n`);
}

/** The `rlhf pretrain arithmetic` command. */
export async function pretrainArithmeticCommand(argv: string[]): Promise<number> {
  const values = commandFlags(argv, PRETRAIN_ARITHMETIC_COMMAND_SETS, pretrainArithmeticHelp);
  if (!values) return 0;
  const config = PRETRAIN_ARITHMETIC_COMMAND_SETS[0].resolveFlags(values);
  const { backend, quiet, json } = PRETRAIN_ARITHMETIC_COMMAND_SETS[1].resolveFlags(values);
  await initTensors(backend);
  const t0 = performance.now();
  const talk = !quiet && !json;
  const r = pretrainArithmetic(config, talk ? (p) => console.error(`step ${p.step}: loss ${p.loss.toFixed(3)}, validation accuracy ${p.accuracy.toFixed(3)}`) : undefined);
  const seconds = (performance.now() - t0) / 1000;
  saveArithmeticModel(config, r, seconds);
  r.model.dispose();
  if (json) console.log(JSON.stringify({ dir: config.out, params: r.params, steps: r.steps, validationAccuracy: r.validationAccuracy, evalAccuracy: r.evalAccuracy, reachedTarget: r.reachedTarget, seconds }));
  else if (!quiet)
    console.log(
      `pretrained a ${(r.params / 1e3).toFixed(0)} k-parameter Llama in ${seconds.toFixed(0)} s (${r.steps} steps${r.reachedTarget ? '' : `; --target-accuracy ${config.targetAccuracy} not reached`}): ` +
        `held-out accuracy ${r.evalAccuracy.toFixed(3)} (validation ${r.validationAccuracy.toFixed(3)}) → ${config.out}`,
    );
  return 0;
}
