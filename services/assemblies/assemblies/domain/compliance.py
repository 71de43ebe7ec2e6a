"""Compliance status of an assembly, derived from its dates and last result, never stored.

``non_compliant`` (last test failed) beats ``overdue`` (next_test_due before today), then
``due`` (due within ``DUE_WINDOW_DAYS``), ``compliant`` (due later) and ``unknown`` (no due
date). The same rule is also given as date bounds (``StatusRule``) so a database can
answer "which assemblies are overdue today" from an index on the due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

DUE_WINDOW_DAYS = 30


def compliance_status(last_test_result: str | None, next_test_due: date | None, today: date) -> str:
    """The compliance status of one assembly on ``today``."""
    if last_test_result == "fail":
        return "non_compliant"
    if next_test_due is None:
        return "unknown"
    if next_test_due < today:
        return "overdue"
    if next_test_due <= today + timedelta(days=DUE_WINDOW_DAYS):
        return "due"
    return "compliant"


@dataclass(frozen=True)
class StatusRule:
    """A compliance status as predicates on the stored fields, relative to one day.

    ``failed`` True: last test result is ``fail``; False: it is anything else (or none).
    ``due_min``/``due_max`` bound next_test_due (inclusive); ``due_missing`` asks for no due date.
    """

    failed: bool
    due_min: date | None = None
    due_max: date | None = None
    due_missing: bool = False


def status_rule(status: str, today: date) -> StatusRule:
    """The predicates that select assemblies having ``status`` on ``today``."""
    if status == "non_compliant":
        return StatusRule(failed=True)
    if status == "overdue":
        return StatusRule(failed=False, due_max=today - timedelta(days=1))
    if status == "due":
        return StatusRule(failed=False, due_min=today, due_max=today + timedelta(days=DUE_WINDOW_DAYS))
    if status == "compliant":
        return StatusRule(failed=False, due_min=today + timedelta(days=DUE_WINDOW_DAYS + 1))
    if status == "unknown":
        return StatusRule(failed=False, due_missing=True)
    raise ValueError(f"unknown compliance status {status!r}")
