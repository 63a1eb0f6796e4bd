/**
 * People in the loop: a Gatherer (src/loop/orchestrator.ts) that asks the labeling server's annotators instead of
 * (or besides) a simulated teacher. Per iteration it
 *   1. turns the first `labelsPerIteration` pairs of the batch into comparison queries and posts them to the
 *      feedback store (the server hands them to people, one at a time, with a lease);
 *   2. waits until they are judged (× redundancy) or `timeoutSeconds` passed;
 *   3. mixed mode: a simulated teacher answers what people left unanswered, recorded as `teacher:<name>`;
 *   4. returns one Preference per pair of the batch (pairs that were not posted, or stayed unanswered, are 'skip'
 *      and carry no information for the reward fit).
 * Every judgement is stored with who made it: an annotator's name, or `teacher:<name>`.
 *
 * In human mode, queries still unanswered at the timeout stay in the pool: people may still judge them (the store
 * keeps those judgements for export and agreement), but the loop has moved on and does not train on them.
 *
 * Also here: the gridworld's query payload (what web/src/renderers/gridworld.tsx draws) and a session helper that
 * opens the store, starts (or attaches to) the server and prints how to log in.
 */
import { basename } from 'node:path';
import { FlagReader, type FlagSpec } from '../cli/args.js';
import { ConfigError, RlhfError } from '../core/errors.js';
import { sigmoid } from '../core/math.js';
import { comparisonTarget, type Judgement, type JudgementRecord, type Preference, type Query } from '../feedback/types.js';
import { ensureRun, postQueries, unansweredQueries, waitForJudgements, emitMetrics } from '../server/loopBridge.js';
import { generateToken, hashToken } from '../store/tokens.js';
import type { FeedbackStore, JsonObject, RunStatus } from '../store/types.js';
import type { Gatherer, IterationEvent, Metrics } from './orchestrator.js';

// ------------------------------------------------------------------------------------------------------------
// configuration

/** Who judges: a simulated teacher alone, people alone, or people with a teacher filling the gaps. */
export type JudgeMode = 'simulated' | 'human' | 'mixed';
export const JUDGE_MODES: readonly JudgeMode[] = ['simulated', 'human', 'mixed'];

export interface HumanJudgeConfig {
  /** who judges (default 'human') */
  mode: JudgeMode;
  /** queries posted per iteration; the loop waits for all of them to be judged (× redundancy). Default 10. */
  labelsPerIteration: number;
  /** seconds to wait for people before moving on (human: with what exists; mixed: the teacher fills in). Default 300. */
  timeoutSeconds: number;
  /** different annotators asked per query (1..100, default 1); > 1 measures agreement */
  redundancy: number;
  /** how often the store is polled while waiting, ms (default 200) */
  pollMs: number;
}

export const HUMAN_JUDGE_DEFAULTS: HumanJudgeConfig = { mode: 'human', labelsPerIteration: 10, timeoutSeconds: 300, redundancy: 1, pollMs: 200 };

/** Fills defaults and checks every range; ConfigError names the command-line flag. */
export function resolveHumanJudgeConfig(partial: Partial<HumanJudgeConfig> = {}): HumanJudgeConfig {
  const c = { ...HUMAN_JUDGE_DEFAULTS, ...partial };
  if (!JUDGE_MODES.includes(c.mode)) throw new ConfigError('judge', `--judge must be one of ${JUDGE_MODES.join(', ')}; got "${String(c.mode)}"`);
  if (!(Number.isInteger(c.labelsPerIteration) && c.labelsPerIteration >= 1 && c.labelsPerIteration <= 10_000))
    throw new ConfigError('labels-per-iteration', `--labels-per-iteration must be an integer in 1..10000, got ${c.labelsPerIteration}`);
  if (!(Number.isFinite(c.timeoutSeconds) && c.timeoutSeconds > 0 && c.timeoutSeconds <= 7 * 24 * 3600))
    throw new ConfigError('judge-timeout', `--judge-timeout must be a number of seconds in (0, 604800], got ${c.timeoutSeconds}`);
  if (!(Number.isInteger(c.redundancy) && c.redundancy >= 1 && c.redundancy <= 100))
    throw new ConfigError('redundancy', `--redundancy must be an integer in 1..100, got ${c.redundancy}`);
  if (!(Number.isInteger(c.pollMs) && c.pollMs >= 10 && c.pollMs <= 60_000)) throw new ConfigError('poll-ms', `poll interval must be an integer in 10..60000 ms, got ${c.pollMs}`);
  return c;
}

