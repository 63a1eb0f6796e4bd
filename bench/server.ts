/**
 * Labeling-server throughput, replicas, crash safety and abuse: `rlhf serve` processes on one store, loopback.
 *   1. load: N concurrent annotators × M judgements each (submit with next: one request per label), spread over
 *      the replicas — throughput, p50/p99, CPU per judgement (servers, PostgreSQL), 0 lost / 0 duplicated, no
 *      query held by two annotators at once. With --db postgres://… the same load first runs on SQLite (the
 *      issue compares the two in one run).
 *   2. SIGKILL: the same load; half-way one replica is killed with SIGKILL. One replica: it is restarted on the
 *      same store; several: its annotators move to the others (as behind a proxy). Every acknowledged judgement
 *      is present, none twice, no query handed to two people at once.
 *   3. hostile: every finding of issue 14 and the older abuse (bad JSON, wrong types, other annotators' queries,
 *      admin routes, traversal, deep JSON, tokens in URLs, closed runs, roles, long paths, raw-socket abuse, slow
 *      bodies, an SSE flood) — every answer 4xx with the security headers, the store unchanged, still serving;
 *      plus a store deleted under a server (503, never acknowledged) and `rlhf run --port` on a foreign server.
 *
 *   npm run bench -- server [--annotators 50] [--per 200] [--hostile 1000] [--db sqlite|postgres://…]
 *                           [--replicas 1] [--pool N] [--no-next] [--quick] [--only load,kill,hostile]
 *   npx tsx bench/server.ts …
 *
 * There is no Python peer for a labeling server; the targets come from issue 14 (SQLite ≥ 5,000 judgements/s,
 * p99 < 25 ms; PostgreSQL with 3 replicas ≥ 2,000/s, p99 < 50 ms, ≥ 0.5× SQLite). The machine is shared (2
 * cores, other helpers' jobs): load averages are recorded with every result.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawn } from 'node:child_process';
import { startHumanSession } from '../src/loop/people/session.js';
import { openStore } from '../src/store/index.js';
import { defaultPoolSize } from '../src/store/postgres.js';
import { generateToken, hashToken } from '../src/store/tokens.js';
import type { FeedbackStore } from '../src/store/types.js';
import { startServeProcess, type ServerChild } from '../test/server/child.js';
import {
  hostileRequests,
  makeQueries,
  overlappingLeases,
  percentile,
  prepareHostile,
  rawHostile,
  request,
  runAnnotators,
  snapshot,
  type AnnotatorLoad,
  type HttpResult,
} from '../test/server/kit.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const NOOP_SERVER = fileURLToPath(new URL('../test/server/fixtures/noop-server.ts', import.meta.url));
const PHASES = ['load', 'kill', 'hostile'] as const;
type Phase = (typeof PHASES)[number];

interface Options {
  annotators: number;
  per: number;
  hostile: number;
  /** 'sqlite' or a postgres:// URL (a fresh schema per phase) */
  db: string;
  /** `rlhf serve` processes sharing the store */
  replicas: number;
  /** PostgreSQL connections per replica (undefined: rlhf serve's default, 2 per core) */
  pool: number | undefined;
  /** submit with next=true (default) instead of lease + submit */
  next: boolean;
  only: Phase[];
}

