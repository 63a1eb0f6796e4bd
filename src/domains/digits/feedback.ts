/**
 * People in the digits loop, independent of any web page: the samples the "generate" and "classify" pages show
 * (JSON payloads with the image as a PNG data URL), one function that applies a person's judgement to the models,
 * and a checkpoint of the session in a directory so a restarted server continues where it stopped.
 *
 *   generate page: sample = generationSample(session, cls)     judgement { kind: 'rating', value: 1 (👍) | 0 (👎) }
 *   classify page: sample = classificationSample(session)      judgement { kind: 'correction', label, correct? }
 *                  correct: true → "correct"; correct: false + label → a correction; correct: false, label −1 → "incorrect"
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FeedbackError } from '../../core/errors.js';
import { readSafetensors, writeSafetensors } from '../../core/safetensors.js';
import type { Judgement, Sample } from '../../feedback/types.js';
import { writeJson, readJson } from '../../loop/runDir.js';
import { NUM_CLASSES } from './data.js';
import { encodePngGray } from './images.js';
import type { DigitsClassificationPayload, DigitsGenerationPayload, DigitsPayload } from './payload.js';
import type { DigitsSession, SessionState } from './session.js';

/** Result of applying one judgement. */
export interface DigitsFeedbackResult {
  kind: 'generate' | 'classify';
  /** generate: r − b; classify: the update's minibatch loss */
  value: number;
  /** generate: the class's option probabilities after the update */
  probs?: number[];
  /** classify: p(·|x) after the update */
  classProbs?: number[];
}

function dataUrl(image: Float32Array, rows: number, cols: number): string {
  return `data:image/png;base64,${encodePngGray(image, cols, rows).toString('base64')}`;
}

/** A generated image of class `cls` to rate. */
export function generationSample(session: DigitsSession, cls: number, id: string): Sample<DigitsGenerationPayload> {
  const g = session.generate(cls);
  const { rows, cols } = session.splits.train;
  return { id, domain: 'digits', payload: { kind: 'generate', cls, option: g.option, z: Array.from(g.z), prob: g.prob, image: dataUrl(g.image, rows, cols) } };
}

/** The next pool image with the classifier's prediction. */
export function classificationSample(session: DigitsSession, id: string): Sample<DigitsClassificationPayload> {
  const q = session.nextClassification();
  const { rows, cols } = session.splits.pool;
  return { id, domain: 'digits', payload: { kind: 'classify', index: q.index, predicted: q.predicted, confidence: q.confidence, image: dataUrl(q.image, rows, cols) } };
}

/** Applies one person's judgement about a digits sample to the models (within milliseconds). */
export function applyDigitsJudgement(session: DigitsSession, payload: DigitsPayload, judgement: Judgement): DigitsFeedbackResult {
  if (payload.kind === 'generate') {
    if (judgement.kind !== 'rating') throw new FeedbackError(`a generated image takes a rating judgement (👍 1 / 👎 0), got "${judgement.kind}"`);
    if (judgement.value !== 0 && judgement.value !== 1) throw new FeedbackError(`rating must be 1 (👍) or 0 (👎), got ${judgement.value}`);
    const K = session.policy.config.options;
    if (!(Number.isInteger(payload.cls) && payload.cls >= 0 && payload.cls < NUM_CLASSES)) throw new FeedbackError(`payload.cls must be 0..9, got ${payload.cls}`);
    if (!(Number.isInteger(payload.option) && payload.option >= 0 && payload.option < K)) throw new FeedbackError(`payload.option must be 0..${K - 1}, got ${payload.option}`);
    if (!Array.isArray(payload.z) || payload.z.length !== session.policy.zDim || !payload.z.every(Number.isFinite))
      throw new FeedbackError(`payload.z must be ${session.policy.zDim} finite numbers`);
    const adv = session.rate({ cls: payload.cls, option: payload.option, z: Float32Array.from(payload.z), prob: payload.prob }, judgement.value === 1);
    return { kind: 'generate', value: adv, probs: Array.from(session.policy.probs(payload.cls)) };
  }
  if (payload.kind === 'classify') {
    if (judgement.kind !== 'correction') throw new FeedbackError(`a classified image takes a correction judgement, got "${judgement.kind}"`);
    const label = typeof judgement.label === 'string' ? Number(judgement.label) : judgement.label;
    const correct = judgement.correct ?? label === payload.predicted;
    if (!correct && label !== -1 && !(Number.isInteger(label) && label >= 0 && label < NUM_CLASSES))
      throw new FeedbackError(`label must be a class 0..9 (or -1 for "incorrect" without a label), got ${String(judgement.label)}`);
    const answer = correct ? { predicted: payload.predicted, correct: true } : label === -1 ? { predicted: payload.predicted, correct: false } : { predicted: payload.predicted, correct: false, label };
    const loss = session.answer(payload.index, answer);
    return { kind: 'classify', value: loss, classProbs: Array.from(session.learner.probs(payload.index)) };
  }
  throw new FeedbackError(`unknown digits payload kind "${(payload as { kind?: string }).kind}"`);
}

const STATE_FILE = 'digits-session.json';
const ARRAYS_FILE = 'digits-session.safetensors';

/** Writes the session's learnable state into dir (arrays first; the JSON's rename commits it). */
export async function saveSession(session: DigitsSession, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const { state, arrays } = await session.save();
  writeSafetensors(join(dir, ARRAYS_FILE), arrays);
  writeJson(join(dir, STATE_FILE), state);
}

/** Restores a session saved by saveSession; returns false when dir holds none. */
export async function loadSession(session: DigitsSession, dir: string): Promise<boolean> {
  if (!existsSync(join(dir, STATE_FILE))) return false;
  const state = readJson<SessionState>(join(dir, STATE_FILE));
  const { tensors } = readSafetensors(join(dir, ARRAYS_FILE));
  await session.restore(state, tensors, join(dir, ARRAYS_FILE));
  return true;
}
