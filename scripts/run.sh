#!/usr/bin/env bash
# Placeholder: the services engineer wires `make run` here.
echo "make run: not wired yet (scripts/run.sh)" >&2
exit 1
