/**
 * You in the loop: the query the run waits for, drawn by the labeling app's own comparison view and renderers
 * (web/src/labeling/Comparison.tsx, web/src/renderers/) with its keys: ← left better, → right better, ↓ tie,
 * space skip, u undo. Mixed runs add t: the teacher answers the rest of this iteration.
 */
import { useState } from 'preact/hooks';
import type { Judgement } from '../../src/feedback/types.js';
import { ComparisonView } from '../src/labeling/Comparison.js';
import { KeyButton } from '../src/labeling/common.js';
import { useKeys } from '../src/keys.js';
import { useObservable } from './hooks.js';
import type { Session } from './session.js';

export function Labeling({ session }: { session: Session }) {
  const desk = useObservable(session.desk);
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState('');
  const mixed = session.people?.mode === 'mixed';
  const q = desk.open[0];
  useKeys({ t: () => session.desk.letTeacherAnswer() }, mixed && desk.waiting);
  if (!desk.waiting || !q) return null;
  const submit = (j: Judgement, what: string) => {
    if (busy) return;
    setBusy(true);
    void session.desk.judge(q, j).then(
      () => setSaid(`Saved: ${what}.`),
      (e: Error) => setSaid(`Not saved: ${e.message}`),
    ).finally(() => setBusy(false));
  };
  const undo = () => {
    if (busy || !session.people) return;
    setBusy(true);
    void session.desk.undo(session.people.queries).then((ok) => setSaid(ok ? 'Undone: that pair is back on screen.' : 'Nothing to undo in this iteration.')).finally(() => setBusy(false));
  };
  return (
    <section class="pg-labeling label-page" data-testid="labeling" data-query-id={q.id} data-busy={busy ? 'true' : 'false'} data-phase="labeling">
      <p class="pg-ask">
        Iteration {desk.iteration}: {desk.open.length} pair{desk.open.length === 1 ? '' : 's'} left to judge before the reward refits and the agent replans.
      </p>
      <ComparisonView key={q.id} query={q} busy={busy} canUndo={desk.given.length > 0} submit={submit} undo={undo} />
      {mixed && (
        <div class="actions">
          <KeyButton keyLabel="t" onClick={() => session.desk.letTeacherAnswer()} testid="teacher-rest">
            Let the teacher answer the rest
          </KeyButton>
        </div>
      )}
      <p class="status-line" aria-live="polite">
        {said}
      </p>
    </section>
  );
}
