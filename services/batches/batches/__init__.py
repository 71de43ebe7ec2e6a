"""Batches, members, the communications ledger and its statuses, the batch state machine, clone."""
