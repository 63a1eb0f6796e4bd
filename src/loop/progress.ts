/**
 * Progress bar for long work, on stderr (stdout stays clean for --json). Silent when quiet or when stderr is not a
 * terminal and RLHF_PROGRESS is not set — then a plain line every ~10% keeps CI logs short but alive.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** advance to `value` (absolute), with named values shown beside the bar */
  update(value: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

function fmt(fields: Record<string, string | number>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(3)) : v}`)
    .join(' · ');
}

export function createProgress(label: string, total: number, opts: { quiet?: boolean } = {}): Progress {
  if (opts.quiet) return { update() {}, stop() {} };
  if (!process.stderr.isTTY && !process.env.RLHF_PROGRESS) {
    let nextPct = 0;
    return {
      update(value, fields = {}) {
        const pct = Math.floor((100 * value) / Math.max(1, total));
        if (pct >= nextPct || value === total) {
          process.stderr.write(`${label} ${value}/${total} ${fmt(fields)}\n`);
          nextPct = pct + 10;
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} {eta_formatted} {fields}`, stream: process.stderr, hideCursor: true, etaBuffer: 20 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { fields: '' });
  return {
    update(value, fields = {}) {
      bar.update(value, { fields: fmt(fields) });
    },
    stop() {
      bar.stop();
    },
  };
}