// ------------------------------------------------------------------------------------------------------------
// the gatherer

/** Turns pairs of a domain's batch into comparison queries. */
export interface QueryMaker<B> {
  /** pairs in the batch = the length of the Preference[] a gatherer returns */
  size(batch: B): number;
  /** the comparison query about pair `index` (samples[0] = left, samples[1] = right), with the given id */
  query(batch: B, index: number, iteration: number, id: string): Query;
}

/** What happened in the last gather (for logs and tests). */
export interface GatherStats {
  iteration: number;
  /** queries posted this iteration */
  posted: number;
  /** judgements by people / by the teacher used this iteration (skips included) */
  human: number;
  teacher: number;
  /** pairs with an informative label (not skip) */
  informative: number;
  /** true when the wait ended at the timeout */
  timedOut: boolean;
  waitedMs: number;
}

export interface HumanGathererOptions<B> {
  store: FeedbackStore;
  runId: string;
  maker: QueryMaker<B>;
  config: HumanJudgeConfig;
  /** the simulated teacher (required for mixed and simulated modes); its `name` is recorded, e.g. "teacher:oracle" */
  teacher?: Gatherer<B>;
  /** stops a wait early (e.g. Ctrl-C) */
  signal?: AbortSignal;
  /** one line per event worth telling the operator ("waiting for 10 labels…") */
  log?: (line: string) => void;
}

/** A query id: unique across the store (run id + iteration + pair index). */
export function queryId(runId: string, iteration: number, index: number): string {
  const id = `${runId}:${iteration}:${index}`;
  if (id.length > 128) throw new ConfigError('run-id', `run id "${runId}" is too long for query ids (≤ ${128 - id.length + runId.length} characters)`);
  return id;
}

/** The teacher's name as recorded in judgements: "teacher:<name>". */
export function teacherJudgeName(name: string): string {
  const bare = name.replace(/^teacher:/, '');
  return `teacher:${bare}`;
}

/**
 * One label per query from its judgements: the mean Bradley–Terry target μ̄ of the non-skip judgements decides
 * (μ̄ > ½ left, μ̄ < ½ right, μ̄ = ½ tie); only skips (or none) → skip.
 */
export function combineJudgements(records: JudgementRecord[]): Preference {
  let sum = 0;
  let n = 0;
  for (const r of records) {
    if (r.judgement.kind !== 'comparison') continue;
    const mu = comparisonTarget(r.judgement.preferred);
    if (mu === undefined) continue;
    sum += mu;
    n++;
  }
  if (n === 0) return 'skip';
  const mean = sum / n;
  return mean > 0.5 ? 'left' : mean < 0.5 ? 'right' : 'tie';
}

export class HumanGatherer<B> implements Gatherer<B> {
  readonly name: string;
  /** stats of the last gather() */
  last: GatherStats | undefined;
  private readonly o: HumanGathererOptions<B>;

  constructor(o: HumanGathererOptions<B>) {
    if (o.config.mode !== 'human' && !o.teacher) throw new ConfigError('judge', `--judge ${o.config.mode} needs a simulated teacher`);
    this.o = o;
    this.name = o.config.mode === 'human' ? 'human' : o.config.mode === 'mixed' ? `mixed(${teacherJudgeName(o.teacher!.name)})` : teacherJudgeName(o.teacher!.name);
  }

