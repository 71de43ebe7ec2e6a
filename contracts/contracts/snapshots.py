"""Read-only copies of assemblies-service records carried inside events.

A generation request carries what the generator needs to decide and render every
communication of a chunk, so the generator never calls back to the assemblies service.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

ContactType = Literal["owner", "tenant", "property_manager", "billing", "site"]
Method = Literal["email", "letter"]


class _Snapshot(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class PostalAddress(_Snapshot):
    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""


class OrganizationSnapshot(_Snapshot):
    id: UUID
    name: str
    mailing_address: PostalAddress = PostalAddress()
    from_email: str = ""
    reply_to: str = ""
    phone: str = ""
    timezone: str = "UTC"
    letterhead: str = ""


class LocationSnapshot(_Snapshot):
    id: UUID
    account_number: str
    name: str = ""
    address: PostalAddress
    service_area_id: UUID | None = None
    service_area_name: str = ""
    facility_type: str = ""
    active: bool = True


class ContactSnapshot(_Snapshot):
    id: UUID
    location_id: UUID
    contact_type: ContactType
    name: str = ""
    first_name: str = ""
    email: str = ""
    mailing_address: PostalAddress | None = None
    """Empty means the location's address."""
    is_primary: bool = False
    do_not_contact: bool = False
    email_bounced: bool = False


class AssemblySnapshot(_Snapshot):
    id: UUID
    location_id: UUID
    serial_number: str
    assembly_type: str
    make: str = ""
    model: str = ""
    size: str = ""
    hazard: str = ""
    service_type: str = ""
    placement: str = ""
    installed_on: date | None = None
    last_tested_on: date | None = None
    last_test_result: str | None = None
    next_test_due: date | None = None
    compliance_status: str = "unknown"
    active: bool = True


class MemberSnapshot(_Snapshot):
    """One member assembly of a batch with its location and every contact there."""

    assembly: AssemblySnapshot
    location: LocationSnapshot
    contacts: list[ContactSnapshot] = []


class Recipient(_Snapshot):
    """Who a communication goes to, frozen at generation time."""

    contact_id: UUID
    name: str = ""
    email: str = ""
    address: PostalAddress = PostalAddress()


# -- a page of member snapshots as lines -----------------------------------------------------------

MEMBER_LINES = "application/x-ndjson"
"""Media type of ``POST /internal/members/snapshots`` answered as lines (``Accept`` header).

Line one is the ``OrganizationSnapshot``'s JSON. Every further line is one member, in the
order asked: its assembly id, a tab, its location id, a tab, the ``MemberSnapshot``'s JSON.
JSON text never holds a raw newline or tab (both are escaped inside strings), so a reader
splits lines and ids without parsing the members: batches puts them into its generation
requests as they came (``GenerationRequested.json_with_members``), and the generator
validates them when it reads a request."""


def member_lines(organization_json: str, members: Iterable[tuple[object, object, str]]) -> bytes:
    """The lines answer from the organization's JSON and ``(assembly id, location id, member JSON)``."""
    parts = [organization_json]
    parts.extend(f"{assembly_id}\t{location_id}\t{member}" for assembly_id, location_id, member in members)
    return "\n".join(parts).encode()


def read_member_lines(body: bytes) -> tuple[bytes, list[tuple[str, str, bytes]]]:
    """``(organization JSON, [(assembly id, location id, member JSON)])`` of a lines answer.

    A ``ValueError`` when a line does not have the three parts."""
    lines = body.split(b"\n")
    members = []
    for line in lines[1:]:
        if not line:
            continue
        assembly_id, location_id, member = line.split(b"\t", 2)
        members.append((assembly_id.decode(), location_id.decode(), member))
    return lines[0], members
