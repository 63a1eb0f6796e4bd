/** Subscribes a component to a small observable (the session, the desk). */
import { useEffect, useState } from 'preact/hooks';

export function useObservable<T>(o: { subscribe(l: (s: T) => void): () => void; current: T }): T {
  const [s, setS] = useState<T>(o.current);
  useEffect(() => o.subscribe(setS), [o]);
  return s;
}