  async gather(batch: B, iteration: number): Promise<Preference[]> {
    const { store, runId, maker, config, teacher } = this.o;
    const log = this.o.log ?? (() => {});
    const n = maker.size(batch);
    const k = Math.min(config.labelsPerIteration, n);
    const t0 = Date.now();

    // 1. post the queries (a resumed iteration finds them posted already: the same seed makes the same batch)
    const queries = Array.from({ length: k }, (_, i) => maker.query(batch, i, iteration, queryId(runId, iteration, i)));
    const fresh: Query[] = [];
    for (const q of queries) if (!(await store.getQuery(q.id))) fresh.push(q);
    if (fresh.length > 0) await postQueries(store, runId, fresh, { redundancy: config.redundancy });
    const index = new Map(queries.map((q, i) => [q.id, i]));

    // simulated: the teacher answers everything at once; the posted queries get its judgements on record
    if (config.mode === 'simulated') {
      const labels = await teacher!.gather(batch, iteration);
      const judge = teacherJudgeName(teacher!.name);
      for (const q of queries) await this.record(q, judge, labels[index.get(q.id)!]!);
      this.last = { iteration, posted: fresh.length, human: 0, teacher: labels.length, informative: labels.filter((l) => l !== 'skip').length, timedOut: false, waitedMs: 0 };
      return labels;
    }

    // 2. wait for people
    const wanted = k * config.redundancy;
    log(`iteration ${iteration}: waiting for ${wanted} label${wanted === 1 ? '' : 's'} (timeout ${config.timeoutSeconds} s)…`);
    const waitOpts = this.o.signal ? { pollMs: config.pollMs, signal: this.o.signal } : { pollMs: config.pollMs };
    const waited = await waitForJudgements(store, runId, iteration, wanted, config.timeoutSeconds * 1000, waitOpts);
    let records = waited.judgements.filter((r) => index.has(r.queryId));
    const human = records.filter((r) => !r.annotator.startsWith('teacher:')).length;

    // 3. mixed: the teacher answers the queries people left unanswered
    let taught = 0;
    if (config.mode === 'mixed' && waited.timedOut) {
      const open = (await unansweredQueries(store, runId, iteration)).filter((q) => index.has(q.id));
      if (open.length > 0) {
        const labels = await teacher!.gather(batch, iteration);
        const judge = teacherJudgeName(teacher!.name);
        for (const q of open) records.push(await this.record(q, judge, labels[index.get(q.id)!]!));
        taught = open.length;
        log(`iteration ${iteration}: ${judge} answered ${taught} quer${taught === 1 ? 'y' : 'ies'} people left open`);
      }
    } else if (waited.timedOut) {
      log(`iteration ${iteration}: timed out with ${records.length}/${wanted} labels; training on those`);
    }
    if (taught > 0) records = (await store.listJudgements(runId, { iteration, limit: 1_000_000 })).filter((r) => index.has(r.queryId));

    // 4. one preference per pair of the batch
    const byQuery = new Map<string, JudgementRecord[]>();
    for (const r of records) {
      const list = byQuery.get(r.queryId) ?? [];
      list.push(r);
      byQuery.set(r.queryId, list);
    }
    const labels: Preference[] = new Array<Preference>(n).fill('skip');
    for (const q of queries) labels[index.get(q.id)!] = combineJudgements(byQuery.get(q.id) ?? []);
    this.last = {
      iteration,
      posted: fresh.length,
      human,
      teacher: taught,
      informative: labels.filter((l) => l !== 'skip').length,
      timedOut: waited.timedOut,
      waitedMs: Date.now() - t0,
    };
    return labels;
  }

  /** Stores a teacher's comparison judgement on a query (idempotent: a resumed run finds it there). */
  private async record(q: Query, judge: string, preferred: Preference): Promise<JudgementRecord> {
    const [left, right] = q.samples;
    if (!left || !right) throw new RlhfError('E_FEEDBACK', `query ${q.id} is not a comparison of two samples`);
    const judgement: Judgement = { kind: 'comparison', leftId: left.id, rightId: right.id, preferred };
    return (await this.o.store.addJudgement({ queryId: q.id, annotator: judge, judgement })).record;
  }

  /** Metrics of the last gather (namespaced; docs/metrics.md). */
  metrics(): Metrics {
    const l = this.last;
    if (!l) return {};
    return { 'feedback/human_labels': l.human, 'feedback/teacher_labels': l.teacher, 'feedback/informative': l.informative, 'feedback/wait_seconds': l.waitedMs / 1000 };
  }
}

// ------------------------------------------------------------------------------------------------------------
// gridworld queries (what web/src/renderers/gridworld.tsx draws; documented in docs/web.md)

export type Cell = [number, number];

/** A trajectory on the grid: the visited cells as [row, col] = [y, x], row 0 drawn at the bottom. */
export interface GridTrajectoryPayload {
  rows: number;
  cols: number;
  cells: Cell[];
  start?: Cell;
  goals?: Cell[];
  originBottom: boolean;
}

