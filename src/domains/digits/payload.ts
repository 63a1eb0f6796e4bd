/**
 * What the digits loop shows people, as JSON payloads of query samples: the shape the Node side builds
 * (feedback.ts, people.ts) and the web app's digits pages draw (web/src/views/digits/, web/src/renderers/digits.tsx).
 * Types and pure helpers only — no Node module — so the web app imports this file instead of copying it.
 *
 *   generate page: a generated image of one class to rate 👍/👎          (GeneratePagePayload)
 *   classify page: an image, the classifier's prediction, to confirm or correct (ClassifyPagePayload)
 *
 * Each page is its own stream, a run of the labeling server: "<run>" for classify, "<run>.gen-<c>" for generating
 * class c (the server leases one query at a time per run, so each stream a person can pick is its own run).
 */

/** The run id of the classify stream. */
export function classifyRunId(runId: string): string {
  return runId;
}

/** The run id of the stream that generates class `cls`. */
export function generateRunId(runId: string, cls: number): string {
  return `${runId}.gen-${cls}`;
}

/** A generated image to rate (feedback.ts: generationSample; the judgement is applied with the stored z). */
export interface DigitsGenerationPayload {
  kind: 'generate';
  cls: number;
  option: number;
  /** the latent z, so the judgement can be applied after a restart */
  z: number[];
  /** π_c(option) when drawn */
  prob: number;
  /** data:image/png;base64,… (28×28 grayscale) */
  image: string;
}

/** An image of the feedback pool with the classifier's answer (feedback.ts: classificationSample). */
export interface DigitsClassificationPayload {
  kind: 'classify';
  /** index into the feedback pool */
  index: number;
  predicted: number;
  confidence: number;
  image: string;
}

export type DigitsPayload = DigitsGenerationPayload | DigitsClassificationPayload;

/** Progress shown on the pages (as of when the query was made). */
export interface DigitsPageStats {
  ratings: number;
  thumbsUp: number;
  /** ratings / thumbs up of the query's class */
  classRatings: number;
  classThumbsUp: number;
  answers: number;
  /** answers that said the prediction was right */
  answersCorrect: number;
}

/** What the generate page draws (the generation payload + what the renderer and the page show). */
export interface GeneratePagePayload extends DigitsGenerationPayload {
  /** the class the image was drawn for (the image renderer shows "asked for: …") */
  label: number;
  classes: string[];
  /** the class's most probable options now: codes decoded without noise */
  top: Array<{ option: number; prob: number; image: string }>;
  stats: DigitsPageStats;
}

/** What the classify page draws (the classification payload + what the correction view and the page show). */
export interface ClassifyPagePayload extends DigitsClassificationPayload {
  /** = predicted, for the generic correction view */
  prediction: number;
  classes: string[];
  /** p(·|x) of the classifier */
  probs: number[];
  stats: DigitsPageStats;
}
