/**
 * The digits "classify" page: an image with the classifier's prediction and its probability. Enter/c: correct;
 * x: incorrect (then a digit key or button gives the true label, Escape: "incorrect" without one); 0–9: the true
 * label directly (= correct when it is the prediction).
 */
import { useEffect, useState } from 'preact/hooks';
import { useKeys } from '../../keys.js';
import { href, onLinkClick } from '../../router.js';
import { KeyButton } from '../../labeling/common.js';
import { classifyRunId, type ClassifyPagePayload } from '../../../../src/domains/digits/payload.js';
import { NUM_CLASSES, className, isClassify, rate } from './streams.js';
import { useStream } from './useStream.js';
import { StreamStatus } from './StreamStatus.js';
import './digits.css';

export function ClassifyPage({ runId }: { runId: string }) {
  const s = useStream(classifyRunId(runId));
  const q = s.state.phase === 'labeling' ? s.state.query : undefined;
  const sample = q?.samples[0];
  const p: ClassifyPagePayload | undefined = sample && isClassify(sample.payload) ? sample.payload : undefined;
  const [picking, setPicking] = useState(false);
  useEffect(() => setPicking(false), [q?.id]);

  const answer = (label: number, correct: boolean, said: string) => {
    if (!s.busy && sample && p) void s.submit({ kind: 'correction', sampleId: sample.id, label, correct }, said);
  };
  const confirm = () => p && answer(p.predicted, true, `correct (${className(p.classes, p.predicted)})`);
  const label = (k: number) => p && answer(k, k === p.predicted, k === p.predicted ? `correct (${className(p.classes, k)})` : `the true label is ${className(p.classes, k)}`);
  const wrongNoLabel = () => p && answer(-1, false, 'incorrect');
  const keys: Record<string, () => void> = {
    Enter: confirm,
    c: confirm,
    x: () => setPicking(true),
    Escape: () => (picking ? wrongNoLabel() : undefined),
  };
  for (let k = 0; k < NUM_CLASSES; k++) keys[String(k)] = () => label(k);
  useKeys(keys);

  const st = p?.stats;
  const ranked = p?.probs ? p.probs.map((v, k) => ({ k, v })).sort((a, b) => b.v - a.v).slice(0, 3) : [];
  return (
    <main class="digits-page classify" data-phase={s.state.phase} data-query-id={q?.id ?? ''} data-busy={s.busy ? 'true' : 'false'}>
      <div class="page-head">
        <h1>
          Classify · <code>{runId}</code>
        </h1>
        <a href={href({ page: 'digits', runId, view: 'generate' })} onClick={onLinkClick} class="link">
          Generate page →
        </a>
      </div>
      <div class="digits-layout">
        <section class="digits-main" aria-label="Is the classifier right?">
          {p && sample ? (
            <>
              <h2 class="question">Is the classifier right?</h2>
              <figure class="digit-figure">
                <img class="pixels digit-large" src={p.image} alt="image to classify" data-testid="image" />
              </figure>
              <p class="prediction-line">
                Classifier says: <strong data-testid="prediction">{className(p.classes, p.predicted)}</strong> with probability{' '}
                <strong data-testid="confidence">{p.confidence.toFixed(2)}</strong>
              </p>
              <div class="meter-row">
                <div class="meter" role="meter" aria-valuemin={0} aria-valuemax={1} aria-valuenow={p.confidence} aria-label="probability of the prediction">
                  <div style={{ width: `${Math.round(100 * p.confidence)}%` }} />
                </div>
              </div>
              <div class="actions" role="group" aria-label="Your answer">
                <KeyButton keyLabel="Enter" onClick={confirm} disabled={s.busy} kind="primary" testid="correct">
                  Correct
                </KeyButton>
                <KeyButton keyLabel="x" onClick={() => setPicking(true)} disabled={s.busy} testid="incorrect">
                  Incorrect…
                </KeyButton>
                {picking && (
                  <KeyButton keyLabel="Esc" onClick={wrongNoLabel} disabled={s.busy} testid="incorrect-no-label">
                    Incorrect, label unknown
                  </KeyButton>
                )}
              </div>
              <div class={`labels ${picking ? 'picking' : ''}`} role="group" aria-label="The true label (digit keys)">
                <p class="muted">{picking ? 'Pick the true label:' : 'Or press the true label:'}</p>
                {Array.from({ length: NUM_CLASSES }, (_, k) => (
                  <button type="button" class={`label-btn ${k === p.predicted ? 'is-predicted' : ''}`} key={k} onClick={() => label(k)} disabled={s.busy} data-testid={`label-${k}`}>
                    <kbd>{k}</kbd> {p.classes?.[k] !== undefined && p.classes[k] !== String(k) ? p.classes[k] : ''}
                  </button>
                ))}
              </div>
            </>
          ) : (
            <StreamStatus state={s.state} what="the next image" />
          )}
        </section>
        <aside class="digits-side" aria-label="How the classifier is doing">
          <dl class="digits-stats">
            <div>
              <dt>answers so far</dt>
              <dd data-testid="answers">{st ? st.answers : '–'}</dd>
            </div>
            <div>
              <dt>classifier right</dt>
              <dd data-testid="right-rate">{st ? rate(st.answersCorrect, st.answers) : '–'}</dd>
            </div>
            <div>
              <dt>your answers on this page</dt>
              <dd data-testid="given">{s.given}</dd>
            </div>
          </dl>
          {ranked.length > 0 && p && (
            <table class="probs" data-testid="probs">
              <caption>Classifier's top 3</caption>
              <tbody>
                {ranked.map(({ k, v }) => (
                  <tr key={k}>
                    <th scope="row">{className(p.classes, k)}</th>
                    <td>{v.toFixed(2)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </aside>
      </div>
      <p class="status-line" role="status" aria-live="polite" data-testid="status">
        {s.message}
      </p>
    </main>
  );
}
