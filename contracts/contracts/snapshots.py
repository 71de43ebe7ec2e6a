"""Read-only copies of assemblies-service records carried inside events.

A generation request carries what the generator needs to decide and render every
communication of a chunk, so the generator never calls back to the assemblies service.
"""

from __future__ import annotations

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
