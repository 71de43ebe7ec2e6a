"""Shared plumbing only: settings, database, outbox/inbox, Kafka wiring, health, logs, identity."""
