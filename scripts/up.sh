#!/usr/bin/env bash
# `make up`: the same system as `make run`, in the background. `make down` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/infra/kafka.sh fetch
scripts/infra/kafka.sh start
if [ "${RUN_DB:-sqlite}" = postgres ]; then
  scripts/infra/postgres.sh start
  scripts/infra/postgres.sh createdbs
fi
.venv/bin/python -m devstack up "$@"
