#!/usr/bin/env bash
# Placeholder: the services engineer wires `make up` here.
echo "make up: not wired yet (scripts/up.sh)" >&2
exit 1
