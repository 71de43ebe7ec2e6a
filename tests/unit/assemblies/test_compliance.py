"""Compliance status is derived from the last result and the due date, relative to today."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from assemblies.domain.compliance import StatusRule, compliance_status, status_rule
from assemblies.domain.vocabulary import COMPLIANCE_STATUSES

TODAY = date(2026, 3, 15)


@pytest.mark.parametrize(
    ("result", "due", "expected"),
    [
        ("fail", TODAY + timedelta(days=200), "non_compliant"),
        ("fail", None, "non_compliant"),
        ("fail", TODAY - timedelta(days=10), "non_compliant"),
        ("pass", TODAY - timedelta(days=1), "overdue"),
        (None, TODAY - timedelta(days=400), "overdue"),
        ("pass", TODAY, "due"),
        ("pass", TODAY + timedelta(days=30), "due"),
        ("pass", TODAY + timedelta(days=31), "compliant"),
        (None, None, "unknown"),
        ("pass", None, "unknown"),
    ],
)
def test_status_follows_the_precedence_of_the_domain(result: str | None, due: date | None, expected: str) -> None:
    assert compliance_status(result, due, TODAY) == expected


def _holds(rule: StatusRule, result: str | None, due: date | None) -> bool:
    if rule.failed != (result == "fail"):
        return False
    if rule.due_missing:
        return due is None
    if rule.due_min is not None and (due is None or due < rule.due_min):
        return False
    return not (rule.due_max is not None and (due is None or due > rule.due_max))


def test_the_date_predicates_select_exactly_one_status_for_every_assembly() -> None:
    """The database filter uses the rules; they must agree with the status everywhere."""
    dues = [None, *(TODAY + timedelta(days=d) for d in range(-400, 400, 7)), TODAY, TODAY + timedelta(days=30)]
    for result in (None, "pass", "fail"):
        for due in dues:
            matching = [s for s in COMPLIANCE_STATUSES if _holds(status_rule(s, TODAY), result, due)]
            assert matching == [compliance_status(result, due, TODAY)], (result, due)


def test_status_moves_with_the_clock() -> None:
    due = date(2026, 4, 30)
    assert compliance_status("pass", due, date(2026, 3, 1)) == "compliant"
    assert compliance_status("pass", due, date(2026, 4, 1)) == "due"
    assert compliance_status("pass", due, date(2026, 5, 1)) == "overdue"


def test_an_unknown_status_has_no_rule() -> None:
    with pytest.raises(ValueError):
        status_rule("late", TODAY)
