/**
 * What the adder shows people: one proposed answer per query sample, as JSON. The query maker builds it (queries.ts
 * `adderQueryMaker`) and the web app draws it (web/src/renderers/adder.tsx, which imports this type; docs/web.md
 * shows an example). Types only — no Node module — so the browser can import it.
 */

/** A proposed answer x (a real number: the agent's action) to the sum a + b. The better answer is the closer one. */
export interface AdderAnswerPayload {
  /** the state: two integers in [0, stateMax) */
  a: number;
  b: number;
  /** the answer proposed */
  x: number;
}
