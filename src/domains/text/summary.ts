/**
 * The text run's summary.json (docs/algorithms.md describes each key) and the before/after table of its report: what
 * `rlhf run text` prints and writes at the end. A type module of its own, so the run, the report and the command
 * import it and not each other.
 */
/** One eval prompt in the report's before/after table. */
export interface BeforeAfterRow {
  query: string;
  responseBefore: string;
  responseAfter: string;
  rewardBefore: number;
  rewardAfter: number;
}

export interface TextRlhfSummary {
  optimizer: string;
  /** mean AFINN of the reference's continuations of the eval prompts */
  sentiment_before: number;
  /** mean AFINN of the tuned policy's continuations of the same prompts */
  sentiment_after: number;
  sentiment_gain: number;
  /** mean over eval continuations of Σ_t log π(y_t) − log π_ref(y_t) (nats per sequence) */
  kl: number;
  /** fraction of eval prompts where the judge prefers the policy's continuation over the reference's (ties ½) */
  win_rate: number | null;
  /** fraction of eval prompts whose two continuations have the same judge score (their verdict is a coin flip) */
  equal_scores: number;
  /** held-out preference accuracy of the reward model (null without decisive held-out comparisons) */
  reward_model_accuracy: number | null;
  /** comparisons the judge answered (skips excluded) */
  labels: number;
  seconds: number;
  seed: number;
  eval_prompts: number;
}
