/**
 * The digits run's summary.json (docs/digits.md describes each key): what `rlhf run digits` prints and writes at
 * the end. A type module of its own, so the run (run.ts, people.ts) and the report (report.ts) import it and not each
 * other.
 */
export interface DigitsSummary {
  domain: 'digits';
  seed: number;
  judge: string;
  steps: number;
  /** judgements used: one 👍/👎 and one classifier answer per step */
  labels: number;
  thumbs_up_rate_first100: number;
  thumbs_up_rate_last100: number;
  thumbs_up_rate: number;
  classifier_accuracy_before: number;
  classifier_accuracy_after: number;
  /** lowest held-out accuracy seen at any evaluation */
  classifier_accuracy_min: number;
  corrections: number;
  judge_accuracy: number;
  /** share of 100 fresh samples per class of the policy that the judge recognises (its expected thumbs-up rate), before and after feedback */
  recognised_before: number;
  recognised_after: number;
  policy_entropy_before: number;
  policy_entropy_after: number;
  held_out_images: number;
  seconds: number;
  pretrain_seconds: number;
  backend: string;
}
