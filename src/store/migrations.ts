/**
 * Versioned schema migrations for both backends. A store records the versions it applied in `schema_version`;
 * opening a store applies the missing ones in order, each in its own transaction. Never edit a released
 * migration: append a new one with the next number (and its SQL for both backends).
 *
 * Times are integer milliseconds since the epoch (BIGINT), JSON is stored as text (canonical for judgements,
 * so an idempotent retry is a string comparison).
 */
import { StoreError } from '../core/errors.js';

export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

const V1_TABLES = (serial: string, bigint: string) => `
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  domain TEXT NOT NULL,
  status TEXT NOT NULL,
  config TEXT NOT NULL,
  created_at ${bigint} NOT NULL,
  updated_at ${bigint} NOT NULL
);
CREATE TABLE annotators (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at ${bigint} NOT NULL
);
CREATE TABLE queries (
  seq ${serial},
  id TEXT NOT NULL UNIQUE,
  run_id TEXT NOT NULL REFERENCES runs(id),
  iteration INTEGER NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  wanted INTEGER NOT NULL,
  judged INTEGER NOT NULL DEFAULT 0,
  lease_annotator TEXT,
  lease_expires ${bigint},
  created_at ${bigint} NOT NULL
);
CREATE INDEX queries_open ON queries (run_id, iteration, seq) WHERE judged < wanted;
CREATE INDEX queries_run ON queries (run_id, iteration, seq);
CREATE INDEX queries_lease ON queries (lease_annotator, run_id);
CREATE TABLE judgements (
  seq ${serial},
  query_id TEXT NOT NULL REFERENCES queries(id),
  run_id TEXT NOT NULL,
  iteration INTEGER NOT NULL,
  annotator TEXT NOT NULL,
  kind TEXT NOT NULL,
  judgement TEXT NOT NULL,
  created_at ${bigint} NOT NULL,
  UNIQUE (query_id, annotator)
);
CREATE INDEX judgements_run ON judgements (run_id, iteration, seq);
CREATE INDEX judgements_annotator ON judgements (annotator, run_id);
CREATE TABLE events (
  seq ${serial},
  run_id TEXT NOT NULL,
  type TEXT NOT NULL,
  iteration INTEGER,
  data TEXT NOT NULL,
  created_at ${bigint} NOT NULL
);
CREATE INDEX events_run ON events (run_id, seq);
`;

/**
 * Schema 2: roles and review. Annotator accounts can be disabled; the audit trail (retractions, adjudications,
 * account changes; rows are only appended); queries carry their fit key (common.ts `queryFit`; null in rows of
 * schema 1, which the logic then checks the slow way); `meta` holds the store's random id.
 */
const V2_REVIEW = (serial: string, bigint: string, randomId: string) => `
ALTER TABLE annotators ADD COLUMN disabled_at ${bigint};
ALTER TABLE queries ADD COLUMN fit TEXT;
CREATE TABLE audit (
  seq ${serial},
  run_id TEXT,
  query_id TEXT,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  annotator TEXT,
  data TEXT NOT NULL,
  created_at ${bigint} NOT NULL
);
CREATE INDEX audit_run ON audit (run_id, seq);
CREATE INDEX audit_query ON audit (query_id, seq);
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('store_id', ${randomId});
`;

/** The numbered migrations, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, annotators, queries with leases, judgements, events',
    sqlite: V1_TABLES('INTEGER PRIMARY KEY AUTOINCREMENT', 'INTEGER'),
    postgres: V1_TABLES('BIGSERIAL PRIMARY KEY', 'BIGINT'),
  },
  {
    version: 2,
    name: 'disabled accounts, audit trail, query fit keys, store id',
    sqlite: V2_REVIEW('INTEGER PRIMARY KEY AUTOINCREMENT', 'INTEGER', 'lower(hex(randomblob(16)))'),
    postgres: V2_REVIEW('BIGSERIAL PRIMARY KEY', 'BIGINT', 'md5(random()::text || clock_timestamp()::text)'),
  },
];

/** The schema version this build of rlhfkit writes. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** Refuses a store whose schema (`at`) was written by a newer rlhfkit. */
export function refuseNewerSchema(at: number): void {
  if (at > LATEST_SCHEMA_VERSION) {
    throw new StoreError(`the store's schema is version ${at}, newer than this rlhfkit understands (${LATEST_SCHEMA_VERSION}); upgrade rlhfkit`);
  }
}
