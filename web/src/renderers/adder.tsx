/**
 * Adder answers: the sum asked (a + b) and the answer proposed, x — a real number, the agent's action. The better of two
 * answers is the one closer to a + b (the simulated teacher's rule).
 * Payload: AdderAnswerPayload of src/domains/adder/payload.ts (built by `adderQueryMaker`, src/domains/adder/queries.ts;
 * an example in docs/web.md): { a, b, x }.
 */
import type { Sample } from '../api.js';
import type { AdderAnswerPayload } from '../../../src/domains/adder/payload.js';
import { BadPayload, type RendererProps, type SampleRenderer } from './contract.js';

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The payload, or why it cannot be drawn. */
export function checkAdderPayload(p: unknown): AdderAnswerPayload | string {
  if (typeof p !== 'object' || p === null) return 'the payload is not an object';
  const q = p as Partial<AdderAnswerPayload>;
  if (!finite(q.a) || !finite(q.b)) return '`a` and `b` must be finite numbers';
  if (!finite(q.x)) return '`x` (the answer) must be a finite number';
  return q as AdderAnswerPayload;
}

/** An answer as shown: integers as they are, other numbers to 3 decimals (answers late in a run differ by little). */
export function formatAnswer(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(3);
}

function AdderView({ sample, label, size }: RendererProps) {
  const p = checkAdderPayload(sample.payload);
  if (typeof p === 'string') return <BadPayload sample={sample} why={p} />;
  const x = formatAnswer(p.x);
  const big = size === 'large';
  return (
    <figure class={`sample sample-adder ${size}`} aria-label={`${label}: ${p.a} + ${p.b} = ${x}?`} data-a={p.a} data-b={p.b} data-x={p.x}>
      <p style={{ margin: 0, fontSize: big ? '1.1rem' : '0.9rem' }}>
        {p.a} + {p.b} =
      </p>
      <p style={{ margin: 0, fontSize: big ? '2.4rem' : '1.3rem', fontWeight: 700, fontVariantNumeric: 'tabular-nums' }} data-testid="answer">
        {x}
      </p>
      <figcaption>the answer proposed for {p.a} + {p.b}</figcaption>
    </figure>
  );
}

export const adderRenderer: SampleRenderer = {
  domain: 'adder',
  noun: 'answer',
  View: AdderView,
  describe: (s: Sample) => {
    const p = checkAdderPayload(s.payload);
    return typeof p === 'string' ? `answer ${s.id}` : `${p.a} + ${p.b} = ${formatAnswer(p.x)}`;
  },
};
