#!/usr/bin/env bash
# Placeholder: the services engineer wires `make down` here.
echo "make down: not wired yet (scripts/down.sh)" >&2
exit 1
