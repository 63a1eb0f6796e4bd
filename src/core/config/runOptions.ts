/**
 * The options every `rlhf run <domain>` takes besides its domain's: where the run goes, whether it continues, how it
 * talks. Not part of a domain's config (config.json); the CLI reads them (src/cli/args.ts runTargetFromFlags).
 */
import { defineOptions } from './options.js';

/** The tensor backends (core/tensor.ts BACKEND_NAMES, repeated here so a command starts without loading tfjs). */
export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

export interface RunOptions {
  /** run directory; null = runs/<domain>-<time> */
  out: string | null;
  /** continue the run in `out` from its last checkpoint */
  resume: boolean;
  /** tensor backend (domains that run on typed arrays accept it and ignore it) */
  backend: (typeof BACKENDS)[number];
  /** no progress bar */
  quiet: boolean;
  /** print the summary as the last line of stdout */
  json: boolean;
  /** draw plots and report.html (--no-report: off) */
  report: boolean;
}

export const RUN_SECTION = 'run';

export const RUN_OPTIONS = defineOptions<RunOptions>(
  'run',
  [
    { key: 'out', type: 'string', nullable: true, nonEmpty: true, default: null, metavar: 'DIR', help: 'run directory', defaultHelp: 'runs/<domain>-<time>' },
    { key: 'resume', type: 'bool', default: false, help: 'continue the run in --out from its last checkpoint' },
    { key: 'backend', type: 'enum', choices: BACKENDS, default: 'auto', metavar: 'NAME', help: `tensor backend: ${BACKENDS.join(', ')}` },
    { key: 'quiet', type: 'bool', default: false, help: 'no progress bar' },
    { key: 'json', type: 'bool', default: false, help: 'print the summary as the last line of stdout' },
    { key: 'report', type: 'bool', flag: 'no-report', sets: false, default: true, help: 'skip plots and report.html (metrics, summary and checkpoints are still written)' },
  ],
  { section: RUN_SECTION },
);
