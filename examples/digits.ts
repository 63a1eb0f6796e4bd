/**
 * Steering a conditional VAE's images with 👍/👎 and correcting a classifier, with a simulated person.
 *
 *   npx tsx examples/digits.ts [DATA_DIR]     (default: Debian's dataset-fashion-mnist; writes nothing)
 *
 * The loop's parts spelled out, as `rlhf run digits` wires them (with a run directory, checkpoints and a report:
 * `rlhf run digits --out DIR`, or runDigits(config, { out })).
 */
import { Rng } from '../src/core/rng.js';
import {
  DEFAULT_DATA_DIR,
  DigitsEvaluator,
  DigitsJudge,
  DigitsLearner,
  DigitsSampler,
  DigitsSession,
  initDigitsTensors,
  pretrainDigits,
  resolveDigitsConfig,
  resolvePretrainConfig,
} from '../src/domains/digits/index.js';
import { runIteration } from '../src/loop/parts.js';

await initDigitsTensors();

// 1) pretrain the conditional VAE, the classifier's warm start and the judge (a smaller, quicker setting)
const { models, splits } = pretrainDigits(resolvePretrainConfig({ data: process.argv[2] ?? DEFAULT_DATA_DIR, vaeEpochs: 3, judgeEpochs: 2 }));
console.log(`classifier ${models.meta.classifierAccuracy.toFixed(3)}, judge ${models.meta.judgeAccuracy.toFixed(3)} held-out accuracy`);

// 2) a session: the latent policy (codes from the encoder) and the classifier's learner
const config = resolveDigitsConfig({ steps: 300, batch: 1, evalEvery: 100 });
const session = new DigitsSession(models, splits, { policy: config.policy, corrections: config.corrections, seed: 0 });

// 3) the loop's parts: sample (a class, an image from the policy; a pool image with the classifier's prediction),
//    judge (the simulated person: 👍 iff the judge recognises the class; a truthful answer), fit (REINFORCE on the
//    policy, one replay + rehearsal Adam step of the classifier), measure (entropy, held-out accuracy)
const parts = {
  agent: { improve: () => undefined }, // the thumbs are the reward: the policy improves in fit
  sampler: new DigitsSampler(session, new Rng(1), { batch: config.batch, steps: config.steps }),
  gatherer: new DigitsJudge(models, splits), // swap in your own judge here
  reward: new DigitsLearner(session),
  evaluator: new DigitsEvaluator(session, { evalEvery: config.evalEvery, steps: config.steps }),
};

// 4) 300 feedback steps
for (let it = 1; it <= config.steps; it++) {
  const { metrics } = await runIteration(parts, it);
  if (it % 100 === 0) console.log(`step ${it}: thumbs-up rate (last 100) ${metrics['feedback/thumbs_up_rate']!.toFixed(2)}, classifier ${metrics['classifier/accuracy']!.toFixed(3)}`);
}
const thumbs = parts.reward.history.thumbs;
const rate = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
console.log(`thumbs-up: first 100 ${rate(thumbs.slice(0, 100)).toFixed(2)}, last 100 ${rate(thumbs.slice(-100)).toFixed(2)}`);
console.log(`classifier held-out accuracy: ${parts.evaluator.accuracyBefore.toFixed(3)} → ${parts.evaluator.accuracy().toFixed(3)}`);
