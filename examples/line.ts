/**
 * RLHF on a line, in one file: a policy learns to walk to the goal at the right end from a simulated teacher's
 * comparisons of short segments of its own episodes — it never sees a reward from the environment.
 *
 *   npx tsx examples/line.ts            (well under a second of training; writes nothing)
 *
 * The same loop from the command line, with a run directory, plots and a report: `rlhf run line --out DIR`;
 * the seed demo's configuration, which learns nothing on size 10: `rlhf run line --preset seed`.
 */
import { LineTrainer, resolveLineConfig } from '../src/domains/line/index.js';

// 1. configure: positions 0..9, 100 episodes in iterations of 10; after each iteration the teacher (the B-Pref
//    "mistake" teacher: rational, but flips 10% of its answers) compares 5 pairs of 10-step segments, chosen where
//    an ensemble of 3 reward models disagrees most
const config = resolveLineConfig({ size: 10, episodes: 100, labelsPerIteration: 5, teacher: 'mistake', querySelection: 'disagreement', rewardEnsemble: 3, seed: 7 });

// 2. each step(): roll out episodes → pick the queries → ask the teacher → fit the reward ensemble (Bradley–Terry) →
//    REINFORCE on the predicted reward → evaluate (exact probability of reaching the goal within 50 steps). The judge
//    is a gatherer: `new LineTrainer(config, { judge })` puts people in its place (what `rlhf run line --judge human` does)
const trainer = new LineTrainer(config);
while (!trainer.done) {
  const m = await trainer.step();
  console.log(
    `iteration ${String(m.iteration).padStart(2)}  episodes ${String(m.episodes).padStart(3)}  labels ${String(m['feedback/labels']).padStart(3)}  ` +
      `success ${m['objective/success_rate'].toFixed(3)}  reward prefers right in ${(100 * m['reward/right_preferred']).toFixed(0)}% of states`,
  );
}

// 3. what was learned: the policy's P(right) per position, and the reward model's r̂(s, right) − r̂(s, left)
const { pRight } = trainer.evaluate();
const { mean } = trainer.rewardTable();
console.log('\nposition   P(right)   r̂(s,right) − r̂(s,left)');
for (let s = 0; s < config.size - 1; s++) console.log(`${String(s).padStart(8)}   ${pRight[s]!.toFixed(3)}      ${(mean[2 * s + 1]! - mean[2 * s]!).toFixed(2)}`);
console.log(`\nlabels to reach 95% success: ${trainer.labelsToTarget ?? 'not reached'}`);
