/**
 * You in the loop: the playground's PeopleHooks (src/loop/parts.ts), the browser counterpart of the labeling server's
 * gatherer (src/loop/people/gatherer.ts), built from the same pieces: the domain's QueryMaker makes the queries, one
 * label per query is the mean μ̄ of its judgements (combineJudgements), a teacher's label is recorded as the judgement
 * it stands for (teacherJudgement). Per iteration:
 *   1. the first `ask` queries of the batch (query ids runId:iteration:index, as the server's);
 *   2. those already judged in this browser (a reload mid-iteration, an imported file) are not asked again;
 *   3. the others go on the desk (what the page shows you) until you have judged them all, the timeout passed, or,
 *      mixed, you let the teacher answer the rest;
 *   4. mixed: the teacher answers what is still open, recorded as teacher:<name>;
 *   5. every judgement is kept in IndexedDB (storage.ts) as you make it.
 */
import type { Judgement, JudgementRecord, Query } from '../../src/feedback/types.js';
import { canonicalJson } from '../../src/feedback/validate.js';
import { combineJudgements, queryId, teacherJudgeName, teacherJudgement } from '../../src/loop/people/gatherer.js';
import type { FigureEvent, Gatherer, IterationEvent, JudgeMode, Label, PeopleHooks, QueryMaker } from '../../src/loop/parts.js';
import { deleteJudgement, judgementsOf, queriesOf, saveJudgements } from './storage.js';

/** Your name in the judgements you make. */
export const YOU = 'you';

/** What the page shows you: the open queries of the current iteration, and the judgements you can undo. */
export interface DeskState {
  iteration: number;
  open: Query[];
  /** judgements you made this iteration, latest last (undo takes the last) */
  given: JudgementRecord[];
  /** whether the run waits for you right now */
  waiting: boolean;
}

type Listener = (s: DeskState) => void;

/** Thrown inside a run that the page stopped (to start another). */
export class RunStopped extends Error {
  constructor() {
    super('the run was stopped');
    this.name = 'RunStopped';
  }
}

export class Desk {
  private state: DeskState = { iteration: 0, open: [], given: [], waiting: false };
  private listeners = new Set<Listener>();
  private wake: (() => void) | undefined;
  private fillRequested = false;
  private aborted = false;

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    l(this.state);
    return () => this.listeners.delete(l);
  }

  get current(): DeskState {
    return this.state;
  }

  private set(s: Partial<DeskState>): void {
    this.state = { ...this.state, ...s };
    for (const l of this.listeners) l(this.state);
  }

  /**
   * Shows `open` and resolves when all are judged, the timeout passed, or the teacher was asked to answer the rest;
   * with the queries left unjudged (taken off the desk).
   */
  async ask(iteration: number, open: Query[], timeoutMs: number): Promise<{ outcome: 'judged' | 'timeout' | 'teacher'; left: Query[] }> {
    this.fillRequested = false;
    let timedOut = false;
    this.set({ iteration, open, given: [], waiting: open.length > 0 });
    const timer = timeoutMs > 0 ? window.setTimeout(() => ((timedOut = true), this.wake?.()), timeoutMs) : undefined;
    try {
      for (;;) {
        if (this.aborted) throw new RunStopped();
        if (this.state.open.length === 0) return { outcome: 'judged', left: [] };
        if (this.fillRequested) return { outcome: 'teacher', left: this.state.open };
        if (timedOut) return { outcome: 'timeout', left: this.state.open };
        await new Promise<void>((r) => (this.wake = r));
      }
    } finally {
      window.clearTimeout(timer);
      this.wake = undefined;
      this.set({ waiting: false, open: [] });
    }
  }

  /** Your judgement of the query on screen (the first open one): kept in IndexedDB, then the next is shown. */
  async judge(q: Query, j: Judgement): Promise<void> {
    if (!this.state.open.some((o) => o.id === q.id)) return;
    const rec: JudgementRecord = { queryId: q.id, runId: q.runId, annotator: YOU, judgement: j, createdAt: new Date().toISOString() };
    await saveJudgements([], [rec]);
    this.set({ open: this.state.open.filter((o) => o.id !== q.id), given: [...this.state.given, rec] });
    this.wake?.();
  }

  /** Takes back your last judgement of this iteration: the query is shown again. */
  async undo(queries: Map<string, Query>): Promise<boolean> {
    const last = this.state.given[this.state.given.length - 1];
    const q = last && queries.get(last.queryId);
    if (!last || !q || !this.state.waiting) return false;
    await deleteJudgement(last.queryId, last.annotator);
    this.set({ open: [q, ...this.state.open], given: this.state.given.slice(0, -1) });
    return true;
  }

  /** Stops the run waiting at the desk (a new run, an import): its ask() throws RunStopped. */
  abort(): void {
    this.aborted = true;
    this.wake?.();
  }

  /** Ready for the next run. */
  reset(): void {
    this.aborted = false;
    this.set({ iteration: 0, open: [], given: [], waiting: false });
  }

  /** Mixed: the teacher answers the open queries now. */
  letTeacherAnswer(): void {
    this.fillRequested = true;
    this.wake?.();
  }
}

