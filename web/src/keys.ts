/**
 * Keyboard-first labeling: one global keydown handler per page, ignoring keys typed into form fields and keys with
 * modifiers (so browser shortcuts keep working). Arrow keys and space do not scroll the page while labeling.
 */
import { useEffect, useRef } from 'preact/hooks';

export type KeyMap = Record<string, () => void>;

/** Normalizes a KeyboardEvent to the names used in key maps: "ArrowLeft", " ", "u", "0".."9", "Enter", ... */
export function keyName(e: KeyboardEvent): string {
  return e.key.length === 1 ? e.key.toLowerCase() : e.key;
}

function isTyping(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  const tag = t.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || t.isContentEditable;
}

/** Binds `map` (key name → action) to window keydown while the component is mounted. */
export function useKeys(map: KeyMap, enabled = true): void {
  const ref = useRef(map);
  ref.current = map;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.repeat || isTyping(e.target)) return;
      const action = ref.current[keyName(e)];
      if (!action) return;
      // space on a focused button would "click" it as well: the key map is the single source of actions
      e.preventDefault();
      action();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);
}
