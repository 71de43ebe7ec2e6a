"""Organizations, service areas, locations, contacts and assemblies as plain records.

Ids are derived from natural keys (uuid5), so importing or generating the same utility
twice names the same records: a location by its account number, an assembly by account
number + serial number, a contact by its location, type and name, a zone by its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from hashlib import sha1
from uuid import UUID, uuid5

_NAMESPACE = UUID("6f1d2b1e-4c55-4a8e-9a0e-3c7f5b1a0a11")


@lru_cache(maxsize=256)
def _org_prefix(org_id: UUID) -> bytes:
    return _NAMESPACE.bytes + str(org_id).encode()


def _named(org_id: UUID, name: str) -> UUID:
    # uuid5(_NAMESPACE, f"{org_id}{name}"), without formatting the org id for every row of an import
    return UUID(bytes=sha1(_org_prefix(org_id) + name.encode()).digest()[:16], version=5)


@lru_cache(maxsize=65536)  # an import repeats a location on each of its rows
def location_id(org_id: UUID, account_number: str) -> UUID:
    """The id of the organization's location with this account number."""
    return _named(org_id, f":location:{account_number}")


def assembly_id(org_id: UUID, account_number: str, serial_number: str) -> UUID:
    """The id of the assembly with this serial number at the location with this account number."""
    return _named(org_id, f":assembly:{account_number}:{serial_number}")


@lru_cache(maxsize=65536)  # and a contact on each row of its location
def contact_id(org_id: UUID, account_number: str, contact_type: str, name: str) -> UUID:
    """The id of the contact of this type and name at the location with this account number."""
    return _named(org_id, f":contact:{account_number}:{contact_type}:{name.strip().lower()}")


@lru_cache(maxsize=4096)
def service_area_id(org_id: UUID, name: str) -> UUID:
    """The id of the organization's service area with this name (case does not matter)."""
    return uuid5(_NAMESPACE, f"{org_id}:service-area:{name.strip().lower()}")


@dataclass(frozen=True)
class Organization:
    id: UUID
    name: str
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    from_email: str = ""
    reply_to: str = ""
    phone: str = ""
    timezone: str = "UTC"
    letterhead: str = ""
    logo_url: str = ""


@dataclass(frozen=True)
class ServiceArea:
    id: UUID
    org_id: UUID
    name: str


@dataclass(frozen=True)
class Location:
    id: UUID
    org_id: UUID
    account_number: str
    name: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    service_area_id: UUID | None
    facility_type: str
    active: bool = True


@dataclass(frozen=True)
class Contact:
    id: UUID
    org_id: UUID
    location_id: UUID
    contact_type: str
    name: str
    first_name: str = ""
    email: str = ""
    mailing_line1: str = ""
    mailing_line2: str = ""
    mailing_city: str = ""
    mailing_state: str = ""
    mailing_postal_code: str = ""
    is_primary: bool = False
    do_not_contact: bool = False
    email_bounced_at: datetime | None = None

    @property
    def reachable_by_email(self) -> bool:
        """Has an email that may be used: not empty, not do-not-contact, not bounced."""
        return bool(self.email.strip()) and not self.do_not_contact and self.email_bounced_at is None


@dataclass(frozen=True)
class Assembly:
    id: UUID
    org_id: UUID
    location_id: UUID
    serial_number: str
    assembly_type: str
    hazard: str
    service_type: str
    size: str = ""
    make: str = ""
    model: str = ""
    placement: str = ""
    installed_on: date | None = None
    last_tested_on: date | None = None
    last_test_result: str | None = None
    next_test_due: date | None = None
    active: bool = True


@dataclass(frozen=True)
class LocationSummary:
    """What the working list needs to know about an assembly's location and its contacts.

    The list filters and sorts assemblies by these, so each assembly row carries a copy
    (kept current whenever the location or one of its contacts changes).
    """

    account_number: str
    postal_code: str
    facility_type: str
    service_area_id: UUID | None
    location_active: bool
    has_email: bool
    search_text: str
    """Lower-cased account number, address and contact names, for free-text search."""


def summarize_location(location: Location, contacts: list[Contact]) -> LocationSummary:
    """The copy of a location's filterable facts that its assemblies carry."""
    words = [
        location.account_number,
        location.address_line1,
        location.address_line2,
        location.city,
        location.postal_code,
        *(c.name for c in contacts),
    ]
    return LocationSummary(
        account_number=location.account_number,
        postal_code=location.postal_code,
        facility_type=location.facility_type,
        service_area_id=location.service_area_id,
        location_active=location.active,
        has_email=any(c.reachable_by_email for c in contacts),
        search_text=" | ".join(w.strip() for w in words if w.strip()).lower(),
    )


def assembly_search_text(serial_number: str, summary: LocationSummary) -> str:
    """The text free-text search looks in for one assembly: its serial number, then its location's."""
    return f"{serial_number.lower()} | {summary.search_text}"
