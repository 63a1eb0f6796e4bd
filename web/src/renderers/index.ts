/**
 * Sample renderers, one per domain: a labeling page draws each sample of a query with the renderer registered for
 * `sample.domain` (web/src/renderers/<domain>.tsx). A sample of an unknown domain falls back to a renderer picked
 * by the payload's shape (an image, a prompt + continuation), and finally to its JSON.
 *
 * The contract (SampleRenderer, BadPayload, the registry) is in contract.tsx. Adding a domain: write
 * web/src/renderers/<domain>.tsx exporting a SampleRenderer and add it to the list below.
 */
import type { Sample } from '../api.js';
import { adderRenderer } from './adder.js';
import { registerRenderer, registeredRenderer, type SampleRenderer } from './contract.js';
import { digitsRenderer, looksLikeImage } from './digits.js';
import { gridworldRenderer } from './gridworld.js';
import { jsonRenderer } from './json.js';
import { lineRenderer } from './line.js';
import { looksLikeText, textRenderer } from './text.js';

for (const r of [gridworldRenderer, lineRenderer, adderRenderer, digitsRenderer, textRenderer]) registerRenderer(r);

/** The renderer for a sample: by domain, else by payload shape, else JSON. */
export function rendererFor(sample: Sample): SampleRenderer {
  const byDomain = registeredRenderer(sample.domain);
  if (byDomain) return byDomain;
  if (looksLikeImage(sample.payload)) return digitsRenderer;
  if (looksLikeText(sample.payload)) return textRenderer;
  return jsonRenderer;
}
