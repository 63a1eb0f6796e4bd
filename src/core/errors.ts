/**
 * One errors module for the whole toolkit. Every error has a stable `code` (documented in docs/errors.md,
 * checked by a test) and a message that says what was received, what was expected and how to fix it.
 */

/** Every error code the toolkit throws. Add a code here and a line in docs/errors.md together. */
export const ERROR_CODES = [
  'E_CONFIG', // an option or config value is missing, malformed or out of range
  'E_USAGE', // the command line is malformed (unknown command, unknown flag)
  'E_SHAPE', // a tensor or array has the wrong shape
  'E_FEEDBACK', // a judgement or query is malformed or inconsistent
  'E_STORE', // the feedback store failed or holds inconsistent data
  'E_DATA', // a data file (dataset, checkpoint, JSONL) is missing or malformed
  'E_CHECKPOINT', // a checkpoint cannot be resumed (missing, or made with another config)
  'E_AUTH', // a token is missing or lacks the permission
  'E_NOT_FOUND', // a run, query, sample or annotator does not exist
  'E_CONFLICT', // the request conflicts with stored state (e.g. a query already judged)
  'E_REQUEST', // an HTTP request is malformed (bad JSON, a missing/unknown/mistyped field, too large)
  'E_INTERNAL', // an invariant broke: a bug in rlhfkit
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Base error: `code` is stable across versions, `message` is for people. */
export class RlhfError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An option or config value is invalid. `key` names the option (a CLI flag or config field). */
export class ConfigError extends RlhfError {
  readonly key: string;
  constructor(key: string, message: string) {
    super('E_CONFIG', message);
    this.key = key;
  }
}

export class UsageError extends RlhfError {
  constructor(message: string) {
    super('E_USAGE', message);
  }
}

export class ShapeError extends RlhfError {
  constructor(message: string) {
    super('E_SHAPE', message);
  }
}

export class FeedbackError extends RlhfError {
  constructor(message: string) {
    super('E_FEEDBACK', message);
  }
}

export class StoreError extends RlhfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_STORE', message, options);
  }
}

export class DataError extends RlhfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_DATA', message, options);
  }
}

export class CheckpointError extends RlhfError {
  constructor(message: string) {
    super('E_CHECKPOINT', message);
  }
}

/** Throws E_INTERNAL when `cond` is false: for invariants, not for user input. */
export function invariant(cond: unknown, message: string): asserts cond {
  if (!cond) throw new RlhfError('E_INTERNAL', `internal error: ${message} (please report this as a bug)`);
}
