/** The labeling page of a run: the view of the current query's kind, progress, and what just happened. */
import type { Annotator } from '../api.js';
import { ComparisonView } from '../labeling/Comparison.js';
import { ProgressBar } from '../labeling/common.js';
import { CorrectionView } from '../labeling/Correction.js';
import { RankingView } from '../labeling/Ranking.js';
import { RatingView } from '../labeling/Rating.js';
import { useLabeling } from '../labeling/useLabeling.js';
import { useKeys } from '../keys.js';
import { href, onLinkClick } from '../router.js';

const VIEWS = { comparison: ComparisonView, rating: RatingView, ranking: RankingView, correction: CorrectionView } as const;

export function LabelPage({ runId, me }: { runId: string; me: Annotator }) {
  const s = useLabeling(runId);
  const st = s.state;
  useKeys({ u: () => void s.undo() }, st.phase === 'waiting');
  return (
    <main class="label-page" data-phase={st.phase} data-query-id={st.phase === 'labeling' ? st.query.id : ''} data-busy={s.busy ? 'true' : 'false'}>
      <div class="page-head">
        <h1>
          Labeling <code>{runId}</code>
        </h1>
        <ProgressBar progress={s.progress} iteration={st.phase === 'labeling' ? st.query.iteration : undefined} />
        {me.role === 'admin' && (
          <a href={href({ page: 'dashboard', runId })} onClick={onLinkClick} class="link">
            Dashboard →
          </a>
        )}
      </div>
      {st.phase === 'loading' && <p class="muted">Loading…</p>}
      {st.phase === 'labeling' &&
        (() => {
          const View = VIEWS[st.query.kind];
          return <View key={st.query.id} query={st.query} busy={s.busy} canUndo={s.canUndo} submit={(j, said) => void s.submit(j, said)} undo={() => void s.undo()} />;
        })()}
      {st.phase === 'waiting' && (
        <section class="waiting" aria-live="polite">
          <h2>Nothing to label right now</h2>
          <p>
            The run is training on the labels so far (or everything is taken by other annotators). New queries appear here by
            themselves — keep this page open.
          </p>
          <div class="spinner" aria-hidden="true" />
          {s.canUndo && (
            <button type="button" class="keybtn" onClick={() => void s.undo()}>
              <span>Undo last</span>
              <kbd>u</kbd>
            </button>
          )}
        </section>
      )}
      {st.phase === 'offline' && (
        <section class="waiting" aria-live="polite">
          <h2>The server is not answering</h2>
          <p>
            If the run has finished, its server stopped with it; browse the results with <code>rlhf serve --db DIR/feedback.sqlite</code>. Trying
            again every few seconds…
          </p>
        </section>
      )}
      {st.phase === 'finished' && (
        <section class="waiting">
          <h2>This run is finished</h2>
          <p>
            Thank you! <a href="/" onClick={onLinkClick}>Back to the runs</a>.
          </p>
        </section>
      )}
      {st.phase === 'error' && (
        <p class="error" role="alert">
          {st.message}
        </p>
      )}
      <p class="status-line" role="status" aria-live="polite" data-testid="status">
        {s.message}
      </p>
    </main>
  );
}
