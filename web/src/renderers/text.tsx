/**
 * Text samples: a prompt and the model's continuation.
 * Payload: the text domain's TextSamplePayload { prompt, continuation } (src/domains/text/payload.ts); samples of
 * imported pairs carry `response` instead (src/feedback/jsonl.ts), and `completion` is accepted too.
 */
import type { Sample } from '../api.js';
import type { TextSamplePayload } from '../../../src/domains/text/payload.js';
import { BadPayload, type RendererProps, type SampleRenderer } from './contract.js';

/** What this renderer draws: the domain's payload, or a prompt with the continuation under another name. */
export type TextPayload = Pick<TextSamplePayload, 'prompt'> & Partial<Pick<TextSamplePayload, 'continuation'>> & { response?: string; completion?: string };

export function looksLikeText(p: unknown): p is TextPayload {
  return typeof p === 'object' && p !== null && typeof (p as TextPayload).prompt === 'string';
}

function continuationOf(p: TextPayload): string {
  return p.continuation ?? p.response ?? p.completion ?? '';
}

function TextView({ sample, label, size }: RendererProps) {
  const p = sample.payload;
  if (!looksLikeText(p)) return <BadPayload sample={sample} why="it has no string field `prompt`" />;
  return (
    <figure class={`sample sample-text ${size}`} aria-label={label}>
      <p class="text-sample">
        <span class="prompt">{p.prompt}</span>
        <span class="continuation">{continuationOf(p)}</span>
      </p>
    </figure>
  );
}

export const textRenderer: SampleRenderer = {
  domain: 'text',
  noun: 'continuation',
  View: TextView,
  describe: (s: Sample) => (looksLikeText(s.payload) ? `${s.payload.prompt} ${continuationOf(s.payload)}`.slice(0, 200) : s.id),
};
