/**
 * `rlhf serve`: the labeling server and web app over a feedback store, until Ctrl-C.
 *   rlhf serve [--db runs/feedback.sqlite | postgres://…] [--host 127.0.0.1] [--port 8787] [--open-run ID] …
 * Prints the URL and, when the store gets its first admin (or --new-admin-token), the admin token.
 */
import { FlagReader, parseFlags, type FlagSpec } from '../cli/args.js';
import { ConfigError } from '../core/errors.js';
import { ANNOTATOR_NAME_PATTERN, ID_PATTERN } from '../feedback/validate.js';
import { openStore } from '../store/index.js';
import { generateToken, hashToken, TOKEN_PATTERN } from '../store/tokens.js';
import type { FeedbackStore } from '../store/types.js';
import { ensureRun } from '../store/loopBridge.js';
import { createServer, type Server } from './app.js';

export const SERVE_FLAGS = {
  db: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  static: { type: 'string' },
  'no-static': { type: 'boolean' },
  'open-run': { type: 'string' },
  domain: { type: 'string' },
  annotator: { type: 'string', multiple: true },
  'admin-token': { type: 'string' },
  'new-admin-token': { type: 'boolean' },
  'lease-seconds': { type: 'string' },
  log: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpec;

export const DEFAULT_SERVE_DB = 'runs/feedback.sqlite';
export const DEFAULT_SERVE_PORT = 8787;

export const SERVE_USAGE = `rlhf serve — the labeling server and web app (API: docs/api.md)

options:
  --db PATH|URL            feedback store: a SQLite file (a directory means DIR/feedback.sqlite) or a
                           postgres://user:pw@host/db URL [${DEFAULT_SERVE_DB}]
  --host H                 interface to bind; anything but loopback exposes the app to the network [127.0.0.1]
  --port P                 port, 0 = any free port [${DEFAULT_SERVE_PORT}]
  --static DIR             built web app to serve [web/dist when built]; --no-static: API only
  --open-run ID            create (or reopen) run ID with status running, ready to label
  --domain D               the domain of --open-run [gridworld]
  --annotator NAME         create an annotator (or give it a new token) and print its token; repeatable
  --admin-token TOKEN      use this admin token (also env RLHF_ADMIN_TOKEN); rlhf_ + 43 base64url characters
  --new-admin-token        replace the admin token (the old one stops working) and print the new one
  --lease-seconds S        how long a query stays with one annotator when the page does not say [120]
  --log                    request log (JSON lines) on stdout
  --quiet                  print only the URL and tokens`;

export interface ServeOptions {
  db: string;
  host: string;
  port: number;
  staticDir: string | false | undefined;
  openRun: string | undefined;
  domain: string;
  annotators: string[];
  adminToken: string | undefined;
  newAdminToken: boolean;
  leaseSeconds: number;
  log: boolean;
  quiet: boolean;
}

/** Reads and validates the flags; ConfigError names the flag. */
export function resolveServeOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): ServeOptions | 'help' {
  const { values, positionals } = parseFlags(argv, SERVE_FLAGS);
  const f = new FlagReader(values);
  if (f.bool('help')) return 'help';
  if (positionals.length > 0) throw new ConfigError('serve', `rlhf serve takes no positional arguments, got "${positionals.join(' ')}"`);
  const db = f.string('db', DEFAULT_SERVE_DB);
  if (db.trim() === '') throw new ConfigError('db', '--db must name a SQLite file or a postgres:// URL');
  const host = f.string('host', '127.0.0.1');
  if (!/^[A-Za-z0-9.:[\]-]{1,255}$/.test(host)) throw new ConfigError('host', `--host must be a host name or IP address, got "${host}"`);
  const port = f.int('port', DEFAULT_SERVE_PORT, { min: 0, max: 65535 });
  if (f.has('static') && f.bool('no-static')) throw new ConfigError('static', '--static and --no-static exclude each other');
  const staticDir = f.bool('no-static') ? false : f.string('static');
  const openRun = f.string('open-run');
  if (openRun !== undefined && !ID_PATTERN.test(openRun)) throw new ConfigError('open-run', `--open-run must match ${ID_PATTERN.source}, got "${openRun}"`);
  const domain = f.string('domain', 'gridworld');
  if (!ID_PATTERN.test(domain)) throw new ConfigError('domain', `--domain must match ${ID_PATTERN.source}, got "${domain}"`);
  if (f.has('domain') && openRun === undefined) throw new ConfigError('domain', '--domain only applies with --open-run');
  const rawAnn = values.annotator;
  const annotators = rawAnn === undefined ? [] : Array.isArray(rawAnn) ? rawAnn : [String(rawAnn)];
  for (const a of annotators) {
    if (!ANNOTATOR_NAME_PATTERN.test(a) || a === 'admin') throw new ConfigError('annotator', `--annotator names must match ${ANNOTATOR_NAME_PATTERN.source} and not be "admin", got "${a}"`);
  }
  const adminToken = f.string('admin-token') ?? (env.RLHF_ADMIN_TOKEN !== undefined && env.RLHF_ADMIN_TOKEN !== '' ? env.RLHF_ADMIN_TOKEN : undefined);
  if (adminToken !== undefined && !TOKEN_PATTERN.test(adminToken)) {
    throw new ConfigError('admin-token', '--admin-token (or RLHF_ADMIN_TOKEN) must be "rlhf_" followed by 43 base64url characters');
  }
  const newAdminToken = f.bool('new-admin-token');
  if (newAdminToken && adminToken !== undefined) throw new ConfigError('new-admin-token', '--new-admin-token and --admin-token exclude each other');
  const leaseSeconds = f.int('lease-seconds', 120, { min: 5, max: 3600 });
  return { db, host, port, staticDir, openRun, domain, annotators, adminToken, newAdminToken, leaseSeconds, log: f.bool('log'), quiet: f.bool('quiet') };
}

