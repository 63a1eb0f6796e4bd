/**
 * RLHF on a small GPT-2, in one file: the bundled fortunes model learns to continue prompts more positively from a
 * simulated judge's comparisons of pairs of its own continuations (the AFINN-165 sentiment lexicon) — it never sees
 * the judge's scores. First a reward model is fit to the comparisons, then PPO tunes LoRA adapters against it, held
 * near the original model by a KL penalty.
 *
 *   npx tsx examples/text.ts            (about a minute of CPU on models/fortunes-tiny; writes nothing)
 *   → AFINN 0.25 → 1.72, KL 4.5 nats, the tuned continuation preferred 66 % of the time (seed 1)
 *
 * The same run from the command line, with a run directory, checkpoints, plots and a report: `rlhf run text --out DIR`
 * (its defaults — 10 000 comparisons, 50 PPO steps — take several minutes); `--optimizer dpo` for DPO instead of PPO.
 */
import { pathToFileURL } from 'node:url';
import { resolveTextRlhfConfig, runText, type TextRlhfOverrides, type TextRlhfSummary } from '../src/domains/text/index.js';

export async function textExample(overrides: TextRlhfOverrides = {}): Promise<TextRlhfSummary> {
  // 1. configure: 2000 comparisons, 20 PPO steps of 32 continuations, 32 held-out prompts for the before/after table;
  //    everything else keeps its default (the bundled model, prompts = the first 2–8 tokens of Debian's fortunes,
  //    the Oracle teacher, a reward model linear in token counts, LoRA rank 8, KL target 6 nats)
  const config = resolveTextRlhfConfig({ labels: 2000, iterations: 20, evalPrompts: 32, trainPrompts: 256, seed: 1, ...overrides });

  // 2. run: iteration 1 = the judge compares pairs of the model's continuations and the reward model is fit to them;
  //    iterations 2.. = PPO steps (generate, score with the reward model, ppoStep). Without `out` nothing is written.
  const { summary, run } = await runText(config, {
    quiet: true,
    onIteration: ({ iteration: it, metrics: m }) => {
      if (it === 1) console.log(`${m['feedback/labels']} comparisons; reward model held-out accuracy ${m['reward/accuracy']?.toFixed(3)}`);
      else console.log(`PPO step ${String(it - 1).padStart(2)}  judge's mean AFINN ${m['objective/true_reward']!.toFixed(2).padStart(5)}  KL ${m['objective/kl']!.toFixed(2)} nats`);
    },
  });

  // 3. what changed, on held-out prompts: the reference's continuation and the tuned policy's, with the judge's score
  const s = summary!;
  console.log(`\nAFINN ${s.sentiment_before.toFixed(2)} → ${s.sentiment_after.toFixed(2)}, KL ${s.kl.toFixed(2)} nats, the judge prefers the tuned continuation ${((s.win_rate ?? 0) * 100).toFixed(0)}% of the time`);
  for (const row of run.loop.result!.table.slice(0, 5)) {
    console.log(`\n${JSON.stringify(row.query)}\n  before (${row.rewardBefore}): ${JSON.stringify(row.responseBefore)}\n  after  (${row.rewardAfter}): ${JSON.stringify(row.responseAfter)}`);
  }
  return s;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await textExample();
