/**
 * `rlhf serve`: the labeling server and web app over a feedback store, until Ctrl-C.
 *   rlhf serve [--db runs/feedback.sqlite | postgres://…] [--host 127.0.0.1] [--port 8787] [--open-run ID] …
 * Prints the URL and, when the store gets its first admin (or --new-admin-token), the admin token.
 */
import { readFileSync } from 'node:fs';
import { parseArgv } from '../cli/args.js';
import { defineOptions, renderHelp } from '../core/config/options.js';
import { ConfigError } from '../core/errors.js';
import { ANNOTATOR_NAME_PATTERN, ID_PATTERN } from '../feedback/validate.js';
import { openStore } from '../store/index.js';
import { generateToken, hashToken, TOKEN_PATTERN } from '../store/tokens.js';
import type { FeedbackStore } from '../store/types.js';
import { ensureRun } from '../store/loopBridge.js';
import { createServer, type Server } from './app.js';

export const DEFAULT_SERVE_DB = 'runs/feedback.sqlite';
export const DEFAULT_SERVE_PORT = 8787;

const DB_HELP = 'feedback store: a SQLite file (a directory means DIR/feedback.sqlite) or a postgres://user:pw@host/db URL';
const dbCheck = (v: string): string | undefined => (v.trim() === '' ? '--db must name a SQLite file or a postgres:// URL' : undefined);
const idCheck = (flag: string) => (v: string | null): string | undefined => (v !== null && !ID_PATTERN.test(v) ? `--${flag} must match ${ID_PATTERN.source}, got "${v}"` : undefined);

/** The flags of `rlhf serve` as read (ServeOptions is what the server takes). */
interface ServeFlags {
  db: string;
  host: string;
  port: number;
  static: string | null;
  noStatic: boolean;
  openRun: string | null;
  domain: string | null;
  annotators: string[];
  adminToken: string | null;
  adminTokenFile: string | null;
  newAdminToken: boolean;
  leaseSeconds: number;
  pool: number | null;
  log: boolean;
  quiet: boolean;
}

/** Every option of `rlhf serve`, described once (API: docs/api.md). */
export const SERVE_OPTIONS = defineOptions<ServeFlags>('serve', [
  { key: 'db', type: 'string', default: DEFAULT_SERVE_DB, metavar: 'PATH|URL', help: DB_HELP, check: dbCheck },
  {
    key: 'host',
    type: 'string',
    default: '127.0.0.1',
    metavar: 'H',
    help: 'interface to bind; anything but loopback exposes the app to the network',
    check: (v) => (/^[A-Za-z0-9.:[\]-]{1,255}$/.test(v) ? undefined : `--host must be a host name or IP address, got "${v}"`),
  },
  { key: 'port', type: 'int', min: 0, max: 65535, default: DEFAULT_SERVE_PORT, metavar: 'P', help: 'port, 0 = any free port' },
  { key: 'static', type: 'string', nullable: true, default: null, defaultHelp: 'web/dist when built', metavar: 'DIR', help: 'built web app to serve', check: (v, c) => (v !== null && c.noStatic ? '--static and --no-static exclude each other' : undefined) },
  { key: 'noStatic', flag: 'no-static', type: 'bool', default: false, help: 'API only, no web app' },
  { key: 'openRun', type: 'string', nullable: true, default: null, metavar: 'ID', help: 'create (or reopen) run ID with status running, ready to label', check: idCheck('open-run') },
  {
    key: 'domain',
    type: 'string',
    nullable: true,
    default: null,
    defaultHelp: 'gridworld',
    metavar: 'D',
    help: 'the domain of --open-run',
    check: (v, c) => idCheck('domain')(v) ?? (v !== null && c.openRun === null ? '--domain only applies with --open-run' : undefined),
  },
  {
    key: 'annotators',
    flag: 'annotator',
    type: 'strings',
    default: [],
    metavar: 'NAME',
    help: 'create an annotator (or give it a new token) and print its token; repeatable',
    check: (v) => v.map((a) => (!ANNOTATOR_NAME_PATTERN.test(a) || a === 'admin' ? `--annotator names must match ${ANNOTATOR_NAME_PATTERN.source} and not be "admin", got "${a}"` : undefined)).find((m) => m !== undefined),
  },
  {
    key: 'adminToken',
    type: 'string',
    nullable: true,
    default: null,
    metavar: 'TOKEN',
    help: 'refused: a token on the command line shows in `ps`; use --admin-token-file or RLHF_ADMIN_TOKEN',
    check: (v) => (v !== null ? ADMIN_TOKEN_IN_ARGV : undefined),
  },
  {
    key: 'adminTokenFile',
    type: 'string',
    nullable: true,
    default: null,
    metavar: 'FILE',
    help: 'use the admin token in FILE (rlhf_ + 43 base64url characters; also env RLHF_ADMIN_TOKEN), e.g. for several replicas',
  },
  {
    key: 'newAdminToken',
    type: 'bool',
    default: false,
    help: 'replace the admin token (the old one stops working) and print the new one',
    check: (v, c) => (v && c.adminTokenFile !== null ? '--new-admin-token and --admin-token-file exclude each other' : undefined),
  },
  { key: 'leaseSeconds', type: 'int', min: 5, max: 3600, default: 120, metavar: 'S', help: 'how long a query stays with one annotator when the page does not say' },
  {
    key: 'pool',
    type: 'int',
    nullable: true,
    min: 1,
    max: 200,
    default: null,
    defaultHelp: '2 per core, at most 10',
    metavar: 'N',
    help: 'PostgreSQL connections of this server (a request holds one for one round trip; replicas × (N + 1) must fit max_connections)',
  },
  { key: 'log', type: 'bool', default: false, help: 'request log (JSON lines) on stdout' },
  { key: 'quiet', type: 'bool', default: false, help: 'print only the URL and tokens' },
]);

