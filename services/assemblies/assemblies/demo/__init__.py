"""A deterministic, realistic utility for demos, tests and benchmarks.

``generate(org_id, n, seed)`` answers plain records (no database): several service
areas; residential, commercial, industrial, institutional, multi-family, irrigation and
fire locations; every assembly type; contacts of every type, some without email, some
locations without a primary contact, some do-not-contact; due dates spread around
``today`` so that every compliance status occurs. The same (org, n, seed, today) always
gives the same records, so tests compute expected counts from them independently of the
service's queries. ``iter_locations`` streams the same records location by location, for
a million assemblies without holding them all.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from assemblies.domain.records import (
    Assembly,
    Contact,
    Location,
    Organization,
    ServiceArea,
    assembly_id,
    contact_id,
    location_id,
    service_area_id,
)
from servicekit.demo import DEMO_ORG_ID, OTHER_ORG_ID

ORGANIZATIONS = {
    DEMO_ORG_ID: Organization(
        id=DEMO_ORG_ID,
        name="Riverbend Water Utility",
        address_line1="200 River Road",
        city="Riverbend",
        state="WA",
        postal_code="98001",
        from_email="notices@riverbend-water.example",
        reply_to="backflow@riverbend-water.example",
        phone="(555) 010-2000",
        timezone="America/Los_Angeles",
        letterhead="Cross-Connection Control Program",
    ),
    OTHER_ORG_ID: Organization(
        id=OTHER_ORG_ID,
        name="Lakeside Water District",
        address_line1="15 Shore Drive",
        city="Lakeside",
        state="WA",
        postal_code="98300",
        from_email="notices@lakeside-water.example",
        reply_to="backflow@lakeside-water.example",
        phone="(555) 010-3000",
        timezone="America/Los_Angeles",
        letterhead="Backflow Prevention Program",
    ),
}

# zone name, city, postal codes of the zone
_ZONES = {
    DEMO_ORG_ID: [
        ("North Zone", "Riverbend", ("98001", "98002", "98003")),
        ("South Zone", "Riverbend", ("98010", "98011")),
        ("East Hills", "Eastgate", ("98020", "98021", "98022")),
        ("West Bank", "Millbrook", ("98030", "98031")),
        ("Downtown", "Riverbend", ("98040",)),
        ("Industrial Park", "Riverbend", ("98050", "98051")),
    ],
    OTHER_ORG_ID: [
        ("Shoreline", "Lakeside", ("98300", "98301")),
        ("Uplands", "Pine Hollow", ("98310",)),
    ],
}
_DEFAULT_ZONES = [("Zone A", "Springfield", ("10001", "10002")), ("Zone B", "Springfield", ("10010",))]

_FACILITIES = (
    ("residential", 55),
    ("commercial", 14),
    ("industrial", 5),
    ("institutional", 4),
    ("multi_family", 8),
    ("irrigation", 9),
    ("fire", 5),
)
# facility -> (assembly types with weights, how many assemblies at most)
_TYPES_AT = {
    "residential": ((("DC", 40), ("PVB", 20), ("RP", 15), ("SVB", 10), ("AVB", 15)), 2),
    "commercial": ((("RP", 50), ("DC", 30), ("RPDA", 10), ("PVB", 10)), 4),
    "industrial": ((("RP", 45), ("AG", 20), ("RPDA", 15), ("DC", 20)), 6),
    "institutional": ((("RP", 40), ("DC", 40), ("DCDA", 20)), 4),
    "multi_family": ((("DC", 50), ("RP", 30), ("DCDA", 20)), 3),
    "irrigation": ((("PVB", 45), ("RP", 25), ("AVB", 15), ("SVB", 15)), 2),
    "fire": ((("DCDA", 60), ("RPDA", 30), ("DC", 10)), 2),
}
_SIZES_AT = {
    "residential": ('3/4"', '3/4"', '1"', '1/2"'),
    "commercial": ('1"', '1 1/2"', '2"', '3"', '4"'),
    "industrial": ('2"', '3"', '4"', '6"', '8"'),
    "institutional": ('1 1/2"', '2"', '3"', '4"'),
    "multi_family": ('1"', '1 1/2"', '2"'),
    "irrigation": ('3/4"', '1"', '1 1/4"', '1 1/2"', '2"'),
    "fire": ('4"', '6"', '8"', '10"', '12"', '2 1/2"'),
}
_MAKES = ("Aquaguard", "Clearflow", "Riverline", "Stonegate", "Northwell")
_PLACEMENTS = ("meter box", "basement", "mechanical room", "exterior, north wall", "vault", "riser room", "")
_FIRST = (
    "Maria James Linda Robert Susan Michael Karen David Nancy Daniel Lisa Paul Sandra Mark Emily Jose Grace "
    "Kevin Laura Brian Amy Jason Helen Eric Rosa Omar Mei Ivan Priya Tomas"
).split()
_LAST = (
    "Garcia Smith Johnson Nguyen Brown Lee Martinez Davis Wilson Anderson Taylor Thomas Moore Jackson Martin "
    "Clark Lewis Walker Hall Young Allen King Wright Lopez Hill Scott Green Adams Baker Rivera"
).split()
_STREETS = (
    "Oak St Maple Ave Cedar Ln Pine St Elm St Birch Rd Willow Way Aspen Ct Spruce Dr Juniper Pl "
    "Riverside Dr Harbor Blvd Mill Rd Station St Orchard Ln Sunset Ave Canyon Rd Lakeview Dr"
).split(" ")
_STREET_NAMES = [" ".join(_STREETS[i : i + 2]) for i in range(0, len(_STREETS) - 1, 2)]
_BUSINESS = ("Foods", "Dental", "Auto Care", "Bakery", "Laundry", "Clinic", "Brewing", "Printing", "Plastics", "Metals")
_MAIL_DOMAINS = ("mail.example", "inbox.example", "post.example", "letters.example")


@dataclass
class LocationBundle:
    """One location with its contacts and assemblies."""

    location: Location
    contacts: list[Contact]
    assemblies: list[Assembly]


@dataclass
class DemoData:
    """A whole generated utility as plain records."""

    organization: Organization
    service_areas: list[ServiceArea]
    locations: list[Location] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    assemblies: list[Assembly] = field(default_factory=list)


def organization_for(org_id: UUID) -> Organization:
    """The demo organization with this id (a generic one for any other id)."""
    known = ORGANIZATIONS.get(org_id)
    if known is not None:
        return known
    return Organization(
        id=org_id,
        name=f"Test Utility {str(org_id)[:8]}",
        address_line1="1 Main St",
        city="Springfield",
        state="WA",
        postal_code="10001",
        from_email=f"notices@utility-{str(org_id)[:8]}.example",
        letterhead="Test Utility",
    )


def service_areas_for(org_id: UUID) -> list[ServiceArea]:
    """The zones of the organization's distribution system."""
    return [
        ServiceArea(service_area_id(org_id, name), org_id, name) for name, _, _ in _ZONES.get(org_id, _DEFAULT_ZONES)
    ]


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def _dates(rng: random.Random, today: date) -> tuple[date | None, date | None, str | None, date | None]:
    """installed_on, last_tested_on, last_test_result, next_test_due, spread over every status."""
    installed = today - timedelta(days=rng.randint(60, 7000))
    roll = rng.random()
    if roll < 0.06:  # never tested, no due date: unknown
        return installed, None, None, None
    if roll < 0.10:  # new installation, first test due
        return installed, None, None, today + timedelta(days=rng.randint(-60, 90))
    tested = today - timedelta(days=rng.randint(1, 520))
    result = "fail" if rng.random() < 0.06 else "pass"
    return installed, tested, result, tested + timedelta(days=365)


