/**
 * Sample renderers, one per domain: a labeling page draws each sample of a query with the renderer registered for
 * `sample.domain` (web/src/renderers/<domain>.tsx). A sample of an unknown domain falls back to a renderer picked
 * by the payload's shape (an image, a prompt + continuation), and finally to its JSON.
 *
 * Adding a domain: write web/src/renderers/<domain>.tsx exporting a SampleRenderer and add it to RENDERERS below.
 */
import type { ComponentType } from 'preact';
import type { Sample } from '../api.js';
import { digitsRenderer, looksLikeImage } from './digits.js';
import { gridworldRenderer } from './gridworld.js';
import { jsonRenderer } from './json.js';
import { looksLikeText, textRenderer } from './text.js';

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
  /** draws one sample */
  View: ComponentType<RendererProps>;
  /** one line of text about the sample (screen readers, ranking lists) */
  describe(sample: Sample): string;
  /** the model's prediction carried by a sample (correction queries), if any */
  prediction?(sample: Sample): string | number | undefined;
  /** the label names of a correction sample (index = digit key), if any */
  classes?(sample: Sample): string[] | undefined;
}

const RENDERERS = new Map<string, SampleRenderer>();

export function registerRenderer(r: SampleRenderer): void {
  RENDERERS.set(r.domain, r);
}

for (const r of [gridworldRenderer, digitsRenderer, textRenderer]) registerRenderer(r);

/** The renderer for a sample: by domain, else by payload shape, else JSON. */
export function rendererFor(sample: Sample): SampleRenderer {
  const byDomain = RENDERERS.get(sample.domain);
  if (byDomain) return byDomain;
  if (looksLikeImage(sample.payload)) return digitsRenderer;
  if (looksLikeText(sample.payload)) return textRenderer;
  return jsonRenderer;
}

export function registeredDomains(): string[] {
  return [...RENDERERS.keys()];
}