export interface ServeHandle {
  server: Server;
  store: FeedbackStore;
  /** tokens printed for --annotator */
  annotatorTokens: Record<string, string>;
  close(): Promise<void>;
}

/** Opens the store, starts the server, creates what the flags ask for and prints how to log in. */
export async function startServe(opts: ServeOptions, print: (line: string) => void = (l) => console.log(l)): Promise<ServeHandle> {
  const store = await openStore(opts.db);
  let server: Server;
  try {
    server = await createServer({
      store,
      host: opts.host,
      port: opts.port,
      ...(opts.staticDir !== undefined ? { staticDir: opts.staticDir } : {}),
      ...(opts.adminToken !== undefined ? { adminToken: opts.adminToken } : {}),
      newAdminToken: opts.newAdminToken,
      defaultLeaseSeconds: opts.leaseSeconds,
      logger: opts.log,
    });
  } catch (e) {
    await store.close();
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new ConfigError('port', `port ${opts.port} on ${opts.host} is in use: pick another with --port (0 = any free port)`);
    throw e;
  }
  const annotatorTokens: Record<string, string> = {};
  for (const name of opts.annotators) {
    const token = generateToken();
    if (await store.getAnnotator(name)) await store.setAnnotatorToken(name, hashToken(token));
    else await store.createAnnotator({ name, role: 'annotator', tokenHash: hashToken(token) });
    annotatorTokens[name] = token;
  }
  if (opts.openRun !== undefined) await ensureRun(store, { id: opts.openRun, domain: opts.domain, status: 'running' });

  const base = server.url.replace(/\/+$/, '');
  print(`rlhf serve: ${base}/`);
  if (!opts.quiet) print(`  store: ${store.backend} ${store.location}`);
  if (server.adminToken !== undefined && opts.adminToken === undefined) {
    print(`  admin token (shown once, stored hashed): ${server.adminToken}`);
    print(`  dashboard: ${base}/#token=${server.adminToken}`);
  } else if (opts.adminToken === undefined && !opts.quiet) {
    print('  admin token: printed when this store was first served (replace it with --new-admin-token)');
  }
  for (const [name, token] of Object.entries(annotatorTokens)) {
    const where = opts.openRun !== undefined ? `${base}/label/${encodeURIComponent(opts.openRun)}#token=${token}` : `${base}/#token=${token}`;
    print(`  annotator ${name}: ${token}   (${where})`);
  }
  if (opts.openRun !== undefined && !opts.quiet) print(`  run ${opts.openRun} (${opts.domain}) is open for labeling`);
  if (opts.host !== '127.0.0.1' && opts.host !== 'localhost' && opts.host !== '::1' && !opts.quiet) {
    print(`  warning: bound to ${opts.host}: anyone who can reach it and holds a token can label; use TLS in front of it`);
  }
  if (!opts.quiet) print('  Ctrl-C stops the server');
  let closed = false;
  return {
    server,
    store,
    annotatorTokens,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await server.close();
      } finally {
        await store.close();
      }
    },
  };
}

/** `rlhf serve`: runs until SIGINT/SIGTERM; 0 after a clean shutdown. */
export async function serveCommand(argv: string[]): Promise<number> {
  const opts = resolveServeOptions(argv);
  if (opts === 'help') {
    console.log(SERVE_USAGE);
    return 0;
  }
  const handle = await startServe(opts);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await handle.close();
  return 0;
}

// ------------------------------------------------------------------------------------------------------------
// rlhf export / rlhf import (JSONL; formats in docs/store.md)

