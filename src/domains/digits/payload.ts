/**
 * What the digits loop shows people, as JSON payloads of query samples: the shape the query maker builds
 * (queries.ts) and the web app's labeling page draws with the digits renderer (web/src/renderers/digits.tsx).
 * Types only — no Node module — so the web app imports this file instead of copying it.
 *
 *   rating query:      an image the latent policy drew for class `label`: is it a good one? 👍 / 👎
 *   correction query:  a pool image and the classifier's `prediction`: correct, or which class is it?
 */

/** A generated image to rate (query kind "rating"). */
export interface DigitsGenerationPayload {
  kind: 'generate';
  /** the class c the image was drawn for (= label) */
  cls: number;
  /** the option k the policy chose, and π_c(k) when drawn */
  option: number;
  prob: number;
  /** the class asked for: the renderer shows "asked for: …" */
  label: number;
  /** class names, index = class (Fashion-MNIST's "T-shirt/top", …; the digits "0".."9" otherwise) */
  classes: string[];
  /** data:image/png;base64,… (28×28 grayscale) */
  image: string;
}

/** An image of the feedback pool with the classifier's prediction (query kind "correction"). */
export interface DigitsClassificationPayload {
  kind: 'classify';
  /** index into the feedback pool */
  index: number;
  /** ŷ = argmax p(·|x); `prediction` is the same, the name the generic correction view reads */
  predicted: number;
  prediction: number;
  /** p(ŷ|x) and p(·|x) */
  confidence: number;
  probs: number[];
  classes: string[];
  image: string;
}

export type DigitsPayload = DigitsGenerationPayload | DigitsClassificationPayload;
