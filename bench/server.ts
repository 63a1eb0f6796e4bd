/**
 * Labeling-server reliability and throughput, on loopback against a server in its own process:
 *   1. load: N concurrent annotators × M judgements each (lease → submit) — throughput, p50/p99 latency,
 *      0 lost / 0 duplicated (checked in the store afterwards);
 *   2. SIGKILL: the same load, the server killed with SIGKILL half-way, restarted on the same store — every
 *      judgement that got a 2xx is present, then the rest of the load finishes on the restarted server;
 *   3. hostile: K malformed/hostile requests (bad JSON, wrong types, unknown ids, oversized bodies, another
 *      annotator's query, admin routes, path traversal on static files, ...) — every one 4xx, the store
 *      unchanged, the server still serving.
 *
 *   npm run bench -- server [--annotators 50] [--per 200] [--hostile 1000] [--db sqlite|postgres://…] [--no-next] [--quick]
 * (--no-next: lease and submit as two requests instead of submitting with "next": true)
 *   npx tsx bench/server.ts …
 *
 * There is no Python peer for a labeling server; the targets (≥ 2,000 judgements/s, p99 < 50 ms on SQLite) come
 * from the issue. The machine is shared (2 cores, other helpers' jobs): load averages are recorded.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawn } from 'node:child_process';
import { openStore } from '../src/store/index.js';
import { generateToken, hashToken } from '../src/store/tokens.js';
import type { FeedbackStore } from '../src/store/types.js';
import { startServerChild, type ServerChild } from '../test/server/child.js';
import { hostileRequests, makeQueries, percentile, request, runAnnotators, snapshot, type AnnotatorLoad } from '../test/server/kit.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const NOOP_SERVER = fileURLToPath(new URL('../test/server/fixtures/noop-server.ts', import.meta.url));

interface Options {
  annotators: number;
  per: number;
  hostile: number;
  /** 'sqlite' or a postgres:// URL (a fresh schema is used) */
  db: string;
  /** submit with next=true (default) instead of lease + submit */
  next: boolean;
}

function parseOptions(args: string[]): Options {
  const o: Options = { annotators: 50, per: 200, hostile: 1000, db: 'sqlite', next: true };
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
    else if (a === '--db') {
      if (!v) throw new Error('--db needs a value');
      o.db = v;
      i++;
    } else if (a === '--no-next') o.next = false;
    else if (a === '--quick') {
      o.annotators = 10;
      o.per = 50;
      o.hostile = 200;
    } else throw new Error(`unknown option ${a} (use --annotators, --per, --hostile, --db, --no-next, --quick)`);
  }
  return o;
}

interface Seeded {
  location: string;
  annotators: { name: string; token: string }[];
  adminToken: string;
}

let schemaCount = 0;
function freshLocation(opts: Options, dir: string, name: string): string {
  if (opts.db === 'sqlite') return join(dir, `${name}.sqlite`);
  const u = new URL(opts.db);
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

/** user + system CPU of a process so far, ms (Linux /proc; NaN elsewhere) */
function processCpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 10 ms
  } catch {
    return Number.NaN;
  }
}

async function kill(child: ServerChild): Promise<void> {
  child.proc.kill('SIGKILL');
  await child.exited;
}