export const EXPORT_FLAGS = {
  db: { type: 'string' },
  run: { type: 'string' },
  format: { type: 'string' },
  iteration: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpec;

export const EXPORT_USAGE = `rlhf export — a run's judgements as JSONL (docs/store.md)

options:
  --db PATH|URL      feedback store [${DEFAULT_SERVE_DB}]
  --run ID           the run to export (required)
  --format F         auto (trl for the text domain, generic otherwise), trl or generic [auto]
  --iteration N      only this iteration
  --out FILE         write here (atomically) instead of stdout`;

export const IMPORT_FLAGS = {
  db: { type: 'string' },
  run: { type: 'string' },
  format: { type: 'string' },
  annotator: { type: 'string' },
  domain: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpec;

export const IMPORT_USAGE = `rlhf import FILE — read judgements from JSONL into a store, all or nothing (docs/store.md)

options:
  --db PATH|URL      feedback store [${DEFAULT_SERVE_DB}]
  --format F         auto (from the first line), trl or generic [auto]
  --run ID           trl: the run to import into (required); generic: put every line in this run
  --annotator NAME   trl: who is recorded as the judge [imported]
  --domain D         trl: the domain of a run the import creates [text]`;

const FORMATS = ['auto', 'trl', 'generic'] as const;

/** `rlhf export`: 0 on success. */
export async function exportCommand(argv: string[], out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const { values, positionals } = parseFlags(argv, EXPORT_FLAGS);
  const f = new FlagReader(values);
  if (f.bool('help')) {
    console.log(EXPORT_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new ConfigError('export', `rlhf export takes no positional arguments, got "${positionals.join(' ')}"`);
  const runId = f.string('run');
  if (runId === undefined) throw new ConfigError('run', '--run is required: the run whose judgements to export');
  if (!ID_PATTERN.test(runId)) throw new ConfigError('run', `--run must match ${ID_PATTERN.source}, got "${runId}"`);
  const format = f.choice('format', FORMATS, 'auto');
  const iteration = f.has('iteration') ? f.int('iteration', 0, { min: 0 }) : undefined;
  const file = f.string('out');
  const { exportJsonlFile, exportLines } = await import('../feedback/jsonl.js');
  const store = await openStore(f.string('db', DEFAULT_SERVE_DB));
  try {
    if (!(await store.getRun(runId))) throw new ConfigError('run', `run "${runId}" does not exist in ${store.location}`);
    const opts = { format, ...(iteration !== undefined ? { iteration } : {}) };
    if (file !== undefined) {
      const r = await exportJsonlFile(store, runId, file, opts);
      console.error(`rlhf export: ${r.lines} lines (${r.format}) → ${file}${r.skipped > 0 ? `; ${r.skipped} judgements not representable in ${r.format} were left out` : ''}`);
    } else {
      for await (const line of exportLines(store, runId, opts)) out(`${line}\n`);
    }
  } finally {
    await store.close();
  }
  return 0;
}

/** `rlhf import FILE`: 0 on success; nothing is imported from a file with a bad line. */
export async function importCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, IMPORT_FLAGS);
  const f = new FlagReader(values);
  if (f.bool('help')) {
    console.log(IMPORT_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new ConfigError('file', `rlhf import takes one JSONL file, got ${positionals.length}`);
  const file = positionals[0]!;
  const format = f.choice('format', FORMATS, 'auto');
  const runId = f.string('run');
  if (runId !== undefined && !ID_PATTERN.test(runId)) throw new ConfigError('run', `--run must match ${ID_PATTERN.source}, got "${runId}"`);
  const annotator = f.string('annotator');
  if (annotator !== undefined && !ANNOTATOR_NAME_PATTERN.test(annotator)) throw new ConfigError('annotator', `--annotator must match ${ANNOTATOR_NAME_PATTERN.source}, got "${annotator}"`);
  const domain = f.string('domain');
  if (domain !== undefined && !ID_PATTERN.test(domain)) throw new ConfigError('domain', `--domain must match ${ID_PATTERN.source}, got "${domain}"`);
  const { importJsonlFile } = await import('../feedback/jsonl.js');
  const store = await openStore(f.string('db', DEFAULT_SERVE_DB));
  try {
    const r = await importJsonlFile(store, file, {
      format,
      ...(runId !== undefined ? { runId } : {}),
      ...(annotator !== undefined ? { annotator } : {}),
      ...(domain !== undefined ? { domain } : {}),
    });
    console.error(
      `rlhf import: ${r.lines} lines (${r.format}) from ${file}: ${r.judgements} judgements, ${r.queries} queries, ${r.runs} runs added; ${r.skipped} already present`,
    );
  } finally {
    await store.close();
  }
  return 0;
}
