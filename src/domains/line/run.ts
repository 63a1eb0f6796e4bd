/**
 * The line as a task of the run driver (src/loop/driver.ts): `rlhf run line`, the benchmarks, the tests and the
 * examples all run it through runTask. Files (DIR = --out): config.json, metrics.jsonl (one row per iteration,
 * deterministic given the seed), timing.jsonl, checkpoint.json + checkpoint-{0,1}.safetensors, summary.json,
 * report.html and its figures (report.ts).
 */
import { ConfigError } from '../../core/errors.js';
import { runTask, type DomainRun, type RunOptions, type RunResult, type Task, type TaskContext } from '../../loop/driver.js';
import { lineConfigToJson, type LineConfig } from './config.js';
import { lineRewardHeatmaps } from './queries.js';
import { summarizeLine, type LineSummary } from './summary.js';
import { LineTrainer, type LineState } from './train.js';

/** A line run: the trainer behind the driver's DomainRun. */
export interface LineRun extends DomainRun<LineSummary, LineState> {
  readonly trainer: LineTrainer;
}

/** The line task. */
export function lineTask(): Task<LineConfig, LineSummary, LineState, LineRun> {
  return { name: 'line', configJson: lineConfigToJson, resumeIgnoreKeys: ['episodes'], create: async (config, ctx) => createLineRun(config, ctx) };
}

/** The error for people (--judge human|mixed, or a --db store) asked to judge a run that asks no comparisons. */
export function regressionHasNoJudge(mode: string): ConfigError {
  const flag = mode === 'simulated' ? 'db' : 'judge';
  const given = flag === 'db' ? '--db' : `--judge ${mode}`;
  return new ConfigError(flag, `${given}: the line's regression feedback (--preset seed, --feedback regression) asks no comparisons, so there is nothing for people to judge; use --feedback comparison`);
}

function createLineRun(config: LineConfig, ctx: TaskContext): LineRun {
  if (config.feedback === 'regression' && ctx.judgeMode !== 'simulated') throw regressionHasNoJudge(ctx.judgeMode);
  const tr = new LineTrainer(config, { judge: ctx.judge });
  return {
    trainer: tr,
    iterations: tr.iterations,
    iterate: async (it) => {
      const metrics = { ...(await tr.step()) };
      return { iteration: it, metrics, timing: tr.lastTiming };
    },
    snapshot: () => tr.checkpoint(),
    restore: (state, arrays) => tr.restore(state, arrays),
    progressFields: (m) => ({ success: m['objective/success_rate'] ?? Number.NaN, labels: m['feedback/labels'] ?? 0 }),
    summarize: (rows, seconds) => summarizeLine(tr, rows, seconds),
    writeReport: async (dir, rows, summary) => (await import('./report.js')).writeLineReport(dir, tr, rows, summary),
    figures: (it) => [lineRewardHeatmaps(config.size, tr.judgedTable(), tr.rewardTable().mean, it)],
  };
}

export type LineRunResult = RunResult<LineSummary, LineRun>;

/** Runs the line loop end to end (runTask over lineTask). */
export function runLine(config: LineConfig, opts: RunOptions = {}): Promise<LineRunResult> {
  return runTask(lineTask(), config, opts);
}