function parseOptions(args: string[]): Options {
  const o: Options = { annotators: 50, per: 200, hostile: 1000, db: 'sqlite', replicas: 1, pool: undefined, next: true, only: [...PHASES] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const v = args[i + 1];
    const int = (name: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be an integer ≥ 1, got ${v}`);
      i++;
      return n;
    };
    if (a === '--annotators') o.annotators = int('annotators');
    else if (a === '--per') o.per = int('per');
    else if (a === '--hostile') o.hostile = int('hostile');
    else if (a === '--replicas') o.replicas = int('replicas');
    else if (a === '--pool') o.pool = int('pool');
    else if (a === '--db') {
      if (!v) throw new Error('--db needs a value');
      o.db = v;
      i++;
    } else if (a === '--only') {
      const ps = (v ?? '').split(',');
      if (!ps.every((p) => (PHASES as readonly string[]).includes(p))) throw new Error(`--only takes ${PHASES.join(',')}, got ${v}`);
      o.only = ps as Phase[];
      i++;
    } else if (a === '--no-next') o.next = false;
    else if (a === '--quick') {
      o.annotators = 10;
      o.per = 50;
      o.hostile = 200;
    } else throw new Error(`unknown option ${a} (use --annotators, --per, --hostile, --db, --replicas, --pool, --only, --no-next, --quick)`);
  }
  if (o.replicas > 1 && o.db === 'sqlite') throw new Error('--replicas > 1 needs --db postgres://… (replicas share a PostgreSQL store)');
  return o;
}

interface Seeded {
  location: string;
  annotators: { name: string; token: string }[];
  adminToken: string;
}

let schemaCount = 0;
function freshLocation(db: string, dir: string, name: string): string {
  if (db === 'sqlite') return join(dir, `${name}.sqlite`);
  const u = new URL(db);
  u.searchParams.set('schema', `bench_${process.pid}_${schemaCount++}`);
  return u.toString();
}

async function seed(location: string, nQueries: number, nAnnotators: number): Promise<Seeded> {
  const store = await openStore(location);
  await store.createRun({ id: 'bench', domain: 'gridworld', status: 'running' });
  const qs = makeQueries('bench', nQueries, 'q', 10);
  for (let i = 0; i < qs.length; i += 5000) await store.addQueries('bench', qs.slice(i, i + 5000));
  const annotators = [];
  for (let i = 0; i < nAnnotators; i++) {
    const token = generateToken();
    await store.createAnnotator({ name: `ann${i}`, role: 'annotator', tokenHash: hashToken(token) });
    annotators.push({ name: `ann${i}`, token });
  }
  const adminToken = generateToken();
  await store.createAnnotator({ name: 'admin', role: 'admin', tokenHash: hashToken(adminToken) });
  await store.close();
  return { location, annotators, adminToken };
}

/** `rlhf serve` replicas on one store (the admin token through the environment, never argv). */
async function startReplicas(s: Seeded, n: number, pool: number | undefined): Promise<ServerChild[]> {
  const args = pool !== undefined ? ['--pool', String(pool)] : [];
  return Promise.all(Array.from({ length: n }, () => startServeProcess(s.location, { RLHF_ADMIN_TOKEN: s.adminToken }, args)));
}

async function kill(child: ServerChild): Promise<void> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
  await child.exited;
}

/** Lost = acknowledged but not stored; duplicated = two records for one (query, annotator) or one query judged twice. */
async function audit(store: FeedbackStore, acked: string[]): Promise<{ stored: number; lost: number; duplicated: number; queriesJudgedTwice: number }> {
  const records = await store.listJudgements('bench', { limit: 10_000_000 });
  const keys = records.map((j) => `${j.queryId} ${j.annotator}`);
  const set = new Set(keys);
  const perQuery = new Map<string, number>();
  for (const r of records) perQuery.set(r.queryId, (perQuery.get(r.queryId) ?? 0) + 1);
  return {
    stored: records.length,
    lost: acked.filter((k) => !set.has(k)).length,
    duplicated: keys.length - set.size,
    queriesJudgedTwice: [...perQuery.values()].filter((n) => n > 1).length,
  };
}

function latency(xs: number[]) {
  return { n: xs.length, p50: percentile(xs, 50), p90: percentile(xs, 90), p99: percentile(xs, 99), max: percentile(xs, 100) };
}

/** user + system CPU of processes so far, ms (Linux /proc; NaN elsewhere): the given pids, or every process named `comm`. */
function cpuMs(which: { pids: (number | undefined)[] } | { comm: string }): number {
  const ticks = (pid: string | number): number => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if ('comm' in which && comm !== which.comm) return 0;
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return 0;
    }
  };
  const pids = 'pids' in which ? which.pids.filter((p): p is number => p !== undefined) : readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  return (pids.reduce((sum: number, p) => sum + ticks(p), 0) * 1000) / 100; // clock ticks of 10 ms
}

async function loadPhase(opts: Options, db: string, dir: string, replicas: number) {
  const total = opts.annotators * opts.per;
  const s = await seed(freshLocation(db, dir, `load-${replicas}`), total, opts.annotators);
  const servers = await startReplicas(s, replicas, opts.pool);
  const urls = servers.map((c) => c.url);
  // warm-up: a few requests per replica so JIT, prepared statements and connections are ready (not counted)
  await Promise.all(urls.flatMap((url) => s.annotators.slice(0, 5).map((a) => request(url, { method: 'GET', path: '/api/me', token: a.token }))));
  const pids = servers.map((c) => c.proc.pid);
  const cpu0 = cpuMs({ pids });
  const pg0 = db === 'sqlite' ? 0 : cpuMs({ comm: 'postgres' });
  const client0 = process.cpuUsage();
  const load0 = loadavg()[0]!;
  const t0 = performance.now();
  const load = await runAnnotators({ urls, runId: 'bench', annotators: s.annotators, perAnnotator: opts.per, useNext: opts.next });
  const seconds = (performance.now() - t0) / 1000;
  const serverCpuMs = cpuMs({ pids }) - cpu0;
  const pgCpuMs = db === 'sqlite' ? 0 : cpuMs({ comm: 'postgres' }) - pg0;
  const clientCpu = process.cpuUsage(client0);
  await Promise.all(servers.map(kill));
  const store = await openStore(s.location);
  const a = await audit(store, load.acked);
  await store.close();
  const n = Math.max(1, load.acked.length);
  return {
    store: db === 'sqlite' ? 'sqlite' : 'postgres',
    replicas,
    annotators: opts.annotators,
    perAnnotator: opts.per,
    acknowledged: load.acked.length,
    failures: load.failures.slice(0, 5),
    seconds,
    mode: opts.next ? 'submit with next=true (1 request per judgement)' : 'lease + submit (2 requests per judgement)',
    judgementsPerSecond: load.acked.length / seconds,
    /** CPU the server processes spent per judgement (all replicas) */
    serverCpuMsPerJudgement: serverCpuMs / n,
    /** CPU PostgreSQL's processes spent per judgement (0 for SQLite) */
    postgresCpuMsPerJudgement: pgCpuMs / n,
    clientCpuMsPerJudgement: (clientCpu.user + clientCpu.system) / 1000 / n,
    /** the three together: what one judgement costs this machine, ms of CPU (2 cores: ≤ 2000/this per second) */
    totalCpuMsPerJudgement: (serverCpuMs + pgCpuMs) / n + (clientCpu.user + clientCpu.system) / 1000 / n,
    loadavgAtStart: load0,
    requestsPerSecond: (load.leaseMs.length + load.submitMs.length) / seconds,
    submitMs: latency(load.submitMs),
    leaseMs: latency(load.leaseMs),
    heldByTwoAtOnce: overlappingLeases(load.holds).length,
    ...a,
  };
}

/** The same number of concurrent clients posting the same bodies to a bare Fastify route: what this machine allows now. */
async function baselinePhase(opts: Options) {
  const proc = spawn(process.execPath, ['--import', 'tsx', NOOP_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => resolve((JSON.parse(d.toString().split('\n')[0]!) as { url: string }).url));
    proc.once('exit', (code) => reject(new Error(`noop server exited (${code})`)));
  });
  const judgement = { kind: 'comparison', leftId: 'q1-a', rightId: 'q1-b', preferred: 'left' };
  const ms: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: opts.annotators }, async () => {
      for (let k = 0; k < opts.per; k++) {
        const r = await request(url, { method: 'POST', path: `/api/queries/q${k}/judgement`, body: { judgement, next: true } });
        ms.push(r.ms);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  proc.kill('SIGKILL');
  await exited;
  return { requests: ms.length, seconds, requestsPerSecond: ms.length / seconds, ms: latency(ms) };
}

async function killPhase(opts: Options, dir: string) {
  const total = opts.annotators * opts.per;
  const s = await seed(freshLocation(opts.db, dir, 'kill'), total, opts.annotators);
  const servers = await startReplicas(s, opts.replicas, opts.pool);
  const victim = servers[0]!;
  let acked = 0;
  const killAt = Math.floor(total / 2);
  let killedAfter = 0;
  const several = servers.length > 1;
  const load1: AnnotatorLoad = await runAnnotators({
    urls: servers.map((c) => c.url),
    runId: 'bench',
    annotators: s.annotators,
    perAnnotator: opts.per,
    useNext: opts.next,
    // several replicas: the killed one's annotators move on (a proxy would); one: they stop until the restart
    failover: several,
    tolerateErrors: !several,
    onAck: () => {
      acked++;
      if (acked === killAt) {
        killedAfter = acked;
        victim.proc.kill('SIGKILL');
      }
    },
  });
  const signal = await victim.exited;
  const store = await openStore(s.location);
  const afterKill = await audit(store, load1.acked);
  let load2: AnnotatorLoad | undefined;
  if (!several) {
    // restart on the same store and finish the load (leases held by the dead server's clients expire after 120 s,
    // so the finishing annotators are handed the untouched queries first; we stop when the queue runs dry)
    const again = (await startReplicas(s, 1, opts.pool))[0]!;
    load2 = await runAnnotators({ url: again.url, runId: 'bench', annotators: s.annotators, perAnnotator: opts.per, emptyWaitMs: 300, useNext: opts.next });
    await kill(again);
  }
  const all = [...load1.acked, ...(load2?.acked ?? [])];
  const final = await audit(store, all);
  await Promise.all(servers.slice(1).map(kill));
  await store.close();
  return {
    replicas: servers.length,
    killedBy: signal,
    killedAfterAcks: killedAfter,
    acknowledged: load1.acked.length,
    failovers: load1.failovers,
    failures: [...load1.failures, ...(load2?.failures ?? [])].slice(0, 5),
    lostAfterKill: afterKill.lost,
    duplicatedAfterKill: afterKill.duplicated,
    acknowledgedAfterRestart: load2?.acked.length ?? null,
    finalStored: final.stored,
    finalLost: final.lost,
    finalDuplicated: final.duplicated + final.queriesJudgedTwice,
    heldByTwoAtOnce: overlappingLeases([...load1.holds, ...(load2?.holds ?? [])]),
  };
}

/** `rlhf run --port P` where something else listens on P: refused, and no token printed. */
async function attachToForeign(dir: string): Promise<{ refused: boolean; tokenPrinted: boolean; message: string }> {
  const foreign = http.createServer((_req, res) => res.end('{"ok":true}'));
  await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
  const port = (foreign.address() as AddressInfo).port;
  const lines: string[] = [];
  let message = '';
  try {
    const sess = await startHumanSession({ db: join(dir, 'attach.sqlite'), runId: 'x', domain: 'gridworld', port, attachIfBusy: true, log: (l) => lines.push(l) });
    await sess.close();
  } catch (e) {
    message = (e as Error).message;
  }
  foreign.close();
  return { refused: message !== '', tokenPrinted: lines.some((l) => l.includes('token')), message };
}

/** A SQLite store deleted under its server: every write after that answered 503 E_STORE, none acknowledged. */
async function lostStore(dir: string) {
  const d = join(dir, 'lost');
  const s = await seed(join(d, 'feedback.sqlite'), 20, 2);
  const [srv] = await startReplicas(s, 1, 1);
  const a = s.annotators[0]!;
  const q = ((await request(srv!.url, { method: 'POST', path: '/api/runs/bench/lease', token: a.token, body: {} })).json as { query: { id: string; samples: { id: string }[] } }).query;
  rmSync(d, { recursive: true, force: true });
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const judgement = { kind: 'comparison', leftId: q.samples[0]!.id, rightId: q.samples[1]!.id, preferred: 'left' };
    statuses.push((await request(srv!.url, { method: 'POST', path: `/api/queries/${q.id}/judgement`, token: a.token, body: { judgement } })).status);
    statuses.push((await request(srv!.url, { method: 'POST', path: '/api/runs/bench/lease', token: s.annotators[1]!.token, body: {} })).status);
  }
  const health = await request(srv!.url, { method: 'GET', path: '/api/health' });
  await kill(srv!);
  return { writeStatuses: [...new Set(statuses)], acknowledged: statuses.filter((x) => x < 300).length, healthStatus: health.status };
}

async function hostilePhase(opts: Options, dir: string) {
  const s = await seed(freshLocation(opts.db, dir, 'hostile'), 50, 2);
  const [srv] = await startReplicas(s, 1, opts.pool);
  const url = srv!.url;
  const [victim, attacker] = s.annotators as [{ name: string; token: string }, { name: string; token: string }];
  const ctx = await prepareHostile(url, 'bench', s.adminToken, victim.token, attacker.token);
  const store = await openStore(s.location);
  const before = await snapshot(store, 'bench', 'closed');
  // slow bodies and bodies after a 401, in the background: cut off by the server's own timeouts
  const slow = Promise.all([
    ...Array.from({ length: 50 }, () => rawHostile(url, 'slow body', attacker.token, 60_000)),
    ...Array.from({ length: 50 }, () => rawHostile(url, 'body after 401', attacker.token, 60_000)),
  ]);
  const specs = hostileRequests(ctx, opts.hostile, 2025);
  const statuses = new Map<number, number>();
  const byLabel = new Map<string, { n: number; statuses: Set<number> }>();
  const not4xx: string[] = [];
  let leaked = 0;
  let sampleIdsLeaked = 0;
  let withoutCsp = 0;
  const note = (label: string, r: { status: number }) => {
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    const e = byLabel.get(label) ?? { n: 0, statuses: new Set<number>() };
    e.n++;
    e.statuses.add(r.status);
    byLabel.set(label, e);
  };
  // 25 at a time, like a flood from a few clients
  for (let i = 0; i < specs.length; i += 25) {
    const batch = specs.slice(i, i + 25);
    const results = await Promise.all(batch.map((sp) => request(url, sp)));
    results.forEach((r: HttpResult, k) => {
      const sp = batch[k]!;
      note(sp.label ?? '?', r);
      if (r.status < 400 || r.status >= 500) not4xx.push(`${sp.label} ${sp.method} ${sp.path.slice(0, 60)} → ${r.status}`);
      if (r.text.includes('TOP-SECRET') || r.text.includes('root:x:0:0')) leaked++;
      if (sp.token === attacker.token && ctx.leasedSamples.some((id) => r.text.includes(id))) sampleIdsLeaked++;
      if (!String(r.headers['content-security-policy']).includes("default-src 'self'")) withoutCsp++;
    });
  }
  for (const kind of ['malformed', 'huge header'] as const) {
    for (let i = 0; i < 20; i++) {
      const r = await rawHostile(url, kind, attacker.token, 5000);
      note(`raw: ${kind}`, r);
      if (r.status < 400 || r.status >= 500 || (r.body as { error?: { code?: string } } | undefined)?.error?.code !== 'E_REQUEST') not4xx.push(`raw ${kind} → ${r.status}`);
    }
  }
  // an SSE flood from one account: at most its cap of streams, the rest 429
  const flood = await Promise.all(
    Array.from({ length: 40 }, async () => {
      const ac = new AbortController();
      const res = await fetch(new URL('/api/runs/bench/events', url), { headers: { authorization: `Bearer ${attacker.token}` }, signal: ac.signal });
      return { status: res.status, close: () => ac.abort() };
    }),
  );
  for (const f of flood) note('sse flood', f);
  const sseAccepted = flood.filter((f) => f.status === 200).length;
  flood.forEach((f) => f.close());
  const slowResults = await slow;
  for (const r of slowResults) {
    note(r.status === 401 ? 'raw: body after 401' : 'raw: slow body', r);
    if (r.status < 400 || r.status >= 500) not4xx.push(`raw slow → ${r.status}`);
  }
  const after = await snapshot(store, 'bench', 'closed');
  const j2 = { kind: 'comparison', leftId: ctx.leasedSamples[0], rightId: ctx.leasedSamples[1], preferred: 'right' };
  const still = await request(url, { method: 'POST', path: `/api/queries/${ctx.leasedQueryId}/judgement`, token: victim.token, body: { judgement: j2 } });
  const health = await request(url, { method: 'GET', path: '/api/health' });
  await kill(srv!);
  await store.close();
  const slowBodies = slowResults.filter((r) => r.status !== 401);
  const after401 = slowResults.filter((r) => r.status === 401);
  return {
    requests: specs.length + 40 + 40 + slowResults.length,
    all4xx: not4xx.length === 0,
    not4xx: not4xx.slice(0, 10),
    statuses: Object.fromEntries([...statuses.entries()].sort((a, b) => a[0] - b[0])),
    byKind: Object.fromEntries([...byLabel.entries()].map(([k, v]) => [k, { n: v.n, statuses: [...v.statuses].sort() }])),
    storeUnchanged: before === after,
    secretsLeaked: leaked,
    sampleIdsLeakedToNonHolder: sampleIdsLeaked,
    responsesWithoutCsp: withoutCsp,
    sseStreamsAccepted: sseAccepted,
    slowBodiesClosedAfterMs: latency(slowBodies.map((r) => r.closedAfterMs ?? Number.POSITIVE_INFINITY)),
    bodiesAfter401ClosedAfterMs: latency(after401.map((r) => r.closedAfterMs ?? Number.POSITIVE_INFINITY)),
    stillServing: still.status === 201 && health.status === 200,
  };
}

export async function run(args: string[]): Promise<void> {
  const opts = parseOptions(args);
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-bench-server-'));
  const load0 = loadavg();
  const pg = opts.db !== 'sqlite';
  const out: Record<string, unknown> = {};
  try {
    console.log(
      `server bench: ${opts.annotators} annotators × ${opts.per} judgements, ${opts.hostile} hostile requests, store ${pg ? `PostgreSQL, ${opts.replicas} replica(s) × ${opts.pool ?? `${defaultPoolSize()} (default)`} connections` : 'SQLite'}; load average ${load0.map((x) => x.toFixed(2)).join(' ')}`,
    );
    if (opts.only.includes('load')) {
      const loads = [];
      if (pg) loads.push(await loadPhase(opts, 'sqlite', dir, 1)); // the same run's SQLite figure
      loads.push(await loadPhase(opts, opts.db, dir, opts.replicas));
      const main = loads[loads.length - 1]!;
      for (const load of loads) {
        console.log(`\n1. load on ${load.store}, ${load.replicas} replica(s) (${load.mode}; loopback; load average ${load.loadavgAtStart.toFixed(2)})`);
        console.table({
          'judgements/s': load.judgementsPerSecond.toFixed(0),
          'submit p50 ms': load.submitMs.p50.toFixed(2),
          'submit p99 ms': load.submitMs.p99.toFixed(2),
          'CPU ms/judgement: servers': load.serverCpuMsPerJudgement.toFixed(3),
          'CPU ms/judgement: PostgreSQL': load.postgresCpuMsPerJudgement.toFixed(3),
          'CPU ms/judgement: clients': load.clientCpuMsPerJudgement.toFixed(3),
          acknowledged: load.acknowledged,
          lost: load.lost,
          duplicated: load.duplicated + load.queriesJudgedTwice,
          'held by two at once': load.heldByTwoAtOnce,
        });
      }
      const baseline = await baselinePhase(opts);
      console.log('\n1b. yardstick: a bare Fastify route (JSON in, JSON out, no auth/validation/store), same clients, same moment');
      console.table({ 'requests/s': baseline.requestsPerSecond.toFixed(0), 'p50 ms': baseline.ms.p50.toFixed(2), 'p99 ms': baseline.ms.p99.toFixed(2) });
      out.load = main;
      if (pg) out.sqliteLoad = loads[0];
      out.baseline = { ...baseline, ratio: main.judgementsPerSecond / baseline.requestsPerSecond };
    }
    if (opts.only.includes('kill')) {
      const killed = await killPhase(opts, dir);
      console.log(`\n2. SIGKILL of ${killed.replicas > 1 ? 'one of the replicas (its annotators move to the others)' : 'the server, restart on the same store'} half-way`);
      console.table({
        acknowledged: killed.acknowledged,
        failovers: killed.failovers,
        'lost after kill': killed.lostAfterKill,
        'final stored': killed.finalStored,
        'final lost': killed.finalLost,
        'final duplicated': killed.finalDuplicated,
        'held by two at once': killed.heldByTwoAtOnce.length,
      });
      out.sigkill = killed;
    }
    if (opts.only.includes('hostile')) {
      const hostile = await hostilePhase(opts, dir);
      const lost = await lostStore(dir);
      const attach = await attachToForeign(dir);
      console.log('\n3. hostile requests');
      console.table({
        requests: hostile.requests,
        'all 4xx': hostile.all4xx,
        'store unchanged': hostile.storeUnchanged,
        'secrets leaked': hostile.secretsLeaked,
        "another's sample ids leaked": hostile.sampleIdsLeakedToNonHolder,
        'responses without CSP': hostile.responsesWithoutCsp,
        'SSE streams accepted of 40': hostile.sseStreamsAccepted,
        'slow bodies closed after (max ms)': hostile.slowBodiesClosedAfterMs.max.toFixed(0),
        'bodies after 401 closed after (max ms)': hostile.bodiesAfter401ClosedAfterMs.max.toFixed(0),
        'still serving': hostile.stillServing,
        'deleted store: writes answered': lost.writeStatuses.join(','),
        'deleted store: acknowledged': lost.acknowledged,
        'rlhf run --port on a foreign server': attach.refused && !attach.tokenPrinted ? 'refused, no token printed' : 'ATTACHED',
      });
      console.log('status counts:', hostile.statuses);
      if (hostile.not4xx.length > 0) console.log('NOT 4xx:', hostile.not4xx);
      out.hostile = { ...hostile, lostStore: lost, attachToForeign: attach };
    }

    const load = out.load as Awaited<ReturnType<typeof loadPhase>> | undefined;
    const sqliteLoad = (pg ? out.sqliteLoad : out.load) as Awaited<ReturnType<typeof loadPhase>> | undefined;
    const killed = out.sigkill as Awaited<ReturnType<typeof killPhase>> | undefined;
    const hostile = out.hostile as (Awaited<ReturnType<typeof hostilePhase>> & { lostStore: Awaited<ReturnType<typeof lostStore>>; attachToForeign: { refused: boolean; tokenPrinted: boolean } }) | undefined;
    const targets: Record<string, unknown> = {};
    if (load && sqliteLoad) {
      targets.sqlite = { judgementsPerSecond: sqliteLoad.judgementsPerSecond, p99: sqliteLoad.submitMs.p99, met: sqliteLoad.judgementsPerSecond >= 5000 && sqliteLoad.submitMs.p99 < 25 };
      if (pg) {
        const ratio = load.judgementsPerSecond / sqliteLoad.judgementsPerSecond;
        targets.postgres = { replicas: load.replicas, judgementsPerSecond: load.judgementsPerSecond, p99: load.submitMs.p99, ratioToSqlite: ratio, met: load.judgementsPerSecond >= 2000 && load.submitMs.p99 < 50 && ratio >= 0.5 };
      }
      targets.zeroLostZeroDuplicated = load.lost === 0 && load.duplicated === 0 && load.queriesJudgedTwice === 0 && load.heldByTwoAtOnce === 0 && load.acknowledged === opts.annotators * opts.per;
    }
    if (killed) targets.sigkillNothingLost = killed.lostAfterKill === 0 && killed.finalLost === 0 && killed.finalDuplicated === 0 && killed.heldByTwoAtOnce.length === 0;
    if (hostile) {
      targets.hostileAll4xxUnchangedServing =
        hostile.all4xx && hostile.storeUnchanged && hostile.stillServing && hostile.secretsLeaked === 0 && hostile.sampleIdsLeakedToNonHolder === 0 && hostile.responsesWithoutCsp === 0;
      targets.deletedStoreNeverAcknowledged = hostile.lostStore.acknowledged === 0 && hostile.lostStore.healthStatus === 503;
      targets.attachRefused = hostile.attachToForeign.refused && !hostile.attachToForeign.tokenPrinted;
    }
    console.log('\ntargets:', JSON.stringify(targets));
    const result = {
      bench: 'server',
      date: new Date().toISOString(),
      options: { ...opts, db: pg ? opts.db.replace(/:[^:@/]*@/, ':***@') : 'sqlite' },
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', loadavgStart: load0, loadavgEnd: loadavg(), node: process.version },
      note: 'no Python peer exists for a labeling server; targets from issue 14; the machine is shared (2 cores), numbers move with its load',
      ...out,
      targets,
    };
    const resDir = join(HERE, 'results');
    mkdirSync(resDir, { recursive: true });
    const file = !pg ? 'server.json' : opts.replicas > 1 ? 'server-postgres-replicas.json' : 'server-postgres.json';
    writeFileSync(join(resDir, file), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwrote ${join(resDir, file)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (pg) await dropBenchSchemas(opts.db);
  }
}

/** Drops the PostgreSQL schemas this run created. */
async function dropBenchSchemas(url: string): Promise<void> {
  const { default: pgm } = await import('pg');
  const c = new pgm.Client({ connectionString: url });
  await c.connect();
  for (let i = 0; i < schemaCount; i++) await c.query(`DROP SCHEMA IF EXISTS bench_${process.pid}_${i} CASCADE`);
  await c.end();
}

// direct use: npx tsx bench/server.ts [options]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  });
}
