/**
 * Steering a conditional VAE's images with 👍/👎 and correcting a classifier, with a simulated person.
 *
 *   npx tsx examples/digits.ts [DATA_DIR]     (default: Debian's dataset-fashion-mnist)
 *
 * Uses the same pieces as `rlhf run digits`, spelled out: pretrain, a session, a feedback loop.
 */
import { Rng } from '../src/core/rng.js';
import {
  DEFAULT_DATA_DIR,
  DigitsSession,
  initDigitsTensors,
  judgeThumb,
  pretrainDigits,
  resolveCorrectionsConfig,
  resolveLatentPolicyConfig,
  resolvePretrainConfig,
  truthfulAnswer,
} from '../src/domains/digits/index.js';

await initDigitsTensors();

// 1) pretrain the conditional VAE, the classifier's warm start and the judge (a smaller, quicker setting)
const { models, splits } = pretrainDigits(resolvePretrainConfig({ data: process.argv[2] ?? DEFAULT_DATA_DIR, vaeEpochs: 3, judgeEpochs: 2 }));
console.log(`classifier ${models.meta.classifierAccuracy.toFixed(3)}, judge ${models.meta.judgeAccuracy.toFixed(3)} held-out accuracy`);

// 2) a session: the latent policy (codes from the encoder) and the classifier's learner
const session = new DigitsSession(models, splits, {
  policy: resolveLatentPolicyConfig({ options: 16 }),
  corrections: resolveCorrectionsConfig(),
  seed: 0,
});

// 3) 300 feedback steps: a 👍/👎 on a generated image, and an answer about a prediction
const person = new Rng(1);
const thumbs: number[] = [];
for (let step = 1; step <= 300; step++) {
  const cls = person.int(10);
  const g = session.generate(cls);
  const up = judgeThumb(models.judge, g.image, cls); // the simulated person: 👍 iff the judge sees the class
  session.rate(g, up ? 1 : 0);
  thumbs.push(up ? 1 : 0);

  const q = session.nextClassification();
  session.answer(q.index, truthfulAnswer(q.predicted, splits.pool.labels[q.index]!));
}
const rate = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
console.log(`thumbs-up: first 100 ${rate(thumbs.slice(0, 100)).toFixed(2)}, last 100 ${rate(thumbs.slice(-100)).toFixed(2)}`);
console.log(`classifier held-out accuracy: ${models.meta.classifierAccuracy.toFixed(3)} → ${models.classifier.accuracy(splits.validation).toFixed(3)}`);
