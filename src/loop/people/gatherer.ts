/**
 * People in the loop: the one Gatherer (src/loop/parts.ts) that asks the labeling server's annotators instead of (or
 * besides) a simulated teacher, for every domain. Per iteration it
 *   1. turns the first `labelsPerIteration` queries of the batch into store queries (the domain's QueryMaker) and
 *      posts them (the server hands them to people, one at a time, with a lease);
 *   2. waits until they are judged (× redundancy) or `timeoutSeconds` passed;
 *   3. mixed mode: the simulated teacher answers what people left unanswered, recorded as `teacher:<name>`;
 *   4. returns one label per query of the batch: the mean preference probability μ̄ of its judgements (a 2:1 vote for
 *      left reaches the fit as μ = ⅔), null for queries not posted, unanswered, or only skipped. A domain whose label
 *      is not μ (e.g. a class correction) has its QueryMaker read its judgements (`label`) and write its teacher's
 *      (`judgement`).
 * Every judgement is stored with who made it: an annotator's name, or `teacher:<name>`.
 *
 * In human mode, queries still unanswered at the timeout stay in the pool: people may still judge them (the store
 * keeps those judgements for export and agreement), but the loop has moved on and does not train on them.
 */
import { defineOptions } from '../../core/config/options.js';
import { ConfigError, RlhfError } from '../../core/errors.js';
import { comparisonTarget, type Judgement, type JudgementRecord, type Preference, type Query } from '../../feedback/types.js';
import { postQueries, unansweredQueries, waitForJudgements } from '../../store/loopBridge.js';
import type { FeedbackStore } from '../../store/types.js';
import { JUDGE_MODES, type JudgeMode, type Gatherer, type Label, type Metrics, type QueryMaker } from '../parts.js';
export { JUDGE_MODES, type JudgeMode, type QueryMaker } from '../parts.js';


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

/** --help section of the people-in-the-loop options. */
export const HUMAN_JUDGE_SECTION = 'people in the loop (docs/labeling.md)';

/** The judge's options, each described once (resolveHumanJudgeConfig, the flags and --help come from it). */
export const HUMAN_JUDGE_OPTIONS = defineOptions<HumanJudgeConfig>(
  'human judge',
  [
    {
      key: 'mode',
      flag: 'judge',
      type: 'enum',
      choices: JUDGE_MODES,
      default: 'human',
      metavar: 'MODE',
      help: 'who judges: simulated (the teacher), human (people in the web app), mixed (people; the teacher answers what they leave unanswered at the timeout)',
    },
    { key: 'labelsPerIteration', type: 'int', min: 1, max: 10_000, default: 10, metavar: 'N', help: 'comparisons shown to people per iteration' },
    { key: 'timeoutSeconds', flag: 'judge-timeout', type: 'number', min: 0, exclusiveMin: true, max: 7 * 24 * 3600, default: 300, metavar: 'S', help: 'seconds to wait for people per iteration' },
    { key: 'redundancy', type: 'int', min: 1, max: 100, default: 1, metavar: 'R', help: 'different annotators asked per comparison (measures agreement)' },
    { key: 'pollMs', flag: false, type: 'int', min: 10, max: 60_000, default: 200, help: 'how often the store is polled while waiting, ms' },
  ],
  { section: HUMAN_JUDGE_SECTION },
);

export const HUMAN_JUDGE_DEFAULTS: HumanJudgeConfig = HUMAN_JUDGE_OPTIONS.resolve();

/** Fills defaults and checks every range; ConfigError names the command-line flag. */
export function resolveHumanJudgeConfig(partial: Partial<HumanJudgeConfig> = {}): HumanJudgeConfig {
  return HUMAN_JUDGE_OPTIONS.resolve(partial);
}

/** What happened in the last gather (for logs, the dashboard and tests). */
export interface GatherStats {
  iteration: number;
  /** queries posted this iteration */
  posted: number;
  /** judgements by people / by the teacher used this iteration (skips included) */
  human: number;
  teacher: number;
  /** queries with an informative label (not null) */
  informative: number;
  /** true when the wait ended at the timeout */
  timedOut: boolean;
  waitedMs: number;
}

export interface HumanGathererOptions<B, L = Label> {
  store: FeedbackStore;
  runId: string;
  maker: QueryMaker<B, L>;
  config: HumanJudgeConfig;
  /** the simulated teacher (required for mixed and simulated modes); its `name` is recorded, e.g. "teacher:oracle" */
  teacher?: Gatherer<B, L>;
  /** stops a wait early (e.g. Ctrl-C) */
  signal?: AbortSignal;
  /** one line per event worth telling the operator ("waiting for 10 labels…") */
  log?: (line: string) => void;
}

/** A query id: unique across the store (run id + iteration + index in the batch). */
export function queryId(runId: string, iteration: number, index: number): string {
  const id = `${runId}:${iteration}:${index}`;
  if (id.length > 128) throw new ConfigError('run-id', `run id "${runId}" is too long for query ids (≤ ${128 - id.length + runId.length} characters)`);
  return id;
}

