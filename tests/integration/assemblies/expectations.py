"""What the working list should answer, computed from the generated records in plain Python.

Deliberately independent of the service's code: its own reading of DOMAIN.md's rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from assemblies.demo import DemoData
from assemblies.domain.records import Assembly, Contact, Location


@dataclass(frozen=True)
class Row:
    assembly: Assembly
    location: Location
    contacts: tuple[Contact, ...]
    zone_name: str


def rows_of(data: DemoData) -> list[Row]:
    locations = {loc.id: loc for loc in data.locations}
    zones = {z.id: z.name for z in data.service_areas}
    contacts: dict[Any, list[Contact]] = {}
    for c in data.contacts:
        contacts.setdefault(c.location_id, []).append(c)
    return [
        Row(
            a,
            locations[a.location_id],
            tuple(contacts.get(a.location_id, [])),
            zones.get(locations[a.location_id].service_area_id, ""),
        )
        for a in data.assemblies
    ]


def status_on(a: Assembly, today: date) -> str:
    if a.last_test_result == "fail":
        return "non_compliant"
    if a.next_test_due is None:
        return "unknown"
    if a.next_test_due < today:
        return "overdue"
    if (a.next_test_due - today).days <= 30:
        return "due"
    return "compliant"


def has_email(r: Row) -> bool:
    return any(c.email and not c.do_not_contact and c.email_bounced_at is None for c in r.contacts)


def text_matches(r: Row, q: str) -> bool:
    q = q.lower()
    loc = r.location
    fields = [
        r.assembly.serial_number,
        loc.account_number,
        loc.address_line1,
        loc.address_line2,
        loc.city,
        loc.postal_code,
        *(c.name for c in r.contacts),
    ]
    return any(q in f.lower() for f in fields)


Predicate = Callable[[Row], bool]


def sort_value(r: Row, key: str) -> Any:
    if key in ("account_number", "postal_code"):
        return getattr(r.location, key)
    return getattr(r.assembly, key)


def ordered(rows: list[Row], key: str, descending: bool) -> list[Row]:
    """Empty values count as the latest; ties by id in the sort's direction."""
    asc = sorted(rows, key=lambda r: (sort_value(r, key) is None, sort_value(r, key) or "", str(r.assembly.id)))
    return list(reversed(asc)) if descending else asc