/** The trajectory shapes of a gridworld batch (structurally GridworldBatch: pair i = row i of left and right). */
export interface TrajectoryPairBatch {
  left: { batch: number; horizon: number; states: Int32Array };
  right: { batch: number; horizon: number; states: Int32Array };
}

export interface GridworldQueryOptions {
  /** N of the N×N grid; state index s = y·N + x */
  size: number;
  /** start and goal cells as (x, y) */
  starts: Array<[number, number]>;
  goals: Array<[number, number]>;
  /**
   * [S] the learned per-state reward r_θ (log softmax θ), or undefined before the first fit; shown to people as the
   * model's P(left ≻ right) = sigmoid(R_θ(left) − R_θ(right)), R_θ(σ) = Σ_{t<H} r_θ(s_t).
   */
  learnedReward?: () => ArrayLike<number> | undefined;
}

/**
 * Queries about gridworld trajectory pairs. People see the states s₀..s_{H−1} of each trajectory, exactly the
 * states the Bradley–Terry fit counts (countComparisons uses the first H of the H + 1 states).
 */
export function gridworldQueryMaker(o: GridworldQueryOptions): QueryMaker<TrajectoryPairBatch> {
  const N = o.size;
  const toCell = (s: number): Cell => [Math.floor(s / N), s % N];
  const xy = ([x, y]: [number, number]): Cell => [y, x];
  const payload = (states: Int32Array, i: number, H: number): GridTrajectoryPayload => {
    const row = states.subarray(i * (H + 1), i * (H + 1) + H);
    return { rows: N, cols: N, cells: Array.from(row, toCell), start: xy(o.starts[0]!), goals: o.goals.map(xy), originBottom: true };
  };
  const ret = (r: ArrayLike<number>, states: Int32Array, i: number, H: number) => {
    let sum = 0;
    for (let t = 0; t < H; t++) sum += r[states[i * (H + 1) + t]!]!;
    return sum;
  };
  return {
    size: (b) => b.left.batch,
    query(b, i, iteration, id) {
      const H = b.left.horizon;
      const q: Query = {
        id,
        runId: '',
        kind: 'comparison',
        iteration,
        samples: [
          { id: `${id}:L`, domain: 'gridworld', payload: payload(b.left.states, i, H) },
          { id: `${id}:R`, domain: 'gridworld', payload: payload(b.right.states, i, H) },
        ],
      };
      const r = o.learnedReward?.();
      if (r) q.predicted = sigmoid(ret(r, b.left.states, i, H) - ret(r, b.right.states, i, H)); // P(left ≻ right) under r_θ
      return q;
    },
  };
}

/** Dashboard figure events for a grid: heatmaps of the true and learned reward (docs/web.md, event "heatmaps"). */
export function gridRewardHeatmaps(size: number, trueReward: ArrayLike<number>, learnedReward: ArrayLike<number>, iteration: number): JsonObject {
  return {
    title: `reward after iteration ${iteration}`,
    rows: size,
    cols: size,
    panels: [
      { title: 'true reward', values: Array.from(trueReward) },
      { title: 'learned reward', values: Array.from(learnedReward) },
    ],
  };
}

// ------------------------------------------------------------------------------------------------------------
// the session: store + server + tokens, for `rlhf run <domain> --judge human|mixed`

export interface HumanSessionOptions {
  /** a SQLite path (a directory means <dir>/feedback.sqlite) or a postgres:// URL */
  db: string;
  runId: string;
  domain: string;
  config?: JsonObject;
  /** port of the labeling server (0 = any free port); when it is in use, the loop attaches to the server there */
  port?: number;
  /** false: a port in use is an error (EADDRINUSE) instead of a server to attach to (default true) */
  attachIfBusy?: boolean;
  host?: string;
  /** the annotator created (or given a new token) for the person at the keyboard; default "labeler" */
  annotator?: string;
  /** where the built web app is (default: the server's default, web/dist) */
  staticDir?: string;
  log?: (line: string) => void;
}

export interface HumanSession {
  store: FeedbackStore;
  runId: string;
  /** the app's URL (the in-process server's, or the attached one's) */
  url: string;
  /** printed once: only when this store was created now */
  adminToken: string | undefined;
  annotator: string;
  annotatorToken: string;
  /** true when another process serves the store on the port */
  attached: boolean;
  /** appends an event (type "metrics" or a figure type) for the dashboard */
  emit(type: string, iteration: number | null, data: JsonObject): Promise<void>;
  /** marks the run done/failed and stops the in-process server */
  close(status?: Extract<RunStatus, 'done' | 'failed'>): Promise<void>;
}

