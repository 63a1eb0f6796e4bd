/**
 * What the text loop shows people: a prompt and one continuation of it per query sample, as JSON. The Node side
 * builds it (rlhf/queries.ts `textQueryMaker`) and the web app draws it (web/src/renderers/text.tsx, which imports this
 * type; docs/web.md shows an example). Types only — no Node module — so the browser can import it.
 */

/** One side of a comparison: the prompt and the continuation the policy wrote (without the prompt). */
export interface TextSamplePayload {
  prompt: string;
  continuation: string;
}
