/**
 * The digits run's streams (src/domains/digits/people.ts): the labeling server leases one query at a time per run,
 * so each stream a person can pick is its own run — "<run>" for classify, "<run>.gen-<c>" for generate class c —
 * and the payloads the pages draw. Both come from src/domains/digits/payload.ts, the Node side's own module;
 * docs/digits-labeling.md describes them.
 */
import type { ClassifyPagePayload, GeneratePagePayload } from '../../../../src/domains/digits/payload.js';

export const NUM_CLASSES = 10;

/** A generate-page payload (checks the fields the page cannot draw without). */
export function isGenerate(p: unknown): p is GeneratePagePayload {
  const q = p as GeneratePagePayload | null;
  return typeof q === 'object' && q !== null && q.kind === 'generate' && typeof q.cls === 'number' && typeof q.image === 'string';
}

/** A classify-page payload (checks the fields the page cannot draw without). */
export function isClassify(p: unknown): p is ClassifyPagePayload {
  const q = p as ClassifyPagePayload | null;
  return typeof q === 'object' && q !== null && q.kind === 'classify' && typeof q.predicted === 'number' && typeof q.image === 'string';
}

/** "3 · Dress" with names, "3" without. */
export function className(classes: string[] | undefined, c: number): string {
  const name = classes?.[c];
  return name !== undefined && name !== String(c) ? `${c} · ${name}` : String(c);
}

/** "0.42 (21 of 50)" or "–" before the first one. */
export function rate(part: number, whole: number): string {
  return whole > 0 ? `${(part / whole).toFixed(2)} (${part} of ${whole})` : '–';
}
