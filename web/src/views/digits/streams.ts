/**
 * The digits run's streams (src/domains/digits/people.ts): the labeling server leases one query at a time per run,
 * so each stream a person can pick is its own run — "<run>" for classify, "<run>.gen-<c>" for generate class c —
 * and the payloads the pages draw. The Node side is the source of truth; docs/digits-labeling.md describes both.
 */
export const NUM_CLASSES = 10;

export const classifyRunId = (runId: string): string => runId;
export const generateRunId = (runId: string, cls: number): string => `${runId}.gen-${cls}`;

/** Progress as of when the query was made. */
export interface DigitsPageStats {
  ratings: number;
  thumbsUp: number;
  classRatings: number;
  classThumbsUp: number;
  answers: number;
  answersCorrect: number;
}

export interface GeneratePayload {
  kind: 'generate';
  cls: number;
  option: number;
  prob: number;
  image: string;
  classes?: string[];
  top?: Array<{ option: number; prob: number; image: string }>;
  stats?: DigitsPageStats;
}

export interface ClassifyPayload {
  kind: 'classify';
  index: number;
  predicted: number;
  confidence: number;
  image: string;
  classes?: string[];
  probs?: number[];
  stats?: DigitsPageStats;
}

export function isGenerate(p: unknown): p is GeneratePayload {
  const q = p as GeneratePayload | null;
  return typeof q === 'object' && q !== null && q.kind === 'generate' && typeof q.cls === 'number' && typeof q.image === 'string';
}

export function isClassify(p: unknown): p is ClassifyPayload {
  const q = p as ClassifyPayload | null;
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
