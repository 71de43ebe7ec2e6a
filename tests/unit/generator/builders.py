"""Snapshots of locations, contacts and assemblies for generator tests, each with fresh ids."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from contracts.snapshots import (
    AssemblySnapshot,
    ContactSnapshot,
    LocationSnapshot,
    MemberSnapshot,
    OrganizationSnapshot,
    PostalAddress,
)

STREET = PostalAddress(line1="12 Elm St", city="Springfield", state="OR", postal_code="97477")


def an_org(org_id: UUID | None = None, **kw: Any) -> OrganizationSnapshot:
    values: dict[str, Any] = {
        "id": org_id or uuid4(),
        "name": "Riverbend Water Utility",
        "mailing_address": PostalAddress(line1="1 River Rd", city="Springfield", state="OR", postal_code="97477"),
        "from_email": "backflow@riverbend.test",
        "phone": "541-555-0100",
        "timezone": "America/Los_Angeles",
    }
    values.update(kw)
    return OrganizationSnapshot(**values)


def a_location(**kw: Any) -> LocationSnapshot:
    values: dict[str, Any] = {
        "id": uuid4(),
        "account_number": f"AC-{uuid4().hex[:6]}",
        "name": "Main St Bakery",
        "address": STREET,
        "facility_type": "commercial",
    }
    values.update(kw)
    return LocationSnapshot(**values)


def a_contact(location: LocationSnapshot, contact_type: str = "owner", **kw: Any) -> ContactSnapshot:
    n = uuid4().hex[:6]
    values: dict[str, Any] = {
        "id": uuid4(),
        "location_id": location.id,
        "contact_type": contact_type,
        "name": f"Pat {n}",
        "first_name": "Pat",
        "email": f"pat.{n}@example.test",
    }
    values.update(kw)
    return ContactSnapshot(**values)


def an_assembly(location: LocationSnapshot, **kw: Any) -> AssemblySnapshot:
    values: dict[str, Any] = {
        "id": uuid4(),
        "location_id": location.id,
        "serial_number": f"SN{uuid4().hex[:8].upper()}",
        "assembly_type": "RP",
        "make": "Watts",
        "model": "009",
        "size": '3/4"',
        "hazard": "high",
        "service_type": "domestic",
        "placement": "basement",
        "next_test_due": date(2026, 3, 1),
        "last_tested_on": date(2025, 3, 1),
        "last_test_result": "pass",
        "compliance_status": "due",
    }
    values.update(kw)
    return AssemblySnapshot(**values)


def members_at(
    location: LocationSnapshot, contacts: list[ContactSnapshot], assemblies: int = 1
) -> list[MemberSnapshot]:
    """One member per assembly at ``location``; every member lists every contact there."""
    return [
        MemberSnapshot(assembly=an_assembly(location), location=location, contacts=contacts) for _ in range(assemblies)
    ]


def a_member(contact_types: tuple[str, ...] = ("owner",), **contact_kw: Any) -> MemberSnapshot:
    location = a_location()
    contacts = [a_contact(location, ct, **contact_kw) for ct in contact_types]
    return members_at(location, contacts)[0]
