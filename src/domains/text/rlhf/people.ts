/**
 * People in the text loop: `rlhf run text --judge human|mixed`. The feedback phase's pairs of continuations go to
 * the labeling server as comparison queries (one batch = one iteration; web/src/renderers/text.tsx draws each side
 * as prompt + continuation, the comparison page puts them side by side with the usual keys ← → ↓ space). The
 * loop waits for them (HumanGatherer, src/loop/humanJudge.ts); under --judge mixed the simulated sentiment judge
 * answers what people left open at the timeout, recorded as "teacher:sentiment". The answers feed the text reward
 * model exactly as the judge's would (Bradley–Terry targets; skips dropped).
 *
 * A stopped run (Ctrl-C, a crash) started again with the same seed makes the same pairs, finds their queries in the
 * store and keeps every judgement people gave.
 */
import { comparisonTarget, type Preference, type Query } from '../../../feedback/types.js';
import { HumanGatherer, type QueryMaker } from '../../../loop/people/gatherer.js';
import { runIdFromDir, openHumanSession, type HumanJudgeSetup, type HumanSession } from '../../../loop/people/session.js';
import type { Gatherer } from '../../../loop/parts.js';
import type { JsonObject } from '../../../store/types.js';
import type { TextSamplePayload } from '../payload.js';
import type { TextPairToJudge } from './run.js';

/** One batch of pairs and the simulated judge that can answer them. */
export interface TextPairBatch {
  pairs: TextPairToJudge[];
  simulated: (pairs: TextPairToJudge[]) => Preference[];
}

/** Comparison queries about text pairs: left = pair.left, right = pair.right. */
export const textQueryMaker: QueryMaker<TextPairBatch> = {
  size: (b) => b.pairs.length,
  query(b, i, iteration, id): Query<TextSamplePayload> {
    const p = b.pairs[i]!;
    return {
      id,
      runId: '',
      kind: 'comparison',
      iteration,
      samples: [
        { id: `${id}:L`, domain: 'text', payload: { prompt: p.prompt, continuation: p.left } },
        { id: `${id}:R`, domain: 'text', payload: { prompt: p.prompt, continuation: p.right } },
      ],
    };
  },
};

export interface TextPeople {
  /** the TextRlhf hook: people (and, mixed, the judge) compare a batch of pairs */
  compare(pairs: TextPairToJudge[], batch: number, simulated: (pairs: TextPairToJudge[]) => Preference[]): Promise<Preference[]>;
  /** a metrics row of the loop to the dashboard (no-op before the session started) */
  emit(row: Record<string, number>, iteration: number): Promise<void>;
  /** marks the run done (ok) or failed and stops the server */
  close(ok: boolean): Promise<void>;
  /** the session, once the first batch started it */
  session(): Promise<HumanSession> | undefined;
}

/** People for `rlhf run text`: the session (store + server + token) starts with the first batch. */
export function textPeople(h: HumanJudgeSetup, o: { out: string; config: JsonObject; log?: (line: string) => void; signal?: AbortSignal }): TextPeople {
  const runId = runIdFromDir(o.out);
  const log = o.log ?? ((line: string) => console.error(line));
  let session: Promise<HumanSession> | undefined;
  let gatherer: HumanGatherer<TextPairBatch> | undefined;
  const open = (): Promise<HumanSession> => openHumanSession(h, { out: o.out, runId, domain: 'text', config: o.config, log });
  // the judge answers the whole batch; HumanGatherer uses its answers for the queries people left open (mixed)
  const teacher: Gatherer<TextPairBatch> = { name: 'sentiment', gather: async (b) => b.simulated(b.pairs).map((p) => comparisonTarget(p) ?? null) };
  return {
    async compare(pairs, batch, simulated) {
      session ??= open();
      const s = await session;
      // every pair of a batch is shown to people (a batch is at most batchSize / 2 pairs)
      gatherer ??= new HumanGatherer({ store: s.store, runId, maker: textQueryMaker, config: { ...h.config, labelsPerIteration: 10_000 }, teacher, log, ...(o.signal ? { signal: o.signal } : {}) });
      const labels = await gatherer.gather({ pairs, simulated }, batch);
      await s.emit('metrics', batch, gatherer.metrics());
      // TODO(one loop): the text reward fit takes μ directly once text runs through the driver
      return labels.map((mu): Preference => (mu === null ? 'skip' : mu > 0.5 ? 'left' : mu < 0.5 ? 'right' : 'tie'));
    },
    async emit(row, iteration) {
      if (!session) return;
      await (await session).emit('metrics', iteration, row);
    },
    async close(ok) {
      if (!session) return;
      const s = await session.catch(() => undefined);
      await s?.close(ok ? 'done' : 'failed');
    },
    session: () => session,
  };
}
