/**
 * PostgreSQL's hot path as stored functions, so a lease, and a judgement with the annotator's next lease, each
 * take one round trip instead of a transaction of five or more statements. The functions are composed from the
 * logic's own statements (sql.ts: the same lease rule, the same inserts), with the `?` placeholders bound to the
 * functions' parameters; what they add is only the order of the checks, which mirrors SqlStore.addJudgementTx
 * and SqlStore.leaseQuery (the contract suite runs both forms on the same cases). postgres.ts installs them when
 * a store is opened, again whenever their text changes; a change of their signature or answers needs a new
 * `_vN` name, so replicas of two versions never call each other's.
 *
 *   rlhf_lease_v1(run, annotator, now, lease_ms) → json { outcome: no_run | closed | disabled | none | leased, … }
 *   rlhf_judge_v1(query, annotator, kind, judgement, fit, created, require_lease, now, next_lease_ms)
 *     → json { outcome: disabled | not_found | closed | differs | not_leased | check | created | same, …, next }
 * `check`: the judgement's fit key differs from the query's (or the query has none): nothing was written, and
 * the caller runs the logic's transaction, which names the field that does not fit.
 */
import type { Statements } from './sql.js';
import { OPEN_RUN_STATUSES } from './types.js';

/** Bumped when a function's parameters or answers change (the name carries it). */
export const PG_FUNCTIONS_VERSION = 1;

/** The statement with its `?` placeholders (outside quoted literals) replaced by `names`, in order. */
export function bindNames(sql: string, names: string[]): string {
  let i = 0;
  const out = sql.replace(/'(?:[^']|'')*'|\?/g, (m) => {
    if (m !== '?') return m;
    const name = names[i++];
    if (name === undefined) throw new Error(`bindNames: more placeholders than the ${names.length} names given in: ${sql}`);
    return name;
  });
  if (i !== names.length) throw new Error(`bindNames: ${names.length} names for ${i} placeholders in: ${sql}`);
  return out;
}

/** `SELECT …` → `SELECT INTO target …` (PL/pgSQL takes INTO right after SELECT). */
function selectInto(sql: string, target: string): string {
  if (!sql.startsWith('SELECT ')) throw new Error(`selectInto: not a SELECT: ${sql}`);
  return `SELECT INTO ${target} ${sql.slice('SELECT '.length)}`;
}

/** The CREATE OR REPLACE statements of both functions. */
export function pgFunctions(s: Statements): string {
  const open = OPEN_RUN_STATUSES.map((st) => `'${st}'`).join(', ');
  const leased = `json_build_object('outcome', 'leased', 'id', v_q.id, 'run_id', v_q.run_id, 'iteration', v_q.iteration,
      'kind', v_q.kind, 'body', v_q.body, 'expires', p_now + p_ms)`;
  return `
CREATE OR REPLACE FUNCTION rlhf_next_lease_v1(p_run TEXT, p_annotator TEXT, p_now BIGINT, p_ms BIGINT) RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
  v_q queries%ROWTYPE;
BEGIN
  -- the annotator's own unexpired lease, else the first free query (SqlStore.leaseTx)
  ${selectInto(bindNames(s.ownLease, ['p_run', 'p_annotator', 'p_now', 'p_annotator']), 'v_q')};
  IF NOT FOUND THEN
    ${selectInto(bindNames(s.nextFree, ['p_run', 'p_now', 'p_annotator']), 'v_q')};
    IF NOT FOUND THEN
      RETURN json_build_object('outcome', 'none');
    END IF;
  END IF;
  ${bindNames(s.setLease, ['p_annotator', 'p_now + p_ms', 'v_q.id'])};
  RETURN ${leased};
END
$fn$;

CREATE OR REPLACE FUNCTION rlhf_lease_v1(p_run TEXT, p_annotator TEXT, p_now BIGINT, p_ms BIGINT) RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
  v_run runs%ROWTYPE;
  v_disabled BIGINT;
BEGIN
  -- SqlStore.leaseQuery
  ${selectInto(bindNames(s.getRun, ['p_run']), 'v_run')};
  IF NOT FOUND THEN
    RETURN json_build_object('outcome', 'no_run');
  END IF;
  IF v_run.status NOT IN (${open}) THEN
    RETURN json_build_object('outcome', 'closed', 'status', v_run.status);
  END IF;
  ${selectInto(bindNames(s.disabledAt, ['p_annotator']), 'v_disabled')};
  IF v_disabled IS NOT NULL THEN
    RETURN json_build_object('outcome', 'disabled');
  END IF;
  RETURN rlhf_next_lease_v1(p_run, p_annotator, p_now, p_ms);
END
$fn$;

CREATE OR REPLACE FUNCTION rlhf_judge_v1(p_query TEXT, p_annotator TEXT, p_kind TEXT, p_judgement TEXT, p_fit TEXT,
    p_created BIGINT, p_require_lease BOOLEAN, p_now BIGINT, p_next_ms BIGINT) RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
  v_q RECORD;
  v_disabled BIGINT;
  v_created BOOLEAN := false;
  v_next json := NULL;
BEGIN
  -- SqlStore.addJudgement and addJudgementTx: the checks in the same order
  IF p_require_lease THEN
    ${selectInto(bindNames(s.disabledAt, ['p_annotator']), 'v_disabled')};
    IF v_disabled IS NOT NULL THEN
      RETURN json_build_object('outcome', 'disabled');
    END IF;
  END IF;
  ${selectInto(bindNames(s.judgeContext, ['p_annotator', 'p_query']), 'v_q')};
  IF NOT FOUND THEN
    RETURN json_build_object('outcome', 'not_found');
  END IF;
  IF v_q.own_judgement IS DISTINCT FROM p_judgement THEN
    IF p_require_lease AND v_q.run_status NOT IN (${open}) THEN
      RETURN json_build_object('outcome', 'closed', 'status', v_q.run_status, 'run_id', v_q.run_id);
    END IF;
    IF v_q.own_judgement IS NOT NULL THEN
      RETURN json_build_object('outcome', 'differs');
    END IF;
    IF p_require_lease AND v_q.lease_annotator IS DISTINCT FROM p_annotator THEN
      RETURN json_build_object('outcome', 'not_leased');
    END IF;
    IF v_q.fit IS NULL OR v_q.fit <> p_fit THEN
      RETURN json_build_object('outcome', 'check');
    END IF;
    ${bindNames(s.insertJudgement, ['p_query', 'v_q.run_id', 'v_q.iteration', 'p_annotator', 'p_kind', 'p_judgement', 'p_created'])};
    ${bindNames(s.judgedUp, ['p_annotator', 'p_annotator', 'p_query'])};
    v_created := true;
  END IF;
  IF p_next_ms IS NOT NULL AND v_q.run_status IN (${open}) THEN
    v_next := rlhf_next_lease_v1(v_q.run_id, p_annotator, p_now, p_next_ms);
  END IF;
  RETURN json_build_object(
    'outcome', CASE WHEN v_created THEN 'created' ELSE 'same' END,
    'run_id', v_q.run_id,
    'created_at', CASE WHEN v_created THEN p_created ELSE v_q.own_created_at END,
    'judgement', p_judgement,
    'next', v_next);
END
$fn$;
`;
}
