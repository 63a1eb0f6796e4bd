/** The command-line flags of `rlhf run <domain>` that put people in the loop (docs/labeling.md). */
import { FlagReader, type FlagSpec } from '../../cli/args.js';
import { ConfigError } from '../../core/errors.js';
import { HUMAN_JUDGE_DEFAULTS, JUDGE_MODES, resolveHumanJudgeConfig } from './gatherer.js';
import type { HumanJudgeSetup } from './session.js';

// command-line flags shared by `rlhf run <domain>` commands that can put people in the loop

export const HUMAN_JUDGE_FLAGS = {
  judge: { type: 'string' },
  'labels-per-iteration': { type: 'string' },
  'judge-timeout': { type: 'string' },
  redundancy: { type: 'string' },
  db: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  annotator: { type: 'string' },
} as const satisfies FlagSpec;

export const DEFAULT_PORT = 8787;

export const HUMAN_JUDGE_HELP = `

people in the loop (docs/labeling.md):
  --judge MODE              who judges: simulated (the teacher), human (people in the web app), mixed (people;
                            the teacher answers what they leave unanswered at the timeout) [simulated]
  --labels-per-iteration N  comparisons shown to people per iteration [${HUMAN_JUDGE_DEFAULTS.labelsPerIteration}]
  --judge-timeout S         seconds to wait for people per iteration [${HUMAN_JUDGE_DEFAULTS.timeoutSeconds}]
  --redundancy R            different annotators asked per comparison (measures agreement) [1]
  --db PATH|URL             feedback store: a SQLite file or a postgres:// URL [DIR/feedback.sqlite]
  --port P                  labeling server port, 0 = any free port; with --db, a busy port means "attach to the
                            rlhf serve already serving that store" [${DEFAULT_PORT}]
  --host H                  interface the server binds [127.0.0.1]
  --annotator NAME          annotator whose log-in link is printed [labeler]`;

/** Reads the people-in-the-loop flags; undefined for a plain simulated run (no --judge human|mixed, no --db). */
export function humanJudgeFromFlags(f: FlagReader): HumanJudgeSetup | undefined {
  const mode = f.choice('judge', JUDGE_MODES, 'simulated');
  const config = resolveHumanJudgeConfig({
    mode,
    labelsPerIteration: f.int('labels-per-iteration', HUMAN_JUDGE_DEFAULTS.labelsPerIteration, { min: 1, max: 10_000 }),
    timeoutSeconds: f.number('judge-timeout', HUMAN_JUDGE_DEFAULTS.timeoutSeconds, { min: 0, exclusiveMin: true }),
    redundancy: f.int('redundancy', 1, { min: 1, max: 100 }),
  });
  const db = f.string('db');
  if (db !== undefined && db.trim() === '') throw new ConfigError('db', '--db must name a SQLite file or a postgres:// URL');
  const port = f.int('port', DEFAULT_PORT, { min: 0, max: 65535 });
  const annotator = f.string('annotator', 'labeler');
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(annotator)) throw new ConfigError('annotator', `--annotator must be 1–64 letters, digits, ".", "_" or "-", got "${annotator}"`);
  if (mode === 'simulated' && db === undefined) {
    for (const k of ['labels-per-iteration', 'judge-timeout', 'redundancy', 'port', 'host', 'annotator'])
      if (f.has(k)) throw new ConfigError(k, `--${k} only applies with --judge human or mixed (or --db)`);
    return undefined;
  }
  const host = f.string('host');
  return { config, ...(db !== undefined ? { db } : {}), port, portGiven: f.has('port'), ...(host !== undefined ? { host } : {}), annotator };
}

