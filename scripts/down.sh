#!/usr/bin/env bash
# `make down`: stops what `make up` started (the services, the mail catcher, Kafka, PostgreSQL).
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv/bin/python ]; then .venv/bin/python -m devstack down; fi
scripts/infra/kafka.sh stop
scripts/infra/postgres.sh stop