const ADMIN_TOKEN_IN_ARGV =
  '--admin-token would show the token to every user of this machine (`ps`): put it in a file readable only by you and pass --admin-token-file FILE, or set RLHF_ADMIN_TOKEN';

/** The admin token from --admin-token-file or RLHF_ADMIN_TOKEN (never from argv), checked. */
function adminTokenFrom(file: string | null, env: NodeJS.ProcessEnv): string | undefined {
  let token: string | undefined;
  let where: string;
  if (file !== null) {
    where = `the file of --admin-token-file (${file})`;
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new ConfigError('admin-token-file', `cannot read --admin-token-file ${file}: ${(e as Error).message}`);
    }
  } else if (env.RLHF_ADMIN_TOKEN !== undefined && env.RLHF_ADMIN_TOKEN !== '') {
    where = 'RLHF_ADMIN_TOKEN';
    token = env.RLHF_ADMIN_TOKEN;
  } else return undefined;
  if (!TOKEN_PATTERN.test(token)) {
    throw new ConfigError(file !== null ? 'admin-token-file' : 'admin-token', `${where} must hold "rlhf_" followed by 43 base64url characters`);
  }
  return token;
}

export const SERVE_USAGE = renderHelp('rlhf serve — the labeling server and web app (API: docs/api.md)', [SERVE_OPTIONS], 'rlhf serve [options]');

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
  /** null: postgres.ts defaultPoolSize */
  pool: number | null;
  log: boolean;
  quiet: boolean;
}

