/**
 * The digits "generate" page: pick a class (buttons or keys 0–9), see the image the latent policy drew for it,
 * 👍 (↑ or +) / 👎 (↓ or −). Beside it: the thumbs-up rate so far (all classes and this class) and the class's most
 * probable latent options as a grid — they shift as the policy learns from the thumbs.
 */
import { useEffect, useState } from 'preact/hooks';
import { useKeys } from '../../keys.js';
import { href, onLinkClick } from '../../router.js';
import { KeyButton } from '../../labeling/common.js';
import { generateRunId, type GeneratePagePayload } from '../../../../src/domains/digits/payload.js';
import { NUM_CLASSES, className, isGenerate, rate } from './streams.js';
import { useStream } from './useStream.js';
import { StreamStatus } from './StreamStatus.js';
import './digits.css';

function Thumb({ down }: { down?: boolean }) {
  return (
    <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" class="thumb">
      <g transform={down ? 'rotate(180 12 12)' : undefined} fill="currentColor">
        <rect x="2" y="10" width="4" height="11" rx="1" />
        <path d="M8 10 L11.5 2.8 C13 2.5 14.6 3.6 14.3 5.4 L13.6 9 H19.8 C21.1 9 22.1 10.2 21.8 11.5 L20.2 19.3 C19.9 20.3 19 21 18 21 H8 Z" />
      </g>
    </svg>
  );
}

export function GeneratePage({ runId }: { runId: string }) {
  const [cls, setCls] = useState(0);
  const s = useStream(generateRunId(runId, cls));
  const q = s.state.phase === 'labeling' ? s.state.query : undefined;
  const sample = q?.samples[0];
  const p: GeneratePagePayload | undefined = sample && isGenerate(sample.payload) ? sample.payload : undefined;
  // class names arrive with the first query and stay when switching classes
  const [names, setNames] = useState<string[] | undefined>(undefined);
  const incoming = p?.classes?.join('\n');
  useEffect(() => {
    if (incoming !== undefined) setNames(incoming.split('\n'));
  }, [incoming]);

  const thumb = (value: 1 | 0) => {
    if (!s.busy && sample && p) void s.submit({ kind: 'rating', sampleId: sample.id, value }, `${value === 1 ? 'thumbs up' : 'thumbs down'} for ${className(names, p.cls)}`);
  };
  const keys: Record<string, () => void> = { ArrowUp: () => thumb(1), '+': () => thumb(1), '=': () => thumb(1), ArrowDown: () => thumb(0), '-': () => thumb(0) };
  for (let k = 0; k < NUM_CLASSES; k++) keys[String(k)] = () => setCls(k);
  useKeys(keys);

  const st = p?.stats;
  return (
    <main class="digits-page generate" data-phase={s.state.phase} data-query-id={q?.id ?? ''} data-busy={s.busy ? 'true' : 'false'} data-class={cls}>
      <div class="page-head">
        <h1>
          Generate · <code>{runId}</code>
        </h1>
        <a href={href({ page: 'digits', runId, view: 'classify' })} onClick={onLinkClick} class="link">
          Classify page →
        </a>
      </div>
      <nav class="class-picker" aria-label="Class to generate (keys 0–9)">
        {Array.from({ length: NUM_CLASSES }, (_, k) => (
          <button type="button" key={k} class={`class-btn ${k === cls ? 'selected' : ''}`} aria-pressed={k === cls} onClick={() => setCls(k)} data-testid={`class-${k}`}>
            <kbd>{k}</kbd> {names?.[k] !== undefined && names[k] !== String(k) ? names[k] : ''}
          </button>
        ))}
      </nav>
      <div class="digits-layout">
        <section class="digits-main" aria-label="Is this a good image of the class?">
          {p && sample ? (
            <>
              <h2 class="question">
                Is this a good <strong data-testid="asked">{className(names, p.cls)}</strong>?
              </h2>
              <figure class="digit-figure">
                <img class="pixels digit-large" src={p.image} alt={`generated image for class ${className(names, p.cls)}`} data-testid="generated" />
                <figcaption class="muted">
                  option {p.option} (π = {p.prob.toFixed(2)})
                </figcaption>
              </figure>
              <div class="actions" role="group" aria-label="Your judgement">
                <KeyButton keyLabel="↑" onClick={() => thumb(1)} disabled={s.busy} kind="primary" testid="thumbs-up">
                  <Thumb /> Good
                </KeyButton>
                <KeyButton keyLabel="↓" onClick={() => thumb(0)} disabled={s.busy} kind="primary" testid="thumbs-down">
                  <Thumb down /> Bad
                </KeyButton>
              </div>
            </>
          ) : (
            <StreamStatus state={s.state} what={`an image of class ${className(names, cls)}`} />
          )}
        </section>
        <aside class="digits-side" aria-label="How the generator is doing">
          <h3 class="side-title">Thumbs-up rate so far</h3>
          <dl class="digits-stats">
            <div>
              <dt>all classes</dt>
              <dd data-testid="rate-all">{st ? rate(st.thumbsUp, st.ratings) : '–'}</dd>
            </div>
            <div>
              <dt>this class</dt>
              <dd data-testid="rate-class">{st ? rate(st.classThumbsUp, st.classRatings) : '–'}</dd>
            </div>
            <div>
              <dt>your thumbs on this page</dt>
              <dd data-testid="given">{s.given}</dd>
            </div>
          </dl>
          {p?.top && p.top.length > 0 && (
            <figure class="top-options" data-testid="top-options">
              <figcaption>Most probable options now</figcaption>
              <div class="top-grid">
                {p.top.map((t) => (
                  <div class={`top-cell ${t.option === p.option ? 'current' : ''}`} key={t.option} data-option={t.option} data-prob={t.prob}>
                    <img class="pixels" src={t.image} alt={`option ${t.option}, probability ${t.prob.toFixed(2)}`} />
                    <span>{t.prob.toFixed(2)}</span>
                  </div>
                ))}
              </div>
            </figure>
          )}
        </aside>
      </div>
      <p class="status-line" role="status" aria-live="polite" data-testid="status">
        {s.message}
      </p>
    </main>
  );
}
