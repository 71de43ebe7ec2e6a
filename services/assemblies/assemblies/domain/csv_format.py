"""The assemblies CSV import format (docs/csv-import.md): its header and one row's validation.

One row per assembly, with its location's columns and up to two contacts of that
location. Rows are checked one by one; a bad row is a ``RowError`` with the reason, and
never stops the good rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from uuid import UUID

from assemblies.domain.records import (
    Assembly,
    Contact,
    Location,
    ServiceArea,
    assembly_id,
    contact_id,
    location_id,
    service_area_id,
)
from assemblies.domain.vocabulary import (
    ASSEMBLY_TYPES,
    CONTACT_TYPES,
    FACILITY_TYPES,
    HAZARDS,
    SERVICE_TYPES,
    SIZES,
    TEST_RESULTS,
)

LOCATION_COLUMNS = (
    "account_number",
    "location_name",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "service_area",
    "facility_type",
    "location_active",
)
ASSEMBLY_COLUMNS = (
    "serial_number",
    "assembly_type",
    "make",
    "model",
    "size",
    "hazard",
    "service_type",
    "placement",
    "installed_on",
    "last_tested_on",
    "last_test_result",
    "next_test_due",
    "assembly_active",
)
CONTACT_FIELDS = (
    "type",
    "name",
    "first_name",
    "email",
    "is_primary",
    "do_not_contact",
    "mailing_line1",
    "mailing_line2",
    "mailing_city",
    "mailing_state",
    "mailing_postal_code",
)
CONTACT_PREFIXES = ("contact_", "contact2_")
CONTACT_COLUMNS = tuple(f"{p}{f}" for p in CONTACT_PREFIXES for f in CONTACT_FIELDS)
COLUMNS = LOCATION_COLUMNS + ASSEMBLY_COLUMNS + CONTACT_COLUMNS
"""Every column the format knows, in the documented order."""

REQUIRED_COLUMNS = (
    "account_number",
    "address_line1",
    "city",
    "state",
    "postal_code",
    "facility_type",
    "serial_number",
    "assembly_type",
    "hazard",
    "service_type",
)
"""Columns the header must have; the others may be left out."""

MAX_TEXT = 200
_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")
_TRUE = ("true", "yes", "y", "1")
_FALSE = ("false", "no", "n", "0")


class HeaderError(ValueError):
    """The file's header is not the documented one: nothing of it can be imported."""


class RowError(ValueError):
    """One row that cannot be imported, and why."""


def check_header(header: list[str]) -> list[str]:
    """The header's column names, trimmed; raises ``HeaderError`` naming what is wrong."""
    names = [h.strip().lower() for h in header]
    problems = []
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        problems.append(f"unknown column(s): {', '.join(repr(u) for u in unknown)}")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        problems.append(f"repeated column(s): {', '.join(duplicated)}")
    if problems:
        raise HeaderError("; ".join(problems))
    return names


@dataclass(frozen=True)
class ImportRow:
    """One valid row: the assembly, its location, the location's zone and the row's contacts."""

    line: int
    location: Location
    service_area: ServiceArea | None
    assembly: Assembly
    contacts: tuple[Contact, ...]


def _text(row: Mapping[str, str], column: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    value = (row.get(column) or "").strip()
    if required and not value:
        raise RowError(f"{column} is required")
    if len(value) > limit:
        raise RowError(f"{column} is longer than {limit} characters")
    return value


# value as written (exact, then lower-cased) -> the vocabulary's spelling; built once, rows are many
_CHOICES: dict[tuple[str, ...], dict[str, str]] = {
    allowed: {**{a.lower(): a for a in allowed}, **{a: a for a in allowed}}
    for allowed in (ASSEMBLY_TYPES, CONTACT_TYPES, FACILITY_TYPES, HAZARDS, SERVICE_TYPES, TEST_RESULTS)
}
_FLAGS = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}


def _choice(row: Mapping[str, str], column: str, allowed: tuple[str, ...], *, required: bool = True) -> str:
    value = _text(row, column, required=required)
    if not value:
        return ""
    spellings = _CHOICES[allowed]
    found = spellings.get(value) or spellings.get(value.lower())
    if found is None:
        raise RowError(f"{column} {value!r} is not one of {', '.join(allowed)}")
    return found


def _flag(row: Mapping[str, str], column: str, default: bool) -> bool:
    value = _text(row, column).lower()
    if not value:
        return default
    found = _FLAGS.get(value)
    if found is None:
        raise RowError(f"{column} {value!r} is not true or false")
    return found


@lru_cache(maxsize=4096)  # due and test dates repeat across a file's rows
def _iso_day(value: str) -> date:
    return date.fromisoformat(value)


def _day(row: Mapping[str, str], column: str) -> date | None:
    value = _text(row, column)
    if not value:
        return None
    try:
        return _iso_day(value)
    except ValueError as exc:
        raise RowError(f"{column} {value!r} is not a date (YYYY-MM-DD)") from exc


def _size(row: Mapping[str, str]) -> str:
    value = _text(row, "size").replace("”", '"').replace("''", '"')
    if not value:
        return ""
    candidate = value if value.endswith('"') else f'{value}"'
    if candidate not in SIZES:
        raise RowError(f"size {value!r} is not one of {', '.join(SIZES)}")
    return candidate


