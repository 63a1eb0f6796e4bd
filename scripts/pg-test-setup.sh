#!/usr/bin/env bash
# Starts Debian's PostgreSQL 15 cluster and creates the role and database the store tests use. Idempotent:
# safe to run again (it only starts what is down and creates what is missing). Needs root (or the postgres user).
#   afterwards: export RLHF_TEST_PG_URL=postgres://rlhf:rlhf@127.0.0.1:5432/rlhf_test
# Override with PG_VERSION, PG_CLUSTER, RLHF_PG_USER, RLHF_PG_PASSWORD, RLHF_PG_DB.
set -euo pipefail
PG_VERSION="${PG_VERSION:-15}"
PG_CLUSTER="${PG_CLUSTER:-main}"
USER_NAME="${RLHF_PG_USER:-rlhf}"
PASSWORD="${RLHF_PG_PASSWORD:-rlhf}"
DB="${RLHF_PG_DB:-rlhf_test}"

if ! command -v pg_ctlcluster >/dev/null; then
  echo "pg-test-setup: pg_ctlcluster not found; install Debian's postgresql (apt-get install -y postgresql)" >&2
  exit 1
fi
if ! pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
  pg_createcluster "$PG_VERSION" "$PG_CLUSTER"
fi
if ! pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c && $4 == "online" { up = 1 } END { exit !up }'; then
  pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
fi

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
psql_admin() { as_postgres psql -v ON_ERROR_STOP=1 -qAt "$@"; }

# wait until the server accepts connections (up to 30 s)
for _ in $(seq 1 60); do
  if psql_admin -c 'SELECT 1' >/dev/null 2>&1; then break; fi
  sleep 0.5
done
psql_admin -c 'SELECT 1' >/dev/null

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '${USER_NAME}'")" != 1 ]; then
  psql_admin -c "CREATE ROLE \"${USER_NAME}\" LOGIN PASSWORD '${PASSWORD}'"
else
  psql_admin -c "ALTER ROLE \"${USER_NAME}\" LOGIN PASSWORD '${PASSWORD}'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '${DB}'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE \"${DB}\" OWNER \"${USER_NAME}\""
fi
echo "pg-test-setup: ready: postgres://${USER_NAME}:${PASSWORD}@127.0.0.1:5432/${DB}"