export interface BrowserPeopleOptions {
  runId: string;
  mode: JudgeMode;
  /** queries shown per iteration */
  ask: number;
  /** ms to wait per iteration; 0 = no limit */
  timeoutMs: number;
  desk: Desk;
  /** after every iteration: the metrics and the domain's figures (the page draws them) */
  onIteration(event: IterationEvent, figures: FigureEvent[]): void | Promise<void>;
}

/** What happened in the last gather (shown on the page). */
export interface GatherStats {
  iteration: number;
  asked: number;
  byYou: number;
  byTeacher: number;
}

export class BrowserPeople implements PeopleHooks {
  readonly mode: JudgeMode;
  last: GatherStats | undefined;
  /** judgements dropped because their query showed other samples than the replay's (an import of other settings) */
  mismatched = 0;
  /** every query of the run put to people, by id (the desk's undo needs them) */
  readonly queries = new Map<string, Query>();

  constructor(private readonly o: BrowserPeopleOptions) {
    this.mode = o.mode;
  }

  /** (the playground's domains answer with μ: a maker with its own label type is not supported in the page) */
  judge<B, L = Label>(teacherL: Gatherer<B, L>, makerL: QueryMaker<B, L>): Gatherer<B, L> {
    const teacher = teacherL as unknown as Gatherer<B>;
    const maker = makerL as unknown as QueryMaker<B>;
    return this.judgeMu(teacher, maker) as unknown as Gatherer<B, L>;
  }

  private judgeMu<B>(teacher: Gatherer<B>, maker: QueryMaker<B>): Gatherer<B> {
    const o = this.o;
    const self = this;
    return {
      name: o.mode === 'human' ? 'human' : `mixed(${teacherJudgeName(teacher.name)})`,
      async gather(batch: B, iteration: number): Promise<Label[]> {
        // 1. the queries of this iteration
        const n = maker.size(batch);
        const k = Math.min(o.ask, n);
        const queries = Array.from({ length: k }, (_, i) => ({ ...maker.query(batch, i, iteration, queryId(o.runId, iteration, i)), runId: o.runId }));
        // 2. what this browser knows already (a reload mid-iteration, an import): the same query, judged
        const known = await self.known(queries);
        await saveJudgements(queries, []);
        for (const q of queries) self.queries.set(q.id, q);
        const open = queries.filter((q) => !known.has(q.id));
        // 3. you
        const { outcome, left } = await o.desk.ask(iteration, open, o.timeoutMs);
        const byYou = open.length - left.length;
        const records = new Map<string, JudgementRecord[]>();
        for (const r of await judgementsOf(o.runId)) if (r.queryId.startsWith(`${o.runId}:${iteration}:`)) records.set(r.queryId, [...(records.get(r.queryId) ?? []), r]);
        // 4. mixed: the teacher answers what is still open
        let byTeacher = 0;
        const still = queries.filter((q) => !records.has(q.id));
        if (o.mode === 'mixed' && still.length > 0 && outcome !== 'judged') {
          const labels = await teacher.gather(batch, iteration);
          const judge = teacherJudgeName(teacher.name);
          const made: JudgementRecord[] = still.map((q) => ({
            queryId: q.id,
            runId: o.runId,
            annotator: judge,
            judgement: teacherJudgement(q, labels[Number(q.id.slice(q.id.lastIndexOf(':') + 1))] ?? null),
            createdAt: new Date().toISOString(),
          }));
          await saveJudgements([], made);
          for (const r of made) records.set(r.queryId, [r]);
          byTeacher = made.length;
        }
        self.last = { iteration, asked: k, byYou, byTeacher };
        // 5. one label per query of the batch: μ̄ of its judgements; not asked → null
        const labels = new Array<Label>(n).fill(null);
        queries.forEach((q, i) => (labels[i] = combineJudgements(records.get(q.id) ?? [])));
        return labels;
      },
    };
  }

  /**
   * The ids of queries judged already. A stored judgement counts only when its stored query shows the same samples
   * (an imported file of a run with other settings does not): the others are dropped and counted in `mismatched`.
   */
  private async known(queries: Query[]): Promise<Set<string>> {
    const stored = new Map((await queriesOf(this.o.runId)).map((q) => [q.id, q]));
    const judged = await judgementsOf(this.o.runId);
    const out = new Set<string>();
    for (const q of queries) {
      const mine = judged.filter((r) => r.queryId === q.id);
      if (mine.length === 0) continue;
      const s = stored.get(q.id);
      if (s && canonicalJson(s.samples) === canonicalJson(q.samples)) out.add(q.id);
      else {
        for (const r of mine) await deleteJudgement(r.queryId, r.annotator);
        this.mismatched += mine.length;
      }
    }
    return out;
  }

  async publish(event: IterationEvent, figures: FigureEvent[]): Promise<void> {
    await this.o.onIteration(event, figures);
  }

  async close(): Promise<void> {}
}
