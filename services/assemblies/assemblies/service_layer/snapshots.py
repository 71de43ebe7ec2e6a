"""Records as the read-only snapshots of ``contracts.snapshots`` that other services receive.

The snapshots are built as JSON-ready dicts (ids and dates as strings), with exactly the keys
of the contract's models: a batch asks for its members' snapshots a thousand at a time, and
building validated models only to serialize them again was most of that request's cost. The
HTTP layer sends them with ``json.dumps`` or lets FastAPI validate them against the models;
``tests/integration/assemblies`` validates what is sent against ``contracts.snapshots``.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from assemblies.domain.compliance import compliance_status
from assemblies.domain.records import Assembly, Contact, Location, Organization


def _id(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _address(line1: str, line2: str, city: str, state: str, postal_code: str) -> dict[str, str]:
    return {"line1": line1, "line2": line2, "city": city, "state": state, "postal_code": postal_code}


def organization_snapshot(org: Organization) -> dict[str, Any]:
    return {
        "id": str(org.id),
        "name": org.name,
        "mailing_address": _address(org.address_line1, org.address_line2, org.city, org.state, org.postal_code),
        "from_email": org.from_email,
        "reply_to": org.reply_to,
        "phone": org.phone,
        "timezone": org.timezone,
        "letterhead": org.letterhead,
    }


def location_snapshot(location: Location, service_area_name: str) -> dict[str, Any]:
    return {
        "id": str(location.id),
        "account_number": location.account_number,
        "name": location.name,
        "address": _address(
            location.address_line1, location.address_line2, location.city, location.state, location.postal_code
        ),
        "service_area_id": _id(location.service_area_id),
        "service_area_name": service_area_name,
        "facility_type": location.facility_type,
        "active": location.active,
    }


def contact_snapshot(contact: Contact) -> dict[str, Any]:
    mailing = (
        contact.mailing_line1,
        contact.mailing_line2,
        contact.mailing_city,
        contact.mailing_state,
        contact.mailing_postal_code,
    )
    return {
        "id": str(contact.id),
        "location_id": str(contact.location_id),
        "contact_type": contact.contact_type,
        "name": contact.name,
        "first_name": contact.first_name,
        "email": contact.email,
        "mailing_address": _address(*mailing) if any(mailing) else None,
        "is_primary": contact.is_primary,
        "do_not_contact": contact.do_not_contact,
        "email_bounced": contact.email_bounced_at is not None,
    }


def assembly_snapshot(assembly: Assembly, today: date) -> dict[str, Any]:
    return {
        "id": str(assembly.id),
        "location_id": str(assembly.location_id),
        "serial_number": assembly.serial_number,
        "assembly_type": assembly.assembly_type,
        "make": assembly.make,
        "model": assembly.model,
        "size": assembly.size,
        "hazard": assembly.hazard,
        "service_type": assembly.service_type,
        "placement": assembly.placement,
        "installed_on": _day(assembly.installed_on),
        "last_tested_on": _day(assembly.last_tested_on),
        "last_test_result": assembly.last_test_result,
        "next_test_due": _day(assembly.next_test_due),
        "compliance_status": compliance_status(assembly.last_test_result, assembly.next_test_due, today),
        "active": assembly.active,
    }