/** Replaces non-finite numbers by null (JSON has no NaN). */
function jsonSafe(data: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(data)) out[k] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
  return out;
}

/**
 * Opens the store, starts the labeling server in-process (or attaches to one already serving the port), creates the
 * run and an annotator token, and prints where to log in.
 */
export async function startHumanSession(o: HumanSessionOptions): Promise<HumanSession> {
  const log = o.log ?? ((l: string) => console.error(l));
  const { openStore } = await import('../store/index.js');
  const { createServer } = await import('../server/app.js');
  const store = await openStore(o.db);
  let server: Awaited<ReturnType<typeof createServer>> | undefined;
  let url: string;
  let attached = false;
  try {
    try {
      server = await createServer({ store, port: o.port ?? 0, ...(o.host ? { host: o.host } : {}), ...(o.staticDir ? { staticDir: o.staticDir } : {}) });
      url = server.url;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || o.attachIfBusy === false) throw e;
      attached = true;
      url = `http://${o.host ?? '127.0.0.1'}:${o.port}`;
      log(`port ${o.port} is in use: assuming \`rlhf serve --db ${store.location}\` serves this store there`);
    }
    await ensureRun(store, { id: o.runId, domain: o.domain, config: o.config ?? {}, status: 'running' });
    const annotator = o.annotator ?? 'labeler';
    const annotatorToken = generateToken();
    if (await store.getAnnotator(annotator)) await store.setAnnotatorToken(annotator, hashToken(annotatorToken));
    else await store.createAnnotator({ name: annotator, role: 'annotator', tokenHash: hashToken(annotatorToken) });
    const base = url.replace(/\/+$/, '');
    const adminToken = server?.adminToken;
    log('');
    log(`labeling app: ${base}/`);
    log(`  label as "${annotator}":  ${base}/label/${encodeURIComponent(o.runId)}#token=${annotatorToken}`);
    if (adminToken) log(`  admin token (shown once): ${adminToken}\n  dashboard:  ${base}/dashboard/${encodeURIComponent(o.runId)}#token=${adminToken}`);
    else log(`  admin: use the admin token printed when this store was created (or \`rlhf serve --db … --new-admin-token\`)`);
    log(`  store: ${store.backend} ${store.location}`);
    log('');
    let closed = false;
    return {
      store,
      runId: o.runId,
      url: base,
      adminToken,
      annotator,
      annotatorToken,
      attached,
      async emit(type, iteration, data) {
        if (type === 'metrics') await emitMetrics(store, o.runId, iteration, jsonSafe(data));
        else await store.appendEvent(o.runId, { type, iteration, data: jsonSafe(data) });
      },
      async close(status = 'done') {
        if (closed) return;
        closed = true;
        try {
          await store.updateRun(o.runId, { status });
        } finally {
          await server?.close();
          await store.close();
        }
      },
    };
  } catch (e) {
    await server?.close();
    await store.close();
    throw e;
  }
}

// ------------------------------------------------------------------------------------------------------------
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

export interface HumanJudgeSetup {
  config: HumanJudgeConfig;
  /** --db, when given */
  db?: string;
  port: number;
  /** true when --port was given (a busy default port falls back to any free one) */
  portGiven: boolean;
  host?: string;
  annotator: string;
  /** the built web app to serve (default: the server's, web/dist); not a flag, for tests and embedders */
  staticDir?: string;
}

/**
 * startHumanSession for a run's --judge human|mixed setup: the store is --db or the run directory `out`. A busy
 * --port is a server to attach to (docs/labeling.md); a busy default port (no --port) falls back to any free port.
 */
export async function openHumanSession(h: HumanJudgeSetup, o: { out: string; runId: string; domain: string; config: JsonObject; log: (line: string) => void }): Promise<HumanSession> {
  const base = { runId: o.runId, domain: o.domain, config: o.config, annotator: h.annotator, log: o.log, db: h.db ?? o.out, ...(h.host ? { host: h.host } : {}), ...(h.staticDir ? { staticDir: h.staticDir } : {}) };
  try {
    // --port given: a server already there is `rlhf serve` for this store, attach to it; the default port: try it
    return await startHumanSession({ ...base, port: h.port, attachIfBusy: h.portGiven });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || h.portGiven) throw e;
    o.log(`port ${h.port} is in use; using any free port`);
    return startHumanSession({ ...base, port: 0 });
  }
}

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

