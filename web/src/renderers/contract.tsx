/**
 * The renderer contract: what a domain's renderer provides (SampleRenderer), the view for a payload it cannot draw
 * (BadPayload) and the registry `sample.domain → renderer`. Every renderer imports this module and nothing else of
 * web/src/renderers, so the renderers and the index that lists them form no circle.
 *
 * Adding a domain: write web/src/renderers/<domain>.tsx exporting a SampleRenderer (its payload type imported from
 * src/domains/<domain>/payload.ts) and add it to the list in web/src/renderers/index.ts.
 */
import type { ComponentType } from 'preact';
import type { Sample } from '../api.js';

export interface RendererProps {
  sample: Sample;
  /** accessible name of the figure, e.g. "Left trajectory" */
  label: string;
  /** 'large' on comparison/rating/correction pages, 'small' in ranking lists */
  size: 'large' | 'small';
}

export interface SampleRenderer {
  /** the `sample.domain` it draws */
  domain: string;
  /** what one sample is called in a question: "Which <noun> is better?" (e.g. 'trajectory', 'image') */
  noun: string;
  /** draws one sample */
  View: ComponentType<RendererProps>;
  /** one line of text about the sample (screen readers, ranking lists) */
  describe(sample: Sample): string;
  /** the model's prediction carried by a sample (correction queries), if any */
  prediction?(sample: Sample): string | number | undefined;
  /** the label names of a correction sample (index = digit key), if any */
  classes?(sample: Sample): string[] | undefined;
}

/** What a renderer shows instead of a payload it cannot draw: which sample, why, and the start of its JSON. */
export function BadPayload({ sample, why }: { sample: Sample; why: string }) {
  return (
    <figure class="sample bad-payload" role="alert">
      <p>
        Cannot draw sample <code>{sample.id}</code> of domain <code>{sample.domain}</code>: {why}.
      </p>
      <pre>{(JSON.stringify(sample.payload) ?? '').slice(0, 300)}</pre>
    </figure>
  );
}

const RENDERERS = new Map<string, SampleRenderer>();

/** Registers (or replaces) the renderer of `r.domain`. */
export function registerRenderer(r: SampleRenderer): void {
  RENDERERS.set(r.domain, r);
}

/** The renderer registered for a domain, if any. */
export function registeredRenderer(domain: string): SampleRenderer | undefined {
  return RENDERERS.get(domain);
}

export function registeredDomains(): string[] {
  return [...RENDERERS.keys()];
}
