/**
 * The label budget and its schedule: how many queries a run may put to judges in total, and how many per
 * iteration. People's time is the scarce resource of RLHF; the budget is a hard cap (never exceeded: a query
 * asked counts, whatever the answer, skips included).
 *
 *   constant  n_t = n₀
 *   decay     n_t = max(1, round(n₀ · d^t))          (ask more while the reward is unknown, less later)
 * and always n_t ≤ budget − used.
 */
import { ConfigError, invariant } from '../core/errors.js';

export const LABEL_SCHEDULES = ['constant', 'decay'] as const;
export type LabelSchedule = (typeof LABEL_SCHEDULES)[number];

export interface LabelBudgetConfig {
  /** total labels the run may ask for; Infinity = unlimited. Default Infinity. */
  budget: number;
  /** n₀, labels asked at iteration 0. */
  perIteration: number;
  /** how n_t changes with the iteration t. Default 'constant'. */
  schedule: LabelSchedule;
  /** d ∈ (0, 1], decay factor per iteration for the 'decay' schedule. Default 0.9. */
  decay: number;
}

/** Validates a budget config; `flags` names the CLI flag of each field in error messages. */
export function resolveLabelBudget(
  c: Partial<LabelBudgetConfig> & { perIteration: number },
  flags: Partial<Record<keyof LabelBudgetConfig, string>> = {},
): LabelBudgetConfig {
  const f = { budget: 'label-budget', perIteration: 'labels-per-iteration', schedule: 'label-schedule', decay: 'label-decay', ...flags };
  const r: LabelBudgetConfig = { budget: Infinity, schedule: 'constant', decay: 0.9, ...c };
  if (!(r.budget === Infinity || (Number.isInteger(r.budget) && r.budget >= 0))) throw new ConfigError(f.budget, `--${f.budget} must be an integer ≥ 0, got ${r.budget}`);
  if (!(Number.isInteger(r.perIteration) && r.perIteration >= 1)) throw new ConfigError(f.perIteration, `--${f.perIteration} must be an integer ≥ 1, got ${r.perIteration}`);
  if (!(LABEL_SCHEDULES as readonly string[]).includes(r.schedule))
    throw new ConfigError(f.schedule, `--${f.schedule} must be one of ${LABEL_SCHEDULES.join(', ')}; got "${r.schedule}"`);
  if (!(r.decay > 0 && r.decay <= 1)) throw new ConfigError(f.decay, `--${f.decay} must be in (0, 1], got ${r.decay}`);
  return r;
}

/** n_t before the budget cap. */
export function scheduledLabels(c: LabelBudgetConfig, iteration: number): number {
  if (c.schedule === 'constant') return c.perIteration;
  return Math.max(1, Math.round(c.perIteration * c.decay ** iteration)); // n_t = max(1, round(n₀ dᵗ))
}

/** Tracks labels spent against the budget. */
export class LabelBudget {
  private spent = 0;
  constructor(readonly config: LabelBudgetConfig) {}

  get used(): number {
    return this.spent;
  }

  get remaining(): number {
    return this.config.budget - this.spent;
  }

  get exhausted(): boolean {
    return this.remaining <= 0;
  }

  /** How many queries iteration t may ask: min(n_t, budget − used). */
  allowance(iteration: number): number {
    return Math.max(0, Math.min(scheduledLabels(this.config, iteration), this.remaining));
  }

  /** Records `n` queries asked; asking past the budget is a bug in the caller. */
  spend(n: number): void {
    invariant(Number.isInteger(n) && n >= 0, `label count must be an integer ≥ 0, got ${n}`);
    invariant(this.spent + n <= this.config.budget, `label budget exceeded: ${this.spent} + ${n} > ${this.config.budget}`);
    this.spent += n;
  }

  state(): { used: number } {
    return { used: this.spent };
  }

  setState(s: { used: number }): void {
    invariant(s.used <= this.config.budget, `checkpoint used ${s.used} labels, more than the budget ${this.config.budget}`);
    this.spent = s.used;
  }
}
