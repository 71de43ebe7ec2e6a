"""Merge fields: the names a template may use, the objects that carry their values, and missing data.

``OBJECT_FIELDS``, ``LIST_FIELDS`` and ``SCALAR_FIELDS`` are the fixed set a template may
name (``MERGE_FIELDS``). The ``*_fields`` builders turn the snapshots into ``MergeObject``s;
an empty value becomes a ``MissingValue``, which is falsy (so ``if`` and ``default`` work)
and, when shown, renders as ``[missing: contact.first_name]`` and is recorded in
``missing_sink`` so the communication is marked ``needs_attention``.
"""

from __future__ import annotations

import contextvars
from datetime import date, datetime
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Undefined

from contracts.snapshots import (
    AssemblySnapshot,
    ContactSnapshot,
    LocationSnapshot,
    OrganizationSnapshot,
    PostalAddress,
)

OBJECT_FIELDS: dict[str, frozenset[str]] = {
    "org": frozenset(
        {
            "name",
            "phone",
            "from_email",
            "reply_to",
            "letterhead",
            "address",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
        }
    ),
    "location": frozenset(
        {
            "name",
            "account_number",
            "address",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "service_area",
            "facility_type",
        }
    ),
    "contact": frozenset({"name", "first_name", "email", "contact_type", "mailing_address"}),
    "assembly": frozenset(
        {
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
            "compliance_status",
        }
    ),
    "batch": frozenset({"name", "due_date"}),
}
"""Objects a template may use, with the fields of each."""

LIST_FIELDS: dict[str, str] = {"assemblies": "assembly"}
"""Lists a template may loop over, with the kind of their items."""

SCALAR_FIELDS: frozenset[str] = frozenset({"today", "additional_contents"})

MERGE_FIELDS: frozenset[str] = frozenset(OBJECT_FIELDS) | frozenset(LIST_FIELDS) | SCALAR_FIELDS
"""Every top-level name a template may use."""


# --- missing data -------------------------------------------------------------------------

missing_sink: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar("missing_sink", default=None)
"""Where the missing values shown during one ``CompiledTemplate.render`` are recorded (set by it)."""


def _record_missing(field_name: str) -> None:
    sink = missing_sink.get()
    if sink is not None:
        sink.add(field_name)


def missing_marker(field_name: str) -> str:
    """What a missing value shows in the output instead of nothing."""
    return f"[missing: {field_name}]"


class MissingValue(Undefined):
    """An empty merge field. Falsy (so ``if`` and ``default`` work); shown, it is recorded."""

    __slots__ = ("_field",)

    def __init__(self, field_name: str) -> None:
        super().__init__(name=field_name)
        self._field = field_name

    def __str__(self) -> str:
        _record_missing(self._field)
        return missing_marker(self._field)

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> MissingValue:  # type: ignore[override]
        return self

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> NoReturn:
        _record_missing(self._field)
        raise self._undefined_exception(f"{self._field} is missing")

    def __repr__(self) -> str:
        return f"MissingValue({self._field!r})"


# Undefined binds its operators (+, <, [], ...) to the base failure at class creation: rebind them
# so a missing value used in arithmetic or comparison is recorded by name too.
for _name, _value in list(vars(Undefined).items()):
    if _value is Undefined._fail_with_undefined_error and _name != "_fail_with_undefined_error":
        setattr(MissingValue, _name, MissingValue._fail_with_undefined_error)


class MergeObject:
    """A merge-field object (``contact``, ``assembly``...): plain attributes, empty ones missing."""

    _label: str

    def __init__(self, kind: str, label: str, values: dict[str, Any]) -> None:
        fields = self.__dict__
        fields["_label"] = label
        for key, value in values.items():
            if value is None or (value.__class__ is str and (not value or value.isspace())):
                value = MissingValue(f"{kind}.{key}")
            fields[key] = value

    def __str__(self) -> str:
        return self._label


def format_address(address: PostalAddress | None) -> str:
    """An address on one line: "12 Elm St, Unit 4, Springfield, IL 62704" ("" when empty)."""
    if address is None:
        return ""
    city_line = " ".join(p for p in (address.state.strip(), address.postal_code.strip()) if p)
    parts = [address.line1.strip(), address.line2.strip(), address.city.strip(), city_line]
    return ", ".join(p for p in parts if p)


def _humanize(value: str | None) -> str:
    return (value or "").replace("_", " ")


def org_fields(org: OrganizationSnapshot) -> MergeObject:
    a = org.mailing_address
    return MergeObject(
        "org",
        org.name,
        {
            "name": org.name,
            "phone": org.phone,
            "from_email": org.from_email,
            "reply_to": org.reply_to or org.from_email,
            "letterhead": org.letterhead or org.name,
            "address": format_address(a),
            "address_line1": a.line1,
            "address_line2": a.line2,
            "city": a.city,
            "state": a.state,
            "postal_code": a.postal_code,
        },
    )


def location_fields(location: LocationSnapshot) -> MergeObject:
    a = location.address
    address = format_address(a)
    return MergeObject(
        "location",
        address,
        {
            "name": location.name,
            "account_number": location.account_number,
            "address": address,
            "address_line1": a.line1,
            "address_line2": a.line2,
            "city": a.city,
            "state": a.state,
            "postal_code": a.postal_code,
            "service_area": location.service_area_name,
            "facility_type": _humanize(location.facility_type),
        },
    )


def contact_fields(contact: ContactSnapshot, location: LocationSnapshot) -> MergeObject:
    mailing = contact.mailing_address if contact.mailing_address and contact.mailing_address.line1 else None
    return MergeObject(
        "contact",
        contact.name or contact.first_name,
        {
            "name": contact.name,
            "first_name": contact.first_name,
            "email": contact.email,
            "contact_type": _humanize(contact.contact_type),
            "mailing_address": format_address(mailing or location.address),
        },
    )


def assembly_fields(assembly: AssemblySnapshot) -> MergeObject:
    return MergeObject(
        "assembly",
        assembly.serial_number,
        {
            "serial_number": assembly.serial_number,
            "assembly_type": assembly.assembly_type,
            "make": assembly.make,
            "model": assembly.model,
            "size": assembly.size,
            "hazard": assembly.hazard,
            "service_type": assembly.service_type,
            "placement": assembly.placement,
            "installed_on": assembly.installed_on,
            "last_tested_on": assembly.last_tested_on,
            "last_test_result": assembly.last_test_result,
            "next_test_due": assembly.next_test_due,
            "compliance_status": _humanize(assembly.compliance_status),
        },
    )


def batch_fields(name: str, due_date: date | None) -> MergeObject:
    return MergeObject("batch", name, {"name": name, "due_date": due_date})


def today_in(timezone_name: str, moment: datetime) -> date:
    """The calendar date of ``moment`` in the organization's timezone (UTC when unknown)."""
    try:
        zone = ZoneInfo(timezone_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).date()
