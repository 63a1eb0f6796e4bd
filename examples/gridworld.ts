/**
 * RLHF on a gridworld, in one file: an agent learns where to go from a simulated teacher's comparisons of its own
 * trajectories, never seeing the true reward.
 *
 *   npx tsx examples/gridworld.ts            (about a second; writes nothing)
 *
 * The same loop runs from the command line with a run directory, plots and a report: `rlhf run gridworld --out DIR`.
 */
import { resolveGridworldConfig, GridworldExperiment } from '../src/domains/gridworld/index.js';
import { runIteration } from '../src/loop/parts.js';

// 1. configure: a 7×7 grid, start bottom-left, goal top-right; everything else keeps its default
//    (horizon 30, 100 compared pairs per iteration, Boltzmann teacher β = 1, 50 Adam steps, exploration bonus 3)
const config = resolveGridworldConfig({ size: 7, starts: [[0, 0]], goals: [[6, 6]], iterations: 60, seed: 7 });

// 2. the experiment holds the loop's parts: plan (soft value iteration on the learned reward), sample (rollout pairs),
//    judge (the B-Pref teacher), fit (Bradley–Terry with Adam) and measure (true return, goal rate)
const experiment = new GridworldExperiment(config);
const parts = experiment.parts(); // swap a part here: experiment.parts(myGatherer) puts your own judge in the loop

// 3. one iteration = plan → sample → judge → fit → measure; each returns its metrics (docs/metrics.md).
//    (runGridworld(config, { out }) does the same through the run driver, with a run directory, checkpoints and a report.)
for (let iteration = 1; iteration <= config.iterations; iteration++) {
  const { metrics } = await runIteration(parts, iteration);
  if (iteration % 10 === 0)
    console.log(
      `iteration ${String(iteration).padStart(3)}  goal rate ${metrics['objective/goal_rate']!.toFixed(2)}  ` +
        `true return ${metrics['objective/true_return']!.toFixed(1)}  reward loss ${metrics['reward/loss']!.toFixed(3)}  ` +
        `labels ${metrics['feedback/labels']}`,
    );
}

// 4. what the agent learned: its reward as a map (the goal should stand out), and how well it matches the truth
const N = config.size;
const learned = experiment.reward.model.distribution(); // softmax(θ): the learned target distribution over cells
console.log('\nlearned target distribution (y up):');
for (let y = N - 1; y >= 0; y--) {
  const row = Array.from({ length: N }, (_, x) => learned[experiment.env.state(x, y)]!.toFixed(2).padStart(5));
  console.log(row.join(' '));
}
console.log(`\nPearson correlation with the true target: ${experiment.reward.correlation().toFixed(4)}`);
console.log(`best possible true return: ${experiment.optimalReturn.toFixed(2)}`);
