/** The command-line flags of `rlhf run <domain>` that put people in the loop (docs/labeling.md), each described once. */
import { defineOptions, type FlagValues } from '../../core/config/options.js';
import { ConfigError } from '../../core/errors.js';
import { HUMAN_JUDGE_OPTIONS, HUMAN_JUDGE_SECTION } from './gatherer.js';
import type { HumanJudgeSetup } from './session.js';

export const DEFAULT_PORT = 8787;

/** Where people label: the store and the labeling server (not part of the judge's config). */
export interface HumanSessionFlags {
  db: string | null;
  port: number;
  host: string | null;
  annotator: string;
}

export const HUMAN_SESSION_OPTIONS = defineOptions<HumanSessionFlags>(
  'human session',
  [
    { key: 'db', type: 'string', nullable: true, default: null, metavar: 'PATH|URL', help: 'feedback store: a SQLite file or a postgres:// URL', defaultHelp: 'DIR/feedback.sqlite', check: (v) => (v !== null && v.trim() === '' ? '--db must name a SQLite file or a postgres:// URL' : undefined) },
    { key: 'port', type: 'int', min: 0, max: 65535, default: DEFAULT_PORT, metavar: 'P', help: 'labeling server port, 0 = any free port; with --db, a busy port means "attach to the rlhf serve already serving that store"' },
    { key: 'host', type: 'string', nullable: true, default: null, metavar: 'H', help: 'interface the server binds', defaultHelp: '127.0.0.1' },
    {
      key: 'annotator',
      type: 'string',
      default: 'labeler',
      metavar: 'NAME',
      help: 'annotator whose log-in link is printed',
      check: (v) => (/^[A-Za-z0-9_.-]{1,64}$/.test(v) ? undefined : `--annotator must be 1–64 letters, digits, ".", "_" or "-", got "${v}"`),
    },
  ],
  { section: HUMAN_JUDGE_SECTION },
);

/** The people-in-the-loop option sets of a run command (on the command line --judge defaults to simulated). */
export const HUMAN_JUDGE_FLAG_SETS = [HUMAN_JUDGE_OPTIONS.withDefaults({ mode: 'simulated' }), HUMAN_SESSION_OPTIONS] as const;

/** Reads the people-in-the-loop flags; undefined for a plain simulated run (no --judge human|mixed, no --db). */
export function humanJudgeFromFlags(values: FlagValues): HumanJudgeSetup | undefined {
  const [judge, session] = HUMAN_JUDGE_FLAG_SETS;
  const config = judge.resolveFlags(values);
  const s = session.resolveFlags(values);
  if (config.mode === 'simulated' && s.db === null) {
    // every people flag but --judge and --db (which turn people on)
    for (const k of [...judge.flags, ...session.flags].filter((f) => f !== 'judge' && f !== 'db'))
      if (values[k] !== undefined) throw new ConfigError(k, `--${k} only applies with --judge human or mixed (or --db)`);
    return undefined;
  }
  return { config, ...(s.db !== null ? { db: s.db } : {}), port: s.port, portGiven: values.port !== undefined, ...(s.host !== null ? { host: s.host } : {}), annotator: s.annotator };
}