_GROUP_COLUMNS = {p: tuple(f"{p}{f}" for f in CONTACT_FIELDS) for p in CONTACT_PREFIXES}


def _contact(row: Mapping[str, str], prefix: str, org_id: UUID, location: Location) -> Contact | None:
    for column in _GROUP_COLUMNS[prefix]:
        value = row.get(column)
        if value and not value.isspace():
            break
    else:
        return None
    contact_type = _choice(row, f"{prefix}type", CONTACT_TYPES)
    name = _text(row, f"{prefix}name", required=True)
    email = _text(row, f"{prefix}email").lower()
    if email and not _EMAIL.match(email):
        raise RowError(f"{prefix}email {email!r} is not an email address")
    return Contact(
        id=contact_id(org_id, location.account_number, contact_type, name),
        org_id=org_id,
        location_id=location.id,
        contact_type=contact_type,
        name=name,
        first_name=_text(row, f"{prefix}first_name"),
        email=email,
        mailing_line1=_text(row, f"{prefix}mailing_line1"),
        mailing_line2=_text(row, f"{prefix}mailing_line2"),
        mailing_city=_text(row, f"{prefix}mailing_city"),
        mailing_state=_text(row, f"{prefix}mailing_state"),
        mailing_postal_code=_text(row, f"{prefix}mailing_postal_code", limit=20),
        is_primary=_flag(row, f"{prefix}is_primary", False),
        do_not_contact=_flag(row, f"{prefix}do_not_contact", False),
    )


def parse_row(org_id: UUID, line: int, row: Mapping[str, str]) -> ImportRow:
    """Validate one CSV row (a dict by column name) into records; raises ``RowError``."""
    account = _text(row, "account_number", required=True, limit=64)
    zone_name = _text(row, "service_area", limit=100)
    zone = ServiceArea(service_area_id(org_id, zone_name), org_id, zone_name) if zone_name else None
    location = Location(
        id=location_id(org_id, account),
        org_id=org_id,
        account_number=account,
        name=_text(row, "location_name"),
        address_line1=_text(row, "address_line1", required=True),
        address_line2=_text(row, "address_line2"),
        city=_text(row, "city", required=True, limit=100),
        state=_text(row, "state", required=True, limit=50),
        postal_code=_text(row, "postal_code", required=True, limit=20),
        service_area_id=zone.id if zone else None,
        facility_type=_choice(row, "facility_type", FACILITY_TYPES),
        active=_flag(row, "location_active", True),
    )
    serial = _text(row, "serial_number", required=True, limit=64)
    last_tested_on = _day(row, "last_tested_on")
    next_test_due = _day(row, "next_test_due")
    installed_on = _day(row, "installed_on")
    result = _choice(row, "last_test_result", TEST_RESULTS, required=False) or None
    if result and last_tested_on is None:
        raise RowError("last_test_result is given without last_tested_on")
    assembly = Assembly(
        id=assembly_id(org_id, account, serial),
        org_id=org_id,
        location_id=location.id,
        serial_number=serial,
        assembly_type=_choice(row, "assembly_type", ASSEMBLY_TYPES),
        hazard=_choice(row, "hazard", HAZARDS),
        service_type=_choice(row, "service_type", SERVICE_TYPES),
        size=_size(row),
        make=_text(row, "make", limit=100),
        model=_text(row, "model", limit=100),
        placement=_text(row, "placement"),
        installed_on=installed_on,
        last_tested_on=last_tested_on,
        last_test_result=result,
        next_test_due=next_test_due,
        active=_flag(row, "assembly_active", True),
    )
    contacts = tuple(c for p in CONTACT_PREFIXES if (c := _contact(row, p, org_id, location)) is not None)
    if len(contacts) == 2 and contacts[0].id == contacts[1].id:
        raise RowError("contact2 repeats contact (same type and name)")
    return ImportRow(line=line, location=location, service_area=zone, assembly=assembly, contacts=contacts)


class FileConsistency:
    """Rows of one file must agree: an assembly appears once, and a location or contact
    repeated on several rows has the same columns each time (the first row wins)."""

    def __init__(self) -> None:
        self._assemblies: dict[UUID, int] = {}
        self._locations: dict[UUID, tuple[int, Location, ServiceArea | None]] = {}
        self._contacts: dict[UUID, tuple[int, Contact]] = {}

    def check(self, row: ImportRow) -> None:
        """Raise ``RowError`` when ``row`` contradicts an earlier row; otherwise remember it."""
        first = self._assemblies.get(row.assembly.id)
        if first is not None:
            raise RowError(
                f"assembly {row.assembly.serial_number!r} at account {row.location.account_number!r} "
                f"is already on line {first}"
            )
        seen = self._locations.get(row.location.id)
        if seen is not None and (seen[1], seen[2]) != (row.location, row.service_area):
            raise RowError(f"location columns of account {row.location.account_number!r} differ from line {seen[0]}")
        for contact in row.contacts:
            known = self._contacts.get(contact.id)
            if known is not None and known[1] != contact:
                raise RowError(f"contact {contact.name!r} differs from line {known[0]}")
        self._assemblies[row.assembly.id] = row.line
        if seen is None:
            self._locations[row.location.id] = (row.line, row.location, row.service_area)
        for contact in row.contacts:
            self._contacts.setdefault(contact.id, (row.line, contact))
