# Batch communications for backflow programs: developer entry points.
# Infrastructure targets (bootstrap, infra-*, test, lint) use scripts/bootstrap.sh and
# scripts/infra/*.sh; see docs/infrastructure.md.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON      := .venv/bin/python
PYTEST_ARGS ?=

# Ports and backends, overridable from the environment (make test KAFKA_PORT=19092 ...).
export KAFKA_PORT            ?= 9092
export KAFKA_CONTROLLER_PORT ?= 9093
export PGPORT                ?= 5433
export PGHOST                ?= 127.0.0.1
export PGUSER                ?= postgres
export TEST_DB               ?= postgres
export KAFKA_BOOTSTRAP_SERVERS ?= 127.0.0.1:$(KAFKA_PORT)

.PHONY: help bootstrap infra-up infra-down infra-status test lint run up down

help:
	@echo "make bootstrap     Debian packages, .venv, pinned Python packages (idempotent)"
	@echo "make infra-up      bootstrap + PostgreSQL ($(PGPORT)) with databases + Kafka ($(KAFKA_PORT))"
	@echo "make infra-down    stop Kafka and PostgreSQL started by infra-up"
	@echo "make infra-status  is our Kafka / PostgreSQL running"
	@echo "make test          infra-up, then pytest (unit, integration, e2e) \$$PYTEST_ARGS (TEST_DB=postgres|sqlite)"
	@echo "make lint          ruff check + ruff format --check + mypy (contracts and every domain)"
	@echo "make run|up|down   run the system (scripts/run.sh, up.sh, down.sh)"

bootstrap:
	@scripts/bootstrap.sh

infra-up: bootstrap
	@scripts/infra/postgres.sh start
	@scripts/infra/postgres.sh createdbs
	@scripts/infra/kafka.sh fetch
	@scripts/infra/kafka.sh start

infra-down:
	@scripts/infra/kafka.sh stop
	@scripts/infra/postgres.sh stop

infra-status:
	@scripts/infra/kafka.sh status || true
	@scripts/infra/postgres.sh status || true

# TEST_EXIT_FILE (used by .ci/run): record pytest's exit code there and let make succeed,
# so that pytest's summary line stays the last line printed.
test: infra-up
	@rc=0; $(PYTHON) -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [[ -n "$(TEST_EXIT_FILE)" ]]; then echo $$rc > "$(TEST_EXIT_FILE)"; exit 0; fi; \
	exit $$rc

lint: bootstrap
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy --ignore-missing-imports contracts/contracts $(wildcard services/*/*/domain)

# ---------------------------------------------------------------------------------------
# run / up / down: wired by the services' engineer in scripts/run.sh, scripts/up.sh,
# scripts/down.sh (this Makefile only calls them).
run:
	@scripts/run.sh

up:
	@scripts/up.sh

down:
	@scripts/down.sh
# ---------------------------------------------------------------------------------------