/** The teacher's name as recorded in judgements: "teacher:<name>". */
export function teacherJudgeName(name: string): string {
  return `teacher:${name.replace(/^teacher:/, '')}`;
}

/**
 * The label one judgement gives its query: a comparison's μ = P(left ≻ right) (1 left, 0 right, ½ tie); a thumbs
 * rating's value (1 up, 0 down). undefined: a skip, or a judgement that says nothing about μ.
 */
export function judgementTarget(j: Judgement): number | undefined {
  if (j.kind === 'comparison') return comparisonTarget(j.preferred);
  if (j.kind === 'rating' && j.value >= 0 && j.value <= 1) return j.value;
  return undefined;
}

/** One label per query from its judgements: the mean μ̄ of the informative ones; none (or only skips) → null. */
export function combineJudgements(records: JudgementRecord[]): Label {
  let sum = 0;
  let n = 0;
  for (const r of records) {
    const mu = judgementTarget(r.judgement);
    if (mu === undefined) continue;
    sum += mu;
    n++;
  }
  return n === 0 ? null : sum / n;
}

/** The judgement a teacher's label stands for, on a query: comparison μ → left / right / tie; rating → its value. */
export function teacherJudgement(q: Query, label: Label): Judgement {
  if (q.kind === 'comparison') {
    const [left, right] = q.samples;
    if (!left || !right) throw new RlhfError('E_FEEDBACK', `query ${q.id} is not a comparison of two samples`);
    const preferred: Preference = label === null ? 'skip' : label > 0.5 ? 'left' : label < 0.5 ? 'right' : 'tie';
    return { kind: 'comparison', leftId: left.id, rightId: right.id, preferred };
  }
  if (q.kind === 'rating') {
    const s = q.samples[0];
    if (!s) throw new RlhfError('E_FEEDBACK', `query ${q.id} has no sample to rate`);
    if (label === null) throw new RlhfError('E_FEEDBACK', `a teacher cannot skip the rating query ${q.id}: it has no skip judgement`);
    return { kind: 'rating', sampleId: s.id, value: label };
  }
  throw new RlhfError('E_FEEDBACK', `query ${q.id}: a teacher's label can be recorded for comparisons and ratings, not "${q.kind}"`);
}

export class HumanGatherer<B, L = Label> implements Gatherer<B, L> {
  readonly name: string;
  /** stats of the last gather() */
  last: GatherStats | undefined;
  private readonly o: HumanGathererOptions<B, L>;

  constructor(o: HumanGathererOptions<B, L>) {
    if (o.config.mode !== 'human' && !o.teacher) throw new ConfigError('judge', `--judge ${o.config.mode} needs a simulated teacher`);
    this.o = o;
    this.name = o.config.mode === 'human' ? 'human' : o.config.mode === 'mixed' ? `mixed(${teacherJudgeName(o.teacher!.name)})` : teacherJudgeName(o.teacher!.name);
  }

  async gather(batch: B, iteration: number): Promise<L[]> {
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
      this.last = { iteration, posted: fresh.length, human: 0, teacher: labels.length, informative: labels.filter((l) => l !== null).length, timedOut: false, waitedMs: 0 };
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

    // 4. one label per query of the batch: the mean μ of its judgements (or the maker's reading of them)
    const byQuery = new Map<string, JudgementRecord[]>();
    for (const r of records) {
      const list = byQuery.get(r.queryId) ?? [];
      list.push(r);
      byQuery.set(r.queryId, list);
    }
    const labels: L[] = new Array<L>(n).fill(null as L); // L includes null: not posted or unanswered
    for (const q of queries) labels[index.get(q.id)!] = this.label(byQuery.get(q.id) ?? [], q);
    this.last = {
      iteration,
      posted: fresh.length,
      human,
      teacher: taught,
      informative: labels.filter((l) => l !== null).length,
      timedOut: waited.timedOut,
      waitedMs: Date.now() - t0,
    };
    return labels;
  }

  /** A query's label from its judgements: the maker's reading, by default the mean μ (L = Label). */
  private label(records: JudgementRecord[], q: Query): L {
    const { maker } = this.o;
    return maker.label ? maker.label(records, q) : (combineJudgements(records) as L);
  }

  /** Stores a teacher's judgement on a query (idempotent: a resumed run finds it there). */
  private async record(q: Query, judge: string, label: L): Promise<JudgementRecord> {
    const { maker } = this.o;
    const judgement = maker.judgement ? maker.judgement(q, label) : teacherJudgement(q, label as Label);
    return (await this.o.store.addJudgement({ queryId: q.id, annotator: judge, judgement })).record;
  }

  /** Metrics of the last gather (namespaced; docs/metrics.md). */
  metrics(): Metrics {
    const l = this.last;
    if (!l) return {};
    return { 'feedback/human_labels': l.human, 'feedback/teacher_labels': l.teacher, 'feedback/informative': l.informative, 'feedback/wait_seconds': l.waitedMs / 1000 };
  }
}