async function loadPhase(opts: Options, dir: string) {
  const total = opts.annotators * opts.per;
  const s = await seed(freshLocation(opts, dir, 'load'), total, opts.annotators);
  const child = await startServerChild(s.location);
  // warm-up: a few requests so JIT and connections are ready (not counted)
  await Promise.all(s.annotators.slice(0, 5).map((a) => request(child.url, { method: 'GET', path: '/api/me', token: a.token })));
  const cpu0 = processCpuMs(child.proc.pid);
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  const load = await runAnnotators({ url: child.url, runId: 'bench', annotators: s.annotators, perAnnotator: opts.per, useNext: opts.next });
  const seconds = (performance.now() - t0) / 1000;
  const serverCpuMs = processCpuMs(child.proc.pid) - cpu0;
  const clientCpu = process.cpuUsage(client0);
  await kill(child);
  const store = await openStore(s.location);
  const a = await audit(store, load.acked);
  await store.close();
  return {
    annotators: opts.annotators,
    perAnnotator: opts.per,
    acknowledged: load.acked.length,
    failures: load.failures.slice(0, 5),
    seconds,
    mode: opts.next ? 'submit with next=true (1 request per judgement)' : 'lease + submit (2 requests per judgement)',
    judgementsPerSecond: load.acked.length / seconds,
    /** CPU the server process spent per judgement: its capacity on one free core is 1000 / this */
    serverCpuMsPerJudgement: serverCpuMs / Math.max(1, load.acked.length),
    serverCapacityPerCore: (1000 * load.acked.length) / Math.max(1, serverCpuMs),
    /** fraction of one core the server process got during the load (the event loop was busy throughout) */
    serverCpuShare: serverCpuMs / (seconds * 1000),
    clientCpuMsPerJudgement: (clientCpu.user + clientCpu.system) / 1000 / Math.max(1, load.acked.length),
    requestsPerSecond: (load.leaseMs.length + load.submitMs.length) / seconds,
    submitMs: latency(load.submitMs),
    leaseMs: latency(load.leaseMs),
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
  const s = await seed(freshLocation(opts, dir, 'kill'), total, opts.annotators);
  const first = await startServerChild(s.location);
  let acked = 0;
  const killAt = Math.floor(total / 2);
  let killedAfter = 0;
  const load1: AnnotatorLoad = await runAnnotators({
    url: first.url,
    runId: 'bench',
    annotators: s.annotators,
    perAnnotator: opts.per,
    useNext: opts.next,
    tolerateErrors: true,
    onAck: () => {
      acked++;
      if (acked === killAt) {
        killedAfter = acked;
        first.proc.kill('SIGKILL');
      }
    },
  });
  const signal = await first.exited;
  const second = await startServerChild(s.location);
  const store = await openStore(s.location);
  const afterRestart = await audit(store, load1.acked);
  // finish the load on the restarted server (leases held by the dead server's clients expire after 120 s, so
  // the finishing annotators are handed the untouched queries first; we stop when the queue runs dry)
  const load2 = await runAnnotators({ url: second.url, runId: 'bench', annotators: s.annotators, perAnnotator: opts.per, emptyWaitMs: 300, useNext: opts.next });
  const final = await audit(store, [...load1.acked, ...load2.acked]);
  await kill(second);
  await store.close();
  return {
    killedBy: signal,
    killedAfterAcks: killedAfter,
    acknowledgedBeforeKill: load1.acked.length,
    inFlightAtKill: load1.acked.length - killedAfter,
    lostAfterRestart: afterRestart.lost,
    duplicatedAfterRestart: afterRestart.duplicated,
    storedAfterRestart: afterRestart.stored,
    acknowledgedAfterRestart: load2.acked.length,
    finalStored: final.stored,
    finalLost: final.lost,
    finalDuplicated: final.duplicated,
    failuresAfterRestart: load2.failures.slice(0, 5),
  };
}

async function hostilePhase(opts: Options, dir: string) {
  const s = await seed(freshLocation(opts, dir, 'hostile'), 50, 2);
  const web = join(dir, 'web');
  mkdirSync(join(web, 'assets'), { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(dir, 'secret.txt'), 'TOP-SECRET');
  const child = await startServerChild(s.location, 0, web);
  const [victim, attacker] = s.annotators as [{ name: string; token: string }, { name: string; token: string }];
  type Q = { id: string; samples: { id: string }[] };
  const lease = async () => ((await request(child.url, { method: 'POST', path: '/api/runs/bench/lease', token: victim.token, body: {} })).json as { query: Q }).query;
  const q1 = await lease();
  const j1 = { kind: 'comparison', leftId: q1.samples[0]!.id, rightId: q1.samples[1]!.id, preferred: 'left' };
  await request(child.url, { method: 'POST', path: `/api/queries/${q1.id}/judgement`, token: victim.token, body: { judgement: j1 } });
  const q2 = await lease();
  const store = await openStore(s.location);
  const before = await snapshot(store, 'bench');
  const specs = hostileRequests(
    {
      runId: 'bench',
      victimToken: victim.token,
      attackerToken: attacker.token,
      leasedQueryId: q2.id,
      leasedSamples: [q2.samples[0]!.id, q2.samples[1]!.id],
      judgedQueryId: q1.id,
      adminToken: s.adminToken,
    },
    opts.hostile,
    2025,
  );
  const statuses = new Map<number, number>();
  const byLabel = new Map<string, { n: number; statuses: Set<number> }>();
  const not4xx: string[] = [];
  let leaked = 0;
  // 25 at a time, like a flood from a few clients
  for (let i = 0; i < specs.length; i += 25) {
    const batch = specs.slice(i, i + 25);
    const results = await Promise.all(batch.map((sp) => request(child.url, sp)));
    results.forEach((r, k) => {
      const sp = batch[k]!;
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      const e = byLabel.get(sp.label ?? '?') ?? { n: 0, statuses: new Set<number>() };
      e.n++;
      e.statuses.add(r.status);
      byLabel.set(sp.label ?? '?', e);
      if (r.status < 400 || r.status >= 500) not4xx.push(`${sp.label} ${sp.method} ${sp.path.slice(0, 60)} → ${r.status}`);
      if (r.text.includes('TOP-SECRET') || r.text.includes('root:x:0:0')) leaked++;
    });
  }
  const after = await snapshot(store, 'bench');
  const j2 = { kind: 'comparison', leftId: q2.samples[0]!.id, rightId: q2.samples[1]!.id, preferred: 'right' };
  const still = await request(child.url, { method: 'POST', path: `/api/queries/${q2.id}/judgement`, token: victim.token, body: { judgement: j2 } });
  const health = await request(child.url, { method: 'GET', path: '/api/health' });
  await kill(child);
  await store.close();
  return {
    requests: specs.length,
    all4xx: not4xx.length === 0,
    not4xx: not4xx.slice(0, 10),
    statuses: Object.fromEntries([...statuses.entries()].sort((a, b) => a[0] - b[0])),
    byKind: Object.fromEntries([...byLabel.entries()].map(([k, v]) => [k, { n: v.n, statuses: [...v.statuses].sort() }])),
    storeUnchanged: before === after,
    secretsLeaked: leaked,
    stillServing: still.status === 201 && health.status === 200,
  };
}

export async function run(args: string[]): Promise<void> {
  const opts = parseOptions(args);
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-bench-server-'));
  const load0 = loadavg();
  try {
    console.log(`server bench: ${opts.annotators} annotators × ${opts.per} judgements, ${opts.hostile} hostile requests, store ${opts.db === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`);
    const load = await loadPhase(opts, dir);
    console.log(`\n1. load (${load.mode}, server in a child process, loopback)`);
    console.table({
      'judgements/s': load.judgementsPerSecond.toFixed(0),
      'server CPU ms/judgement': load.serverCpuMsPerJudgement.toFixed(3),
      'server capacity/core (1000/CPU ms)': load.serverCapacityPerCore.toFixed(0),
      'server CPU share of a core': load.serverCpuShare.toFixed(2),
      'requests/s': load.requestsPerSecond.toFixed(0),
      'submit p50 ms': load.submitMs.p50.toFixed(2),
      'submit p99 ms': load.submitMs.p99.toFixed(2),
      'lease p50 ms': load.leaseMs.p50.toFixed(2),
      'lease p99 ms': load.leaseMs.p99.toFixed(2),
      acknowledged: load.acknowledged,
      stored: load.stored,
      lost: load.lost,
      duplicated: load.duplicated + load.queriesJudgedTwice,
    });
    const baseline = await baselinePhase(opts);
    console.log('\n1b. yardstick: a bare Fastify route (JSON in, JSON out, no auth/validation/store), same clients, same moment');
    console.table({
      'requests/s': baseline.requestsPerSecond.toFixed(0),
      'p50 ms': baseline.ms.p50.toFixed(2),
      'p99 ms': baseline.ms.p99.toFixed(2),
      'rlhfkit judgements/s ÷ bare requests/s': (load.judgementsPerSecond / baseline.requestsPerSecond).toFixed(2),
    });
    const killed = await killPhase(opts, dir);
    console.log('\n2. SIGKILL half-way, restart on the same store');
    console.table({
      'acked before kill': killed.acknowledgedBeforeKill,
      'lost after restart': killed.lostAfterRestart,
      'acked after restart': killed.acknowledgedAfterRestart,
      'final stored': killed.finalStored,
      'final lost': killed.finalLost,
      'final duplicated': killed.finalDuplicated,
    });
    const hostile = await hostilePhase(opts, dir);
    console.log('\n3. hostile requests');
    console.table({
      requests: hostile.requests,
      'all 4xx': hostile.all4xx,
      'store unchanged': hostile.storeUnchanged,
      'secrets leaked': hostile.secretsLeaked,
      'still serving': hostile.stillServing,
    });
    console.log('status counts:', hostile.statuses);
    if (hostile.not4xx.length > 0) console.log('NOT 4xx:', hostile.not4xx);

    const targets = {
      throughput: { target: 2000, measured: load.judgementsPerSecond, met: load.judgementsPerSecond >= 2000 },
      p99SubmitMs: { target: 50, measured: load.submitMs.p99, met: load.submitMs.p99 < 50 },
      zeroLostZeroDuplicated: load.lost === 0 && load.duplicated === 0 && load.queriesJudgedTwice === 0 && load.acknowledged === opts.annotators * opts.per,
      sigkillNothingLost: killed.lostAfterRestart === 0 && killed.finalLost === 0 && killed.finalDuplicated === 0,
      hostileAll4xxUnchangedServing: hostile.all4xx && hostile.storeUnchanged && hostile.stillServing && hostile.secretsLeaked === 0,
    };
    console.log('\ntargets:', JSON.stringify(targets));
    const out = {
      bench: 'server',
      date: new Date().toISOString(),
      options: opts,
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', loadavgStart: load0, loadavgEnd: loadavg(), node: process.version },
      note: 'no Python peer exists for a labeling server; targets from issue #3; the machine is shared, numbers are noisy',
      load,
      baseline: { ...baseline, ratio: load.judgementsPerSecond / baseline.requestsPerSecond },
      sigkill: killed,
      hostile,
      targets,
    };
    const resDir = join(HERE, 'results');
    mkdirSync(resDir, { recursive: true });
    const file = opts.db === 'sqlite' ? 'server.json' : 'server-postgres.json';
    writeFileSync(join(resDir, file), `${JSON.stringify(out, null, 2)}\n`);
    console.log(`\nwrote ${join(resDir, file)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (opts.db !== 'sqlite') await dropBenchSchemas(opts.db);
  }
}

/** Drops the PostgreSQL schemas this run created. */
async function dropBenchSchemas(url: string): Promise<void> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: url });
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
