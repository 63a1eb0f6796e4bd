/** Fallback renderer: the payload as indented JSON (a domain without its own renderer still gets labeled). */
import type { Sample } from '../api.js';
import type { RendererProps, SampleRenderer } from './contract.js';

function JsonView({ sample, label, size }: RendererProps) {
  const text = JSON.stringify(sample.payload, null, 2) ?? 'undefined';
  return (
    <figure class={`sample sample-json ${size}`} aria-label={label}>
      <pre>{text.length > 4000 ? `${text.slice(0, 4000)}\n…` : text}</pre>
      <figcaption>{sample.domain} sample {sample.id}</figcaption>
    </figure>
  );
}

export const jsonRenderer: SampleRenderer = {
  domain: 'json',
  noun: 'sample',
  View: JsonView,
  describe: (s: Sample) => `${s.domain} sample ${s.id}`,
};
