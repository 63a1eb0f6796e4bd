/**
 * One query at a time from one run: lease it, submit a judgement, lease the next. The digits loop posts the next
 * query of a stream right after it learned from the last one (a few hundred ms), so "nothing yet" is polled quickly
 * and shown as "the model is updating…" rather than as an empty queue. No undo here: the model learns from a
 * judgement within a second, before an undo could reach it.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Judgement, type Query } from '../../api.js';

export type StreamState =
  | { phase: 'loading' }
  | { phase: 'labeling'; query: Query }
  | { phase: 'waiting' }
  | { phase: 'offline' }
  | { phase: 'finished' }
  | { phase: 'error'; message: string };

const LEASE_SECONDS = 300;
const RENEW_MS = 120_000;
const POLL_MS = 150;
const SLOW_POLL_MS = 1000;

export interface Stream {
  state: StreamState;
  busy: boolean;
  message: string;
  /** judgements given on this page */
  given: number;
  submit(j: Judgement, said: string): Promise<void>;
}

export function useStream(runId: string): Stream {
  const [state, setState] = useState<StreamState>({ phase: 'loading' });
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');
  const [given, setGiven] = useState(0);
  const alive = useRef(true);
  const timer = useRef<number | undefined>(undefined);
  const misses = useRef(0);
  const held = useRef<string | null>(null);

  const leaseNext = useCallback(async (): Promise<void> => {
    window.clearTimeout(timer.current);
    try {
      const r = await api.lease(runId, LEASE_SECONDS);
      if (!alive.current) return;
      if (r.query) {
        misses.current = 0;
        setState({ phase: 'labeling', query: r.query });
        return;
      }
      misses.current++;
      setState({ phase: 'waiting' });
      timer.current = window.setTimeout(() => void leaseNext(), misses.current < 40 ? POLL_MS : SLOW_POLL_MS);
    } catch (e) {
      if (!alive.current) return;
      if (e instanceof ApiError && e.status === 409) setState({ phase: 'finished' });
      else if (e instanceof ApiError && e.code === 'E_NETWORK') {
        setState({ phase: 'offline' });
        timer.current = window.setTimeout(() => void leaseNext(), 3000);
      } else if (e instanceof ApiError && e.status === 404) setState({ phase: 'error', message: `There is no run "${runId}" on this server (is \`rlhf run digits --judge human\` running?).` });
      else setState({ phase: 'error', message: (e as Error).message });
    }
  }, [runId]);

  useEffect(() => {
    alive.current = true;
    setState({ phase: 'loading' });
    void leaseNext();
    return () => {
      alive.current = false;
      window.clearTimeout(timer.current);
      // switching streams gives the query back, so another person (or the simulated judge under mixed) can take it
      if (held.current) void api.releaseLease(held.current).catch(() => undefined);
      held.current = null;
    };
  }, [leaseNext]);

  const currentId = state.phase === 'labeling' ? state.query.id : null;
  held.current = currentId;
  useEffect(() => {
    if (!currentId) return;
    const t = window.setInterval(() => void api.lease(runId, LEASE_SECONDS).catch(() => undefined), RENEW_MS);
    return () => {
      window.clearInterval(t);
    };
  }, [runId, currentId]);

  const submit = useCallback(
    async (j: Judgement, said: string) => {
      if (busy || state.phase !== 'labeling') return;
      setBusy(true);
      try {
        await api.judge(state.query.id, j);
        setGiven((n) => n + 1);
        setMessage(`Saved: ${said}.`);
      } catch (e) {
        if (e instanceof ApiError && (e.status === 403 || e.status === 409)) setMessage(`Not saved: ${e.message}`);
        else {
          setMessage(`Not saved: ${(e as Error).message}`);
          setBusy(false);
          return;
        }
      }
      await leaseNext();
      setBusy(false);
    },
    [busy, state, leaseNext],
  );

  return { state, busy, message, given, submit };
}
