/** What a digits page shows when no query is on screen. */
import type { StreamState } from './useStream.js';

export function StreamStatus({ state, what }: { state: StreamState; what: string }) {
  switch (state.phase) {
    case 'loading':
      return <p class="muted">Loading…</p>;
    case 'waiting':
      return (
        <div class="waiting" aria-live="polite">
          <p>The model is updating; {what} comes next…</p>
          <div class="spinner" aria-hidden="true" />
        </div>
      );
    case 'offline':
      return (
        <div class="waiting" aria-live="polite">
          <h2>The server is not answering</h2>
          <p>If the run has finished, its server stopped with it. Trying again every few seconds…</p>
        </div>
      );
    case 'finished':
      return (
        <div class="waiting">
          <h2>This run is finished</h2>
          <p>Thank you!</p>
        </div>
      );
    case 'error':
      return (
        <p class="error" role="alert">
          {state.message}
        </p>
      );
    case 'labeling':
      return null;
  }
}
