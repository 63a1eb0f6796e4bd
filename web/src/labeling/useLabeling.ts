/**
 * The labeling session of one run: lease a query, submit a judgement, lease the next; undo (the `u` key) deletes
 * the last judgement and leases that query again. When the run has nothing for us, poll (the server says how
 * long to wait). The lease is renewed while a query stays on screen, so a slow annotator keeps it.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Judgement, type Progress, type Query } from '../api.js';

export type SessionState =
  | { phase: 'loading' }
  | { phase: 'labeling'; query: Query; leaseExpiresAt: string }
  | { phase: 'waiting'; retryAfterMs: number } // nothing to label right now
  | { phase: 'offline'; retryAfterMs: number } // the server does not answer (e.g. the run ended and its server stopped)
  | { phase: 'finished' } // the run is done or failed
  | { phase: 'error'; message: string };

export interface Labeling {
  state: SessionState;
  progress: Progress | null;
  /** true while a request for the current query is in flight (keys are ignored meanwhile) */
  busy: boolean;
  /** the last thing that happened, for the aria-live status line */
  message: string;
  canUndo: boolean;
  submit(j: Judgement, said: string): Promise<void>;
  undo(): Promise<void>;
}

const LEASE_SECONDS = 300;
const RENEW_MS = 120_000;

export function useLabeling(runId: string): Labeling {
  const [state, setState] = useState<SessionState>({ phase: 'loading' });
  const [progress, setProgress] = useState<Progress | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');
  const undoStack = useRef<string[]>([]);
  const [undoDepth, setUndoDepth] = useState(0);
  const alive = useRef(true);
  const pollTimer = useRef<number | undefined>(undefined);
  const offlineTries = useRef(0);

  const refreshProgress = useCallback(async () => {
    try {
      const p = await api.progress(runId);
      if (alive.current) setProgress(p);
    } catch {
      /* progress is informative only */
    }
  }, [runId]);

  const leaseNext = useCallback(async (): Promise<void> => {
    window.clearTimeout(pollTimer.current);
    try {
      const r = await api.lease(runId, LEASE_SECONDS);
      if (!alive.current) return;
      if (r.query) setState({ phase: 'labeling', query: r.query, leaseExpiresAt: r.leaseExpiresAt });
      else {
        const wait = Math.min(5000, Math.max(500, r.retryAfterMs));
        setState({ phase: 'waiting', retryAfterMs: wait });
        pollTimer.current = window.setTimeout(() => void leaseNext().then(refreshProgress), wait);
      }
    } catch (e) {
      if (!alive.current) return;
      if (e instanceof ApiError && e.status === 409) setState({ phase: 'finished' });
      else if (e instanceof ApiError && e.code === 'E_NETWORK') {
        offlineTries.current++;
        const wait = Math.min(10_000, 1000 * offlineTries.current);
        setState({ phase: 'offline', retryAfterMs: wait });
        pollTimer.current = window.setTimeout(() => void leaseNext().then(refreshProgress), wait);
        return;
      } else setState({ phase: 'error', message: (e as Error).message });
    }
    offlineTries.current = 0;
  }, [runId, refreshProgress]);

  useEffect(() => {
    alive.current = true;
    undoStack.current = [];
    setUndoDepth(0);
    setState({ phase: 'loading' });
    void leaseNext();
    void refreshProgress();
    return () => {
      alive.current = false;
      window.clearTimeout(pollTimer.current);
    };
  }, [runId, leaseNext, refreshProgress]);

  // keep the lease while the query is on screen
  const currentId = state.phase === 'labeling' ? state.query.id : null;
  useEffect(() => {
    if (!currentId) return;
    const t = window.setInterval(() => void api.lease(runId, LEASE_SECONDS).catch(() => undefined), RENEW_MS);
    return () => window.clearInterval(t);
  }, [runId, currentId]);

  const submit = useCallback(
    async (j: Judgement, said: string) => {
      if (busy || state.phase !== 'labeling') return;
      const q = state.query;
      setBusy(true);
      try {
        await api.judge(q.id, j);
        undoStack.current.push(q.id);
        setUndoDepth(undoStack.current.length);
        setMessage(`Saved: ${said}.`);
      } catch (e) {
        if (e instanceof ApiError && e.status === 403) setMessage('That query was handed to someone else after your lease expired; here is the next one.');
        else if (e instanceof ApiError && e.status === 409) setMessage(`Not saved: ${e.message}`);
        else {
          setMessage(`Not saved: ${(e as Error).message}`);
          setBusy(false);
          return; // keep the query on screen so the annotator can retry
        }
      }
      await leaseNext();
      await refreshProgress();
      setBusy(false);
    },
    [busy, state, leaseNext, refreshProgress],
  );

  const undo = useCallback(async () => {
    if (busy) return;
    const last = undoStack.current[undoStack.current.length - 1];
    if (!last) {
      setMessage('Nothing to undo.');
      return;
    }
    setBusy(true);
    try {
      if (state.phase === 'labeling') await api.releaseLease(state.query.id).catch(() => undefined);
      const r = await api.undo(last);
      undoStack.current.pop();
      setUndoDepth(undoStack.current.length);
      setState({ phase: 'labeling', query: r.query, leaseExpiresAt: r.leaseExpiresAt });
      setMessage('Undone: that query is back on screen.');
    } catch (e) {
      setMessage(`Cannot undo: ${(e as Error).message}`);
      if (state.phase === 'labeling') await leaseNext(); // we released our lease above: take one again
    }
    await refreshProgress();
    setBusy(false);
  }, [busy, state, leaseNext, refreshProgress]);

  return { state, progress, busy, message, canUndo: undoDepth > 0, submit, undo };
}
