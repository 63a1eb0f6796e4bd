/**
 * Text samples: a prompt and the model's continuation.
 * Payload: { prompt: string, continuation: string } (`response` or `completion` are accepted for the continuation).
 */
import type { Sample } from '../api.js';
import type { RendererProps, SampleRenderer } from './index.js';

export interface TextPayload {
  prompt: string;
  continuation?: string;
  response?: string;
  completion?: string;
}

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

export const textRenderer: SampleRenderer = {
  domain: 'text',
  View: TextView,
  describe: (s: Sample) => (looksLikeText(s.payload) ? `${s.payload.prompt} ${continuationOf(s.payload)}`.slice(0, 200) : s.id),
};
