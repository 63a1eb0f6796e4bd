/**
 * Agreement between annotators on queries judged by several of them: pairwise percent agreement.
 * Two judgements agree when they say the same thing (same preference, value, label or order); comparison skips
 * are left out (a skip says nothing about the pair).
 */
import type { Judgement, JudgementRecord } from '../feedback/types.js';
import { canonicalJson } from '../feedback/validate.js';

export interface PairAgreement {
  a: string;
  b: string;
  pairs: number;
  agreed: number;
  rate: number;
}

export interface Agreement {
  runId: string;
  iteration: number | null;
  /** queries with ≥ 2 (non-skip) judgements */
  queries: number;
  pairs: number;
  agreed: number;
  /** agreed / pairs, null when there are no pairs */
  rate: number | null;
  /** per pair of annotators, a < b, sorted */
  byPair: PairAgreement[];
}

/** What a judgement says, as a comparable key (the ids are fixed by the query). */
function verdict(j: Judgement): string {
  switch (j.kind) {
    case 'comparison':
      return j.preferred;
    case 'rating':
      return String(j.value);
    case 'correction':
      return canonicalJson([j.label, j.correct ?? null]);
    case 'ranking':
      return j.sampleIds.join('\u0000');
  }
}

/** rate = agreed / pairs over all annotator pairs that judged the same query. */
export function computeAgreement(runId: string, records: JudgementRecord[], iteration: number | null = null): Agreement {
  const byQuery = new Map<string, JudgementRecord[]>();
  for (const r of records) {
    if (r.judgement.kind === 'comparison' && r.judgement.preferred === 'skip') continue;
    const list = byQuery.get(r.queryId);
    if (list) list.push(r);
    else byQuery.set(r.queryId, [r]);
  }
  const pairStats = new Map<string, PairAgreement>();
  let queries = 0;
  let pairs = 0;
  let agreed = 0;
  for (const list of byQuery.values()) {
    if (list.length < 2) continue;
    queries++;
    for (let i = 0; i < list.length; i++) {
      for (let k = i + 1; k < list.length; k++) {
        const x = list[i]!;
        const y = list[k]!;
        const [a, b] = x.annotator < y.annotator ? [x.annotator, y.annotator] : [y.annotator, x.annotator];
        const same = verdict(x.judgement) === verdict(y.judgement);
        const key = `${a}\u0000${b}`;
        let s = pairStats.get(key);
        if (!s) {
          s = { a, b, pairs: 0, agreed: 0, rate: 0 };
          pairStats.set(key, s);
        }
        s.pairs++;
        pairs++;
        if (same) {
          s.agreed++;
          agreed++;
        }
      }
    }
  }
  const byPair = [...pairStats.values()]
    .map((s) => ({ ...s, rate: s.agreed / s.pairs }))
    .sort((p, q) => (p.a === q.a ? (p.b < q.b ? -1 : 1) : p.a < q.a ? -1 : 1));
  return { runId, iteration, queries, pairs, agreed, rate: pairs > 0 ? agreed / pairs : null, byPair };
}
