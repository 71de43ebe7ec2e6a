"""The working list: the filter of the Assemblies list, its sort order and its paging.

A filter is parsed from plain values (the query string, or a JSON body from another
service) into an ``AssemblyFilter``; every problem is a ``FilterError`` naming the
field. ``AssemblyFilter.normalized()`` is the filter as applied, which a batch stores.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from assemblies.domain.compliance import status_rule
from assemblies.domain.vocabulary import (
    ASSEMBLY_TYPES,
    COMPLIANCE_STATUSES,
    FACILITY_TYPES,
    HAZARDS,
    SERVICE_TYPES,
    SIZES,
)

MAX_PAGE_SIZE = 500
MAX_TEXT_LENGTH = 200

SORT_KEYS = ("next_test_due", "last_tested_on", "serial_number", "account_number", "postal_code")
"""Sortable columns; ``-key`` sorts descending. Ties are broken by assembly id."""

DEFAULT_SORT = "next_test_due"

LIST_FIELDS: dict[str, tuple[str, ...] | None] = {
    "assembly_type": ASSEMBLY_TYPES,
    "size": SIZES,
    "hazard": HAZARDS,
    "service_type": SERVICE_TYPES,
    "facility_type": FACILITY_TYPES,
    "compliance_status": COMPLIANCE_STATUSES,
    "service_area_id": None,  # UUIDs, checked for shape
}
BOOL_FIELDS = ("assembly_active", "location_active", "has_email")
DATE_FIELDS = ("due_from", "due_to")
TEXT_FIELDS = ("q", "postal_code_prefix")
FILTER_FIELDS = (*TEXT_FIELDS, *LIST_FIELDS, *DATE_FIELDS, *BOOL_FIELDS)
"""Every filter key the working list accepts."""

_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


class FilterError(ValueError):
    """A filter, sort or paging value that cannot be applied; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class AssemblyFilter:
    """Every criterion of the working list; empty criteria match everything."""

    q: str = ""
    assembly_type: tuple[str, ...] = ()
    size: tuple[str, ...] = ()
    hazard: tuple[str, ...] = ()
    service_type: tuple[str, ...] = ()
    facility_type: tuple[str, ...] = ()
    service_area_id: tuple[UUID, ...] = ()
    compliance_status: tuple[str, ...] = ()
    due_from: date | None = None
    due_to: date | None = None
    assembly_active: bool | None = None
    location_active: bool | None = None
    postal_code_prefix: str = ""
    has_email: bool | None = None

    def normalized(self) -> dict[str, Any]:
        """The filter as applied, JSON-ready, with only the criteria that are set."""
        out: dict[str, Any] = {}
        for name in FILTER_FIELDS:
            value = getattr(self, name)
            if value in ("", (), None):
                continue
            if isinstance(value, tuple):
                out[name] = [str(v) for v in value]
            elif isinstance(value, date):
                out[name] = value.isoformat()
            else:
                out[name] = value
        return out


@dataclass(frozen=True)
class SortOrder:
    """One sort key and its direction."""

    key: str = DEFAULT_SORT
    descending: bool = False

    def __str__(self) -> str:
        return f"-{self.key}" if self.descending else self.key


@dataclass(frozen=True)
class PageRequest:
    """A 1-based page of ``size`` rows."""

    number: int = 1
    size: int = 50

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True)
class ListRequest:
    """A filter with its sort order and page: one view of the Assemblies list."""

    filter: AssemblyFilter = field(default_factory=AssemblyFilter)
    sort: SortOrder = field(default_factory=SortOrder)
    page: PageRequest = field(default_factory=PageRequest)


def _as_list(field_name: str, raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, Iterable) and not isinstance(raw, Mapping):
        values = list(raw)
        if not all(isinstance(v, str) for v in values):
            raise FilterError(field_name, "must be a list of strings")
        return values
    raise FilterError(field_name, "must be a string or a list of strings")


def _single(field_name: str, raw: Any) -> str | None:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    values = [v for v in _as_list(field_name, raw) if v.strip() != ""]
    if not values:
        return None
    if len(set(values)) > 1:
        raise FilterError(field_name, "takes one value")
    return values[0].strip()


def _choices(field_name: str, raw: Any, allowed: tuple[str, ...] | None) -> tuple[Any, ...]:
    chosen: list[Any] = []
    for value in _as_list(field_name, raw):
        value = value.strip()
        if value == "":
            continue
        if allowed is None:
            try:
                parsed: Any = UUID(value)
            except ValueError as exc:
                raise FilterError(field_name, f"{value!r} is not an id") from exc
        elif value in allowed:
            parsed = value
        else:
            raise FilterError(field_name, f"unknown value {value!r}; expected one of {', '.join(allowed)}")
        if parsed not in chosen:
            chosen.append(parsed)
    if allowed is not None:  # canonical order, so equal filters normalize equally
        return tuple(v for v in allowed if v in chosen)
    return tuple(sorted(chosen, key=str))