def iter_locations(org_id: UUID, n: int, seed: int = 42, today: date | None = None) -> Iterator[LocationBundle]:
    """Locations with their contacts and assemblies until ``n`` assemblies exist (deterministic)."""
    rng = random.Random(seed)
    today = today or date.today()
    zones = _ZONES.get(org_id, _DEFAULT_ZONES)
    made = 0
    index = 0
    while made < n:
        index += 1
        facility = _pick(rng, _FACILITIES)
        zone_name, city, postal_codes = zones[rng.randrange(len(zones))]
        account = f"{100000 + index * 7:07d}"
        last = rng.choice(_LAST)
        if facility in ("commercial", "industrial"):
            name = f"{last} {rng.choice(_BUSINESS)}"
        elif facility == "institutional":
            name = rng.choice(("Riverside Elementary", "County Library", "Community Center", "Fire Station", "Clinic"))
        elif facility == "multi_family":
            name = f"{rng.choice(_STREET_NAMES).split()[0]} Apartments"
        elif facility in ("irrigation", "fire"):
            name = f"{last} {'Irrigation' if facility == 'irrigation' else 'Fire Service'}"
        else:
            name = f"{last} Residence"
        location = Location(
            id=location_id(org_id, account),
            org_id=org_id,
            account_number=account,
            name=name,
            address_line1=f"{rng.randint(1, 9999)} {rng.choice(_STREET_NAMES)}",
            address_line2=f"Unit {rng.randint(1, 40)}" if facility == "multi_family" and rng.random() < 0.3 else "",
            city=city,
            state="WA",
            postal_code=rng.choice(postal_codes),
            service_area_id=service_area_id(org_id, zone_name),
            facility_type=facility,
            active=rng.random() > 0.04,
        )
        contacts = _contacts(rng, org_id, location, last)
        type_weights, most = _TYPES_AT[facility]
        count = min(rng.randint(1, most), n - made)
        assemblies = []
        for _ in range(count):
            made += 1
            kind = _pick(rng, type_weights)
            installed, tested, result, due = _dates(rng, today)
            service = "fire" if kind in ("DCDA", "RPDA") or facility == "fire" else None
            service = service or (
                "irrigation" if facility == "irrigation" or kind in ("PVB", "AVB", "SVB") else "domestic"
            )
            serial = f"{kind[:2]}{(made * 7919) % 10_000_000:07d}"
            assemblies.append(
                Assembly(
                    id=assembly_id(org_id, account, serial),
                    org_id=org_id,
                    location_id=location.id,
                    serial_number=serial,
                    assembly_type=kind,
                    hazard="high" if kind in ("RP", "RPDA", "AG") or rng.random() < 0.05 else "low",
                    service_type=service,
                    size=rng.choice(_SIZES_AT[facility]),
                    make=rng.choice(_MAKES),
                    model=f"{rng.choice('ABCDEFG')}-{rng.randint(100, 999)}",
                    placement=rng.choice(_PLACEMENTS),
                    installed_on=installed,
                    last_tested_on=tested,
                    last_test_result=result,
                    next_test_due=due,
                    active=rng.random() > 0.03,
                )
            )
        yield LocationBundle(location, contacts, assemblies)


