"""The working list's filter and sort order as SQL on the ``assemblies`` table, and its count.

On PostgreSQL the count sums ``assembly_counts`` (counts per combination of criteria and due
month, kept by triggers) for the whole months a due range covers, and counts only the
partial months at its edges, and free-text searches, from ``assemblies``.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from sqlalchemy import ColumnElement, Table, and_, false, func, literal, or_, select, true
from sqlalchemy.sql import Select

from assemblies.adapters.orm import assemblies as a
from assemblies.adapters.orm import assembly_counts as k
from assemblies.domain.compliance import status_rule
from assemblies.domain.working_list import AssemblyFilter, DueSlice, SortOrder, due_slices


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _status_predicate(status: str, today: date) -> ColumnElement[bool]:
    rule = status_rule(status, today)
    if rule.failed:
        return a.c.last_test_result == "fail"
    parts: list[ColumnElement[bool]] = [a.c.last_test_result.is_distinct_from("fail")]
    if rule.due_missing:
        parts.append(a.c.next_test_due.is_(None))
    if rule.due_min is not None:
        parts.append(a.c.next_test_due >= rule.due_min)
    if rule.due_max is not None:
        parts.append(a.c.next_test_due <= rule.due_max)
    return and_(*parts)


def _criteria(t: Table, org_id: UUID, f: AssemblyFilter) -> list[ColumnElement[bool]]:
    """Every criterion but free text, compliance status and due dates, on ``assemblies`` or ``assembly_counts``."""
    where: list[ColumnElement[bool]] = [t.c.org_id == org_id]
    for name, values in (
        ("assembly_type", f.assembly_type),
        ("size", f.size),
        ("hazard", f.hazard),
        ("service_type", f.service_type),
        ("facility_type", f.facility_type),
        ("service_area_id", f.service_area_id),
    ):
        if values:
            where.append(t.c[name].in_(values) if len(values) > 1 else t.c[name] == values[0])
    for name, flag in (
        ("active", f.assembly_active),
        ("location_active", f.location_active),
        ("has_email", f.has_email),
    ):
        if flag is not None:
            where.append(t.c[name] == (true() if flag else false()))
    if f.postal_code_prefix:
        where.append(t.c.postal_code.like(f"{_escape_like(f.postal_code_prefix)}%", escape="\\"))
    return where


def _text_predicate(f: AssemblyFilter) -> ColumnElement[bool]:
    return a.c.search_text.like(f"%{_escape_like(f.q.lower())}%", escape="\\")


def filter_predicates(org_id: UUID, f: AssemblyFilter, today: date) -> list[ColumnElement[bool]]:
    """The WHERE clauses selecting the organization's assemblies that match ``f`` on ``today``."""
    where = _criteria(a, org_id, f)
    if f.q:
        where.append(_text_predicate(f))
    if f.compliance_status:
        where.append(or_(*(_status_predicate(s, today) for s in f.compliance_status)))
    if f.due_from is not None:
        where.append(a.c.next_test_due >= f.due_from)
    if f.due_to is not None:
        where.append(a.c.next_test_due <= f.due_to)
    return where


def apply_sort(query: Select, sort: SortOrder) -> Select:
    """Order by the sort key (empty dates count as the latest), ties by id in the same direction.

    The direction of the tiebreak and of empty values matches the (org_id, key, id) indexes
    read forwards or backwards, so the first page never sorts the whole match.
    """
    column = a.c[sort.key]
    if sort.descending:
        return query.order_by(column.desc().nulls_first(), a.c.id.desc())
    return query.order_by(column.asc().nulls_last(), a.c.id.asc())


# ------------------------------------------------------------------ counting


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def whole_months(low: date | None, high: date | None) -> tuple[date | None, date | None, list[tuple[date, date]]]:
    """Split the due range [low, high] into whole months and the partial months at its edges.

    Answers (first, last, edges): the first and last month (their first days) lying wholly in
    the range (None: unbounded on that side), and the date ranges left over at the edges. When
    no whole month fits, first > last and the single edge is the whole range.
    """
    first = None if low is None else (low if low.day == 1 else _next_month(low))
    last = None
    if high is not None:
        last = (
            _month_start(high)
            if _next_month(high) - timedelta(days=1) == high
            else _month_start(_month_start(high) - timedelta(days=1))
        )
    if first is not None and last is not None and first > last:
        assert low is not None and high is not None
        return first, last, [(low, high)]
    edges = []
    if low is not None and first is not None and low < first:
        edges.append((low, first - timedelta(days=1)))
    if high is not None and last is not None and _next_month(last) <= high:
        edges.append((_next_month(last), high))
    return first, last, edges


def _failed(t: Table, failed: bool | None) -> list[ColumnElement[bool]]:
    if failed is None:
        return []
    if t is k:
        return [k.c.failed == (true() if failed else false())]
    return [a.c.last_test_result == "fail" if failed else a.c.last_test_result.is_distinct_from("fail")]


def _slice_count(org_id: UUID, f: AssemblyFilter, piece: DueSlice) -> ColumnElement[int]:
    """The number of assemblies in one slice: whole months from the counts, edges from the table."""
    in_counts = [*_criteria(k, org_id, f), *_failed(k, piece.failed)]
    if piece.due_missing:
        return select(func.coalesce(func.sum(k.c.n), 0)).where(*in_counts, k.c.due_month.is_(None)).scalar_subquery()
    if not piece.bounded:
        return select(func.coalesce(func.sum(k.c.n), 0)).where(*in_counts).scalar_subquery()
    first, last, edges = whole_months(piece.due_min, piece.due_max)
    total: ColumnElement[int] = literal(0)
    if first is None or last is None or first <= last:
        months = [k.c.due_month.is_not(None)]
        if first is not None:
            months.append(k.c.due_month >= first)
        if last is not None:
            months.append(k.c.due_month <= last)
        total = select(func.coalesce(func.sum(k.c.n), 0)).where(*in_counts, *months).scalar_subquery()
    for lo, hi in edges:  # one range scan of the due-date index each (an OR of both scans the organization)
        in_edge = a.c.next_test_due.between(lo, hi)
        total = total + (
            select(func.count()).where(*_criteria(a, org_id, f), *_failed(a, piece.failed), in_edge).scalar_subquery()
        )
    return total


def count_query(org_id: UUID, f: AssemblyFilter, today: date, *, use_counts: bool) -> Select:
    """``SELECT`` of the number of the organization's assemblies matching ``f`` on ``today``.

    ``use_counts`` (PostgreSQL) reads ``assembly_counts`` where it can; free text always
    counts the table.
    """
    if not use_counts or f.q:
        return select(func.count()).select_from(a).where(*filter_predicates(org_id, f, today))
    pieces = [_slice_count(org_id, f, piece) for piece in due_slices(f, today)]
    if not pieces:
        return select(literal(0))
    total = pieces[0]
    for piece in pieces[1:]:
        total = total + piece
    return select(total)
