/**
 * The arithmetic task as a task of the run driver (src/loop/driver.ts): `rlhf run arithmetic`, the tests and the
 * examples run it through runTask. There are no judges: the reward functions score every completion, so each
 * iteration is one RL step (trainer.ts) and `labels` stays 0.
 * Files (DIR = --out): config.json, metrics.jsonl, timing.jsonl, completions.jsonl (every sampled completion: step,
 * prompt, completion, each reward function's value, advantage), checkpoint.json + checkpoint-{0,1}.safetensors (the
 * trained weights, Adam's state, RNG states), summary.json, report.html and its figures.
 */
import type { BackendName } from '../../core/tensor.js';
import { DataError } from '../../core/errors.js';
import { runTask, type DomainRun, type RunOptions, type RunResult, type Task } from '../../loop/driver.js';
import { loadCausalLm, readModelConfigJson } from '../../models/load.js';
import { loadRewardFunctions, type ModuleImporter } from '../../teachers/rewardFunctions.js';
import { arithmeticConfigJson, DEFAULT_ARITHMETIC_MODEL_DIR, type ArithmeticConfig } from './config.js';
import { ArithmeticTrainer, type ArithmeticModelInfo, type ArithmeticState } from './trainer.js';
import { summarizeArithmetic, type ArithmeticSummary } from './summary.js';

export type { ArithmeticSummary } from './summary.js';

/** An arithmetic run: the trainer behind the driver's DomainRun. */
export interface ArithmeticRun extends DomainRun<ArithmeticSummary, ArithmeticState> {
  readonly trainer: ArithmeticTrainer;
}

export interface ArithmeticTaskOptions {
  /** the tensor backend (default auto) */
  backend?: BackendName;
  /** loads a user's --reward-fn module (the CLI resolves it against the working directory) */
  importModule?: ModuleImporter;
}

/** The task's "arithmetic" entry of config.json (operands, held-out pool), checked. */
export function arithmeticModelInfo(raw: Record<string, unknown>, dir: string): ArithmeticModelInfo {
  const a = raw.arithmetic as { maxOperand?: unknown; heldOut?: unknown } | undefined;
  if (!a || typeof a.maxOperand !== 'number' || typeof a.heldOut !== 'number')
    throw new DataError(`${dir}: not an arithmetic model — config.json has no "arithmetic": { maxOperand, heldOut } entry (rlhf pretrain arithmetic writes one)`);
  return { maxOperand: a.maxOperand, heldOut: a.heldOut };
}

export function arithmeticTask(opts: ArithmeticTaskOptions = {}): Task<ArithmeticConfig, ArithmeticSummary, ArithmeticState, ArithmeticRun> {
  return {
    name: 'arithmetic',
    configJson: arithmeticConfigJson,
    resumeIgnoreKeys: ['iterations'],
    records: ['completions'],
    create: async (config) => {
      const { initTensors } = await import('../../core/tensor.js');
      await initTensors(opts.backend ?? 'auto');
      const dir = config.model ?? DEFAULT_ARITHMETIC_MODEL_DIR;
      const info = arithmeticModelInfo(readModelConfigJson(dir), dir);
      const rewardFns = await loadRewardFunctions(config.rewardFns, opts.importModule ? { importModule: opts.importModule } : {});
      const { model, tokenizer } = loadCausalLm(dir);
      const reference = config.loraR > 0 ? null : loadCausalLm(dir).model;
      const trainer = new ArithmeticTrainer({ config, model, reference, tokenizer, info, rewardFns });
      let started = false;
      return {
        trainer,
        iterations: config.iterations,
        async iterate(it) {
          if (!started) {
            if (it === 1) trainer.start(); // a resumed run restored its evaluation before training
            started = true;
          }
          const r = await trainer.step(it);
          return { iteration: it, metrics: r.metrics, timing: r.timing, records: { completions: r.completions } };
        },
        snapshot: () => trainer.snapshot(),
        restore: (state, arrays) => {
          trainer.restore(state, arrays);
          started = true;
        },
        progressFields: (m) => ({ acc: trainer.last.accuracy, reward: m['objective/reward'] ?? Number.NaN }),
        summarize: (rows, seconds) => summarizeArithmetic(config, trainer.before, trainer.last, rows, seconds),
        writeReport: async (outDir, rows, summary) => (await import('./report.js')).writeArithmeticReport(outDir, config, rows, summary),
        dispose: () => {
          model.dispose();
          reference?.dispose();
        },
      };
    },
  };
}

export type ArithmeticRunOptions = RunOptions & ArithmeticTaskOptions;
export type ArithmeticRunResult = RunResult<ArithmeticSummary, ArithmeticRun>;

/** Runs the arithmetic task end to end (runTask over arithmeticTask). */
export function runArithmetic(config: ArithmeticConfig, opts: ArithmeticRunOptions = {}): Promise<ArithmeticRunResult> {
  const { backend, importModule, ...run } = opts;
  return runTask(arithmeticTask({ ...(backend ? { backend } : {}), ...(importModule ? { importModule } : {}) }), config, run);
}