def _contacts(rng: random.Random, org_id: UUID, location: Location, last: str) -> list[Contact]:
    types = []
    if rng.random() < 0.95:
        types.append("owner")
    if location.facility_type in ("residential", "multi_family") and rng.random() < 0.25:
        types.append("tenant")
    if location.facility_type in ("commercial", "multi_family", "institutional") and rng.random() < 0.5:
        types.append("property_manager")
    if rng.random() < 0.25:
        types.append("billing")
    if location.facility_type in ("industrial", "fire", "irrigation", "institutional") and rng.random() < 0.4:
        types.append("site")
    primary_index = rng.randrange(len(types)) if types and rng.random() < 0.85 else -1
    contacts = []
    for i, contact_type in enumerate(types):
        first = rng.choice(_FIRST)
        surname = last if contact_type in ("owner", "billing") else rng.choice(_LAST)
        full = f"{first} {surname}"
        email = ""
        if rng.random() < 0.75:
            email = f"{first}.{surname}{rng.randint(1, 999)}@{rng.choice(_MAIL_DOMAINS)}".lower()
        mailing = rng.random() < 0.1
        contacts.append(
            Contact(
                id=contact_id(org_id, location.account_number, contact_type, full),
                org_id=org_id,
                location_id=location.id,
                contact_type=contact_type,
                name=full,
                first_name=first,
                email=email,
                mailing_line1=f"PO Box {rng.randint(100, 9999)}" if mailing else "",
                mailing_city=location.city if mailing else "",
                mailing_state="WA" if mailing else "",
                mailing_postal_code=location.postal_code if mailing else "",
                is_primary=i == primary_index,
                do_not_contact=rng.random() < 0.04,
            )
        )
    return contacts


def generate(org_id: UUID, n: int, seed: int = 42, today: date | None = None) -> DemoData:
    """The whole utility with ``n`` assemblies as plain records (deterministic for its arguments)."""
    data = DemoData(organization=organization_for(org_id), service_areas=service_areas_for(org_id))
    for bundle in iter_locations(org_id, n, seed, today):
        data.locations.append(bundle.location)
        data.contacts.extend(bundle.contacts)
        data.assemblies.extend(bundle.assemblies)
    return data