/** Reads and validates the flags; ConfigError names the flag. */
export function resolveServeOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): ServeOptions | 'help' {
  const { values, positionals } = parseArgv(argv, [SERVE_OPTIONS]);
  if (values.help === true) return 'help';
  if (positionals.length > 0) throw new ConfigError('serve', `rlhf serve takes no positional arguments, got "${positionals.join(' ')}"`);
  const f = SERVE_OPTIONS.resolve(SERVE_OPTIONS.fromFlags(values));
  const adminToken = adminTokenFrom(f.adminTokenFile, env);
  if (adminToken !== undefined && f.newAdminToken) throw new ConfigError('new-admin-token', '--new-admin-token and a given admin token (RLHF_ADMIN_TOKEN) exclude each other');
  return {
    db: f.db,
    host: f.host,
    port: f.port,
    staticDir: f.noStatic ? false : (f.static ?? undefined),
    openRun: f.openRun ?? undefined,
    domain: f.domain ?? 'gridworld',
    annotators: f.annotators,
    adminToken,
    newAdminToken: f.newAdminToken,
    leaseSeconds: f.leaseSeconds,
    pool: f.pool,
    log: f.log,
    quiet: f.quiet,
  };
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
  const store = await openStore(opts.db, opts.pool !== null ? { poolSize: opts.pool } : {});
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

const FORMATS = ['auto', 'trl', 'generic'] as const;

/** Every option of `rlhf export`, described once. */
export const EXPORT_OPTIONS = defineOptions<{ db: string; run: string | null; format: (typeof FORMATS)[number]; iteration: number | null; out: string | null }>('export', [
  { key: 'db', type: 'string', default: DEFAULT_SERVE_DB, metavar: 'PATH|URL', help: 'feedback store', check: dbCheck },
  {
    key: 'run',
    type: 'string',
    nullable: true,
    default: null,
    metavar: 'ID',
    help: 'the run to export (required)',
    check: (v) => (v === null ? '--run is required: the run whose judgements to export' : idCheck('run')(v)),
  },
  { key: 'format', type: 'enum', choices: FORMATS, default: 'auto', metavar: 'F', help: 'auto (trl for the text domain, generic otherwise), trl or generic' },
  { key: 'iteration', type: 'int', nullable: true, min: 0, default: null, metavar: 'N', help: 'only this iteration' },
  { key: 'out', type: 'string', nullable: true, default: null, metavar: 'FILE', help: 'write here (atomically) instead of stdout' },
]);

export const EXPORT_USAGE = renderHelp("rlhf export — a run's judgements as JSONL (docs/store.md)", [EXPORT_OPTIONS], 'rlhf export --run ID [options]');

/** Every option of `rlhf import`, described once. */
export const IMPORT_OPTIONS = defineOptions<{ db: string; format: (typeof FORMATS)[number]; run: string | null; annotator: string | null; domain: string | null }>('import', [
  { key: 'db', type: 'string', default: DEFAULT_SERVE_DB, metavar: 'PATH|URL', help: 'feedback store', check: dbCheck },
  { key: 'format', type: 'enum', choices: FORMATS, default: 'auto', metavar: 'F', help: 'auto (from the first line), trl or generic' },
  { key: 'run', type: 'string', nullable: true, default: null, metavar: 'ID', help: 'trl: the run to import into (required); generic: put every line in this run', check: idCheck('run') },
  {
    key: 'annotator',
    type: 'string',
    nullable: true,
    default: null,
    defaultHelp: 'imported',
    metavar: 'NAME',
    help: 'trl: who is recorded as the judge',
    check: (v) => (v !== null && !ANNOTATOR_NAME_PATTERN.test(v) ? `--annotator must match ${ANNOTATOR_NAME_PATTERN.source}, got "${v}"` : undefined),
  },
  { key: 'domain', type: 'string', nullable: true, default: null, defaultHelp: 'text', metavar: 'D', help: 'trl: the domain of a run the import creates', check: idCheck('domain') },
]);

export const IMPORT_USAGE = renderHelp('rlhf import FILE — read judgements from JSONL into a store, all or nothing (docs/store.md)', [IMPORT_OPTIONS], 'rlhf import FILE [options]');

/** `rlhf export`: 0 on success. */
export async function exportCommand(argv: string[], out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const { values, positionals } = parseArgv(argv, [EXPORT_OPTIONS]);
  if (values.help === true) {
    console.log(EXPORT_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new ConfigError('export', `rlhf export takes no positional arguments, got "${positionals.join(' ')}"`);
  const f = EXPORT_OPTIONS.resolveFlags(values);
  const runId = f.run!;
  const { format } = f;
  const iteration = f.iteration ?? undefined;
  const file = f.out ?? undefined;
  const { exportJsonlFile, exportLines } = await import('../feedback/jsonl.js');
  const store = await openStore(f.db);
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
  const { values, positionals } = parseArgv(argv, [IMPORT_OPTIONS]);
  if (values.help === true) {
    console.log(IMPORT_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new ConfigError('file', `rlhf import takes one JSONL file, got ${positionals.length}`);
  const file = positionals[0]!;
  const f = IMPORT_OPTIONS.resolveFlags(values);
  const { format } = f;
  const runId = f.run ?? undefined;
  const annotator = f.annotator ?? undefined;
  const domain = f.domain ?? undefined;
  const { importJsonlFile } = await import('../feedback/jsonl.js');
  const store = await openStore(f.db);
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
