"""Counting the working list: a filter as disjoint due slices, a due range as whole months and edges."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from assemblies.adapters.filter_sql import whole_months
from assemblies.domain.compliance import compliance_status
from assemblies.domain.working_list import DueSlice, due_slices, parse_filter

TODAY = date(2026, 3, 15)


def _in(piece: DueSlice, failed: bool, due: date | None) -> bool:
    if piece.failed is not None and piece.failed != failed:
        return False
    if piece.due_missing:
        return due is None
    if not piece.bounded:
        return True
    if due is None:
        return False
    return (piece.due_min is None or due >= piece.due_min) and (piece.due_max is None or due <= piece.due_max)


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"compliance_status": ["overdue"]},
        {"compliance_status": ["overdue", "non_compliant"]},
        {"compliance_status": ["due", "compliant", "unknown"]},
        {"compliance_status": ["unknown"], "due_from": "2026-01-01"},
        {"compliance_status": ["compliant"], "due_to": "2026-04-01"},
        {"compliance_status": ["non_compliant", "due"], "due_from": "2026-03-20", "due_to": "2026-05-31"},
        {"due_from": "2026-02-10"},
    ],
)
def test_an_assembly_is_in_one_slice_exactly_when_it_matches_the_statuses_and_due_range(raw: dict) -> None:
    f = parse_filter(raw)
    pieces = due_slices(f, TODAY)
    days = [None, *(TODAY + timedelta(days=d) for d in range(-70, 120, 3))]
    for failed in (True, False):
        for due in days:
            status = compliance_status("fail" if failed else "pass", due, TODAY)
            matches = (not f.compliance_status or status in f.compliance_status) and (
                (f.due_from is None or (due is not None and due >= f.due_from))
                and (f.due_to is None or (due is not None and due <= f.due_to))
            )
            inside = [p for p in pieces if _in(p, failed, due)]
            assert len(inside) == (1 if matches else 0), (failed, due, pieces)


@pytest.mark.parametrize(
    ("low", "high"),
    [
        (date(2026, 3, 15), date(2026, 6, 10)),
        (date(2026, 3, 1), date(2026, 5, 31)),
        (date(2026, 3, 10), date(2026, 3, 20)),
        (date(2026, 3, 10), date(2026, 4, 20)),
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2025, 12, 2), date(2026, 2, 1)),
        (None, date(2026, 3, 14)),
        (date(2026, 4, 15), None),
        (None, date(2026, 3, 31)),
    ],
)
def test_a_due_range_is_its_whole_months_and_its_edges_without_gap_or_overlap(
    low: date | None, high: date | None
) -> None:
    first, last, edges = whole_months(low, high)
    for day in (date(2025, 11, 1) + timedelta(days=d) for d in range(0, 300)):
        in_range = (low is None or day >= low) and (high is None or day <= high)
        month = day.replace(day=1)
        in_months = (first is None or month >= first) and (last is None or month <= last)
        if first is not None and last is not None and first > last:
            in_months = False
        in_edges = sum(lo <= day <= hi for lo, hi in edges)
        assert int(in_months) + in_edges == int(in_range), day