/** A run id from a run directory's name (characters outside [A-Za-z0-9_.-] become "-"). */
export function runIdFromDir(dir: string): string {
  const id = basename(dir).replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 80);
  return id.length > 0 ? id : 'run';
}

// ------------------------------------------------------------------------------------------------------------
// gridworld glue: what `rlhf run gridworld --judge human|mixed` plugs into runGridworld

/** What the glue needs from the experiment (structurally src/domains/gridworld/experiment.ts GridworldExperiment). */
export interface GridworldLike<B extends TrajectoryPairBatch> extends Gatherer<B> {
  config: { size: number; starts: Array<[number, number]>; goals: Array<[number, number]> };
  env: { trueReward: ArrayLike<number> };
  model: { reward(): ArrayLike<number> };
  labelCount: number;
  lastBatch: B | undefined;
}

export interface PeopleInTheLoop<B extends TrajectoryPairBatch> {
  /** the loop's gatherer for the experiment (the session starts at the first gather, after the run directory exists) */
  gatherer(exp: GridworldLike<B>): Gatherer<B>;
  /** after every iteration: metrics, reward heatmaps and sample paths to the dashboard */
  onIteration(e: IterationEvent): Promise<void>;
  /** marks the run done (ok) or failed and stops the server */
  close(ok: boolean): Promise<void>;
}

/** Paths to draw on the dashboard per iteration. */
const DASHBOARD_PATHS = 4;

export function gridworldPeople<B extends TrajectoryPairBatch>(h: HumanJudgeSetup, o: { out: string; config: JsonObject; log?: (line: string) => void }): PeopleInTheLoop<B> {
  const runId = runIdFromDir(o.out);
  const log = o.log ?? ((line: string) => console.error(line));
  let session: Promise<HumanSession> | undefined;
  let exp: GridworldLike<B> | undefined;
  let inner: HumanGatherer<B> | undefined;
  const open = (): Promise<HumanSession> => openHumanSession(h, { out: o.out, runId, domain: 'gridworld', config: o.config, log });
  return {
    gatherer(e) {
      exp = e;
      const maker = gridworldQueryMaker({ size: e.config.size, starts: e.config.starts, goals: e.config.goals, learnedReward: () => (e.labelCount > 0 ? e.model.reward() : undefined) });
      return {
        name: h.config.mode === 'simulated' ? teacherJudgeName(e.name) : h.config.mode,
        async gather(batch, iteration) {
          session ??= open();
          const s = await session;
          inner ??= new HumanGatherer({ store: s.store, runId, maker, config: h.config, teacher: e, log });
          return inner.gather(batch, iteration);
        },
      };
    },
    async onIteration(ev) {
      if (!session || !exp) return;
      const s = await session;
      const N = exp.config.size;
      await s.emit('metrics', ev.iteration, { ...ev.metrics, ...(inner?.metrics() ?? {}) });
      await s.emit('heatmaps', ev.iteration, gridRewardHeatmaps(N, exp.env.trueReward, exp.model.reward(), ev.iteration));
      const b = exp.lastBatch;
      if (b) {
        const H = b.left.horizon;
        const paths = Array.from({ length: Math.min(DASHBOARD_PATHS, b.left.batch) }, (_, i) => ({
          points: Array.from(b.left.states.subarray(i * (H + 1), (i + 1) * (H + 1)), (st) => [st % N, Math.floor(st / N)]),
        }));
        await s.emit('paths', ev.iteration, {
          cols: N,
          rows: N,
          panels: [{ title: `iteration ${ev.iteration}: sample paths`, paths }],
          markers: [...exp.config.starts.map(([x, y]) => ({ x, y, kind: 'start' })), ...exp.config.goals.map(([x, y]) => ({ x, y, kind: 'goal' }))],
          size: 220,
        });
      }
    },
    async close(ok) {
      if (!session) return;
      const s = await session.catch(() => undefined);
      await s?.close(ok ? 'done' : 'failed');
    },
  };
}
