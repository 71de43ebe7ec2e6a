#!/usr/bin/env bash
# `make run`: the whole system in the foreground (Kafka, mail catcher, every service as its
# own process, SQLite databases, the gateway with the UI, demo data). Ctrl-C stops it all.
# RUN_DB=postgres uses PostgreSQL instead of SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
started_kafka=0
if ! scripts/infra/kafka.sh status >/dev/null 2>&1; then started_kafka=1; fi
scripts/infra/kafka.sh fetch
scripts/infra/kafka.sh start
started_pg=0
if [ "${RUN_DB:-sqlite}" = postgres ]; then
  if ! scripts/infra/postgres.sh status >/dev/null 2>&1; then started_pg=1; fi
  scripts/infra/postgres.sh start
  scripts/infra/postgres.sh createdbs
fi
cleanup() {
  if [ "$started_kafka" = 1 ]; then scripts/infra/kafka.sh stop || true; fi
  if [ "$started_pg" = 1 ]; then scripts/infra/postgres.sh stop || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
.venv/bin/python -m devstack run "$@"