def _boolean(field_name: str, raw: Any) -> bool | None:
    value = _single(field_name, raw)
    if value is None:
        return None
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise FilterError(field_name, f"{value!r} is not true or false")


def _date(field_name: str, raw: Any) -> date | None:
    value = _single(field_name, raw)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise FilterError(field_name, f"{value!r} is not a date (YYYY-MM-DD)") from exc


def _text(field_name: str, raw: Any) -> str:
    value = _single(field_name, raw) or ""
    if len(value) > MAX_TEXT_LENGTH:
        raise FilterError(field_name, f"longer than {MAX_TEXT_LENGTH} characters")
    return value


def parse_filter(raw: Mapping[str, Any]) -> AssemblyFilter:
    """Build a filter from plain values; lists may be repeated keys or JSON lists.

    Raises ``FilterError`` for an unknown key or value, naming the field.
    """
    for key in raw:
        if key not in FILTER_FIELDS:
            raise FilterError(key, "unknown filter")
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        values[name] = _text(name, raw.get(name))
    for name, allowed in LIST_FIELDS.items():
        values[name] = _choices(name, raw.get(name), allowed)
    for name in DATE_FIELDS:
        values[name] = _date(name, raw.get(name))
    for name in BOOL_FIELDS:
        values[name] = _boolean(name, raw.get(name))
    if values["due_from"] and values["due_to"] and values["due_from"] > values["due_to"]:
        raise FilterError("due_to", "is before due_from")
    return AssemblyFilter(**values)


def parse_sort(raw: str | None) -> SortOrder:
    """``key`` or ``-key`` for one of ``SORT_KEYS``; empty means the default order."""
    if raw is None or raw.strip() == "":
        return SortOrder()
    value = raw.strip()
    descending = value.startswith("-")
    key = value[1:] if descending else value
    if key not in SORT_KEYS:
        raise FilterError("sort", f"unknown sort key {value!r}; expected one of {', '.join(SORT_KEYS)} or -key")
    return SortOrder(key, descending)


def parse_page(number: str | None, size: str | None) -> PageRequest:
    """A page number (from 1) and a page size (1 to ``MAX_PAGE_SIZE``)."""

    def as_int(field_name: str, value: str | None, default: int, lowest: int, highest: int) -> int:
        if value is None or value.strip() == "":
            return default
        try:
            parsed = int(value)
        except ValueError as exc:
            raise FilterError(field_name, f"{value!r} is not a whole number") from exc
        if not lowest <= parsed <= highest:
            raise FilterError(field_name, f"must be between {lowest} and {highest}")
        return parsed

    return PageRequest(
        number=as_int("page", number, 1, 1, 1_000_000),
        size=as_int("page_size", size, 50, 1, MAX_PAGE_SIZE),
    )


def parse_list_request(raw: Mapping[str, list[str]]) -> ListRequest:
    """A whole list request from a query string (each key with its repeated values)."""
    paging = {k: raw[k] for k in ("sort", "page", "page_size") if k in raw}
    criteria = {k: v for k, v in raw.items() if k not in paging}
    for key, values in paging.items():
        if len(set(values)) > 1:
            raise FilterError(key, "takes one value")
    first = {k: v[0] for k, v in paging.items()}
    return ListRequest(
        filter=parse_filter(criteria),
        sort=parse_sort(first.get("sort")),
        page=parse_page(first.get("page"), first.get("page_size")),
    )


@dataclass(frozen=True)
class DueSlice:
    """Assemblies with one failed flag and a due date in one range: a piece of a filter's match.

    ``failed`` None takes either; ``due_missing`` takes only assemblies without a due date;
    otherwise ``due_min``/``due_max`` bound the due date (inclusive), and with neither bound
    assemblies without a due date are included too.
    """

    failed: bool | None
    due_min: date | None = None
    due_max: date | None = None
    due_missing: bool = False

    @property
    def bounded(self) -> bool:
        return self.due_min is not None or self.due_max is not None


def due_slices(f: AssemblyFilter, today: date) -> list[DueSlice]:
    """The filter's compliance statuses and due range on ``today`` as disjoint slices.

    Statuses never overlap, so the filter's match is the union of the slices (each also
    meeting the filter's other criteria) and its count is the sum of theirs. An empty list
    means nothing can match (e.g. ``unknown`` with a due range).
    """
    if not f.compliance_status:
        return [DueSlice(None, f.due_from, f.due_to)]
    slices = []
    for status in f.compliance_status:
        rule = status_rule(status, today)
        if rule.due_missing:
            if f.due_from is None and f.due_to is None:
                slices.append(DueSlice(False, due_missing=True))
            continue
        low = max((d for d in (rule.due_min, f.due_from) if d is not None), default=None)
        high = min((d for d in (rule.due_max, f.due_to) if d is not None), default=None)
        if low is not None and high is not None and low > high:
            continue
        slices.append(DueSlice(rule.failed, low, high))
    return slices
