import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeedbackError } from '../../core/errors.js';
import { initDigitsTensors } from './kernels.js';
import { pretrainDigits, resolvePretrainConfig } from './pretrain.js';
import { DigitsSession } from './session.js';
import { resolveLatentPolicyConfig } from './policy.js';
import { resolveCorrectionsConfig } from './corrections.js';
import { applyDigitsJudgement, classificationSample, generationSample, loadSession, saveSession } from './feedback.js';
import { writeSynthIdxDir } from './testing.js';
import type { DigitsModels, DigitsSplits } from './models.js';

const root = mkdtempSync(join(tmpdir(), 'rlhf-digits-fb-'));
let models: DigitsModels;
let splits: DigitsSplits;
const config = { policy: resolveLatentPolicyConfig({ options: 4 }), corrections: resolveCorrectionsConfig({ lr: 1e-2 }), seed: 3 };

beforeAll(async () => {
  await initDigitsTensors('wasm');
  const data = writeSynthIdxDir(join(root, 'data'), 200, 60, false);
  ({ models, splits } = pretrainDigits(
    resolvePretrainConfig({ data, trainSize: 150, valSize: 40, vaeEpochs: 1, vaeHidden: 32, zDim: 4, classifierSteps: 5, classifierHidden: 16, judgeEpochs: 1, judgeHidden: 16 }),
    { quiet: true },
  ));
});

describe('digits feedback from people', () => {
  it('👍 on a generated image raises its option; a correction raises the true label; the session checkpoints', async () => {
    const s = new DigitsSession(models, splits, config);
    const g = generationSample(s, 4, 'q1');
    expect(g.payload.image).toMatch(/^data:image\/png;base64,/);
    const before = s.policy.probs(4)[g.payload.option]!;
    const r = applyDigitsJudgement(s, g.payload, { kind: 'rating', sampleId: 'q1', value: 1 });
    expect(r.probs![g.payload.option]!).toBeGreaterThan(before);

    const c = classificationSample(s, 'q2');
    const truth = splits.pool.labels[c.payload.index]!;
    const wrong = (truth + 1) % 10;
    const p0 = s.learner.probs(c.payload.index)[truth]!;
    const res = applyDigitsJudgement(s, { ...c.payload, predicted: wrong }, { kind: 'correction', sampleId: 'q2', label: truth, correct: false });
    expect(res.classProbs![truth]!).toBeGreaterThan(p0);
    expect(s.learner.answers.at(-1)).toEqual({ index: c.payload.index, cls: truth, kind: 'label' });

    expect(() => applyDigitsJudgement(s, g.payload, { kind: 'correction', sampleId: 'q1', label: 1 })).toThrow(FeedbackError);
    expect(() => applyDigitsJudgement(s, g.payload, { kind: 'rating', sampleId: 'q1', value: 3 })).toThrow(/rating must be 1/);
    expect(() => applyDigitsJudgement(s, c.payload, { kind: 'correction', sampleId: 'q2', label: 11, correct: false })).toThrow(/label must be a class/);

    // a restarted server continues where it stopped
    const dir = join(root, 'session');
    await saveSession(s, dir);
    const t = new DigitsSession(models, splits, config);
    expect(await loadSession(t, dir)).toBe(true);
    expect(Array.from(t.policy.logits)).toEqual(Array.from(s.policy.logits));
    expect(Array.from(t.learner.probs(5))).toEqual(Array.from(s.learner.probs(5)));
    expect(t.nextClassification().index).toBe(s.nextClassification().index);
    expect(await loadSession(t, join(root, 'none'))).toBe(false);
  });

  it('a feedback step (generate, rate, classify, answer) leaves no tensor behind', async () => {
    const { tf } = await import('../../core/tensor.js');
    const s = new DigitsSession(models, splits, config);
    const step = () => {
      const g = generationSample(s, 2, 'a');
      applyDigitsJudgement(s, g.payload, { kind: 'rating', sampleId: 'a', value: 0 });
      const c = classificationSample(s, 'b');
      applyDigitsJudgement(s, c.payload, { kind: 'correction', sampleId: 'b', label: c.payload.predicted, correct: true });
    };
    step();
    const n = tf.memory().numTensors;
    step();
    step();
    expect(tf.memory().numTensors).toBe(n);
  });
});
