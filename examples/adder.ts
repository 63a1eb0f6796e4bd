/**
 * Preference-based RL on addition, in one file: a reward model learns "closer to a + b is better" from a simulated
 * teacher's comparisons, and the agent answers by gradient ascent on that reward.
 *
 *   npx tsx examples/adder.ts           (about a second; writes nothing)
 *
 * From the command line, with a run directory and a report: `rlhf run adder --out DIR` (`--model mlp` for the MLP
 * reward model, `--preset seed` for the notebook's configuration).
 */
import { AdderTrainer, resolveAdderConfig } from '../src/domains/adder/index.js';

// 1. configure: the reward is linear in the seed's two features, 1 ± 0.1·(a+b−x) and sigmoid(a+b−x); 60 epochs of
//    10 comparisons each between the greedy answer and a perturbed one, judged by the noisy teacher (Boltzmann β = 1)
const config = resolveAdderConfig({ model: 'linear', epochs: 60, teacher: 'noisy', seed: 3 });
const trainer = new AdderTrainer(config);

// 2. train: each step() picks the queries, asks the teacher (a gatherer: `new AdderTrainer(config, { judge })` puts
//    people in its place), fits the reward (Bradley–Terry, Adam) and, every few epochs, measures held-out preference
//    accuracy and the mean squared error of the greedy answers
while (!trainer.done) {
  const m = await trainer.step();
  if (m['objective/preference_accuracy'] !== null)
    console.log(
      `epoch ${String(m.iteration).padStart(3)}  labels ${String(m['feedback/labels']).padStart(4)}  ` +
        `accuracy ${m['objective/preference_accuracy'].toFixed(3)}  action MSE ${m['objective/action_mse']!.toFixed(4)}`,
    );
}

// 3. ask it some sums: the answer is the action that maximizes the learned reward
const a = [3, 12, 7, 19];
const b = [4, 9, 0, 18];
const x = trainer.greedy(a, b);
console.log(`\nθ = [${Array.from(trainer.members[0]!.flatParams).map((v) => v.toFixed(2)).join(', ')}]`);
a.forEach((ai, i) => console.log(`${ai} + ${b[i]} → ${x[i]!.toFixed(3)}`));
