/**
 * The adder as a task of the run driver (src/loop/driver.ts): `rlhf run adder`, the benchmarks, the tests and the
 * examples all run it through runTask. Files (DIR = --out): config.json, metrics.jsonl (one row per epoch,
 * deterministic given the seed), timing.jsonl, checkpoint.json + checkpoint-{0,1}.safetensors, summary.json,
 * report.html and its figures (report.ts).
 */
import { runTask, type DomainRun, type RunOptions, type RunResult, type Task } from '../../loop/driver.js';
import { adderConfigToJson, type AdderConfig } from './config.js';
import { summarizeAdder, type AdderSummary } from './summary.js';
import { AdderTrainer, type AdderState } from './train.js';

/** An adder run: the trainer behind the driver's DomainRun. */
export interface AdderRun extends DomainRun<AdderSummary, AdderState> {
  readonly trainer: AdderTrainer;
}

/** The adder task. */
export function adderTask(): Task<AdderConfig, AdderSummary, AdderState, AdderRun> {
  return {
    name: 'adder',
    configJson: adderConfigToJson,
    resumeIgnoreKeys: ['epochs'],
    async create(config, ctx) {
      const tr = new AdderTrainer(config, { judge: ctx.judge });
      return {
        trainer: tr,
        iterations: config.epochs,
        iterate: async (it) => ({ iteration: it, metrics: { ...(await tr.step()) }, timing: tr.lastTiming }),
        snapshot: () => tr.checkpoint(),
        restore: (state, arrays) => tr.restore(state, arrays),
        progressFields: () => ({ labels: tr.labels, ...(tr.lastEval ? { acc: tr.lastEval.preferenceAccuracy, mse: tr.lastEval.actionMse } : {}) }),
        summarize: (_rows, seconds) => summarizeAdder(tr, seconds),
        writeReport: async (dir, rows, summary) => (await import('./report.js')).writeAdderReport(dir, tr, rows, summary),
      };
    },
  };
}

export type AdderRunResult = RunResult<AdderSummary, AdderRun>;

/** Runs the adder loop end to end (runTask over adderTask). */
export function runAdder(config: AdderConfig, opts: RunOptions = {}): Promise<AdderRunResult> {
  return runTask(adderTask(), config, opts);
}
