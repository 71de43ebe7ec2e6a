"""The working list's filter and sort order as SQL on the ``assemblies`` table alone."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlalchemy.sql import Select

from assemblies.adapters.orm import assemblies as a
from assemblies.domain.compliance import status_rule
from assemblies.domain.working_list import AssemblyFilter, SortOrder


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


def filter_predicates(org_id: UUID, f: AssemblyFilter, today: date) -> list[ColumnElement[bool]]:
    """The WHERE clauses selecting the organization's assemblies that match ``f`` on ``today``."""
    where: list[ColumnElement[bool]] = [a.c.org_id == org_id]
    if f.q:
        where.append(a.c.search_text.like(f"%{_escape_like(f.q.lower())}%", escape="\\"))
    for column, values in (
        (a.c.assembly_type, f.assembly_type),
        (a.c.size, f.size),
        (a.c.hazard, f.hazard),
        (a.c.service_type, f.service_type),
        (a.c.facility_type, f.facility_type),
        (a.c.service_area_id, f.service_area_id),
    ):
        if values:
            where.append(column.in_(values) if len(values) > 1 else column == values[0])
    if f.compliance_status:
        where.append(or_(*(_status_predicate(s, today) for s in f.compliance_status)))
    if f.due_from is not None:
        where.append(a.c.next_test_due >= f.due_from)
    if f.due_to is not None:
        where.append(a.c.next_test_due <= f.due_to)
    for column, flag in (
        (a.c.active, f.assembly_active),
        (a.c.location_active, f.location_active),
        (a.c.has_email, f.has_email),
    ):
        if flag is not None:
            where.append(column == (true() if flag else false()))
    if f.postal_code_prefix:
        where.append(a.c.postal_code.like(f"{_escape_like(f.postal_code_prefix)}%", escape="\\"))
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
