"""Read use cases: the working list, one assembly or location, members and snapshots for batches."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import asdict
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from assemblies.adapters import repository as repo
from assemblies.adapters import snapshot_json, snapshot_reads
from assemblies.domain.compliance import compliance_status
from assemblies.domain.records import Assembly, Contact, Location
from assemblies.domain.working_list import AssemblyFilter, ListRequest
from assemblies.service_layer.errors import InvalidInput, NotFound
from assemblies.service_layer.snapshots import (
    assembly_snapshot,
    contact_snapshot,
    location_snapshot,
    organization_snapshot,
)
from contracts.snapshots import member_lines


async def organization(session: AsyncSession, org_id: UUID) -> dict[str, Any]:
    org = await repo.get_organization(session, org_id)
    if org is None:
        raise NotFound("organization")
    return organization_snapshot(org)


async def organization_view(session: AsyncSession, org_id: UUID) -> dict[str, Any]:
    org = await repo.get_organization(session, org_id)
    if org is None:
        raise NotFound("organization")
    return asdict(org)


async def service_areas(session: AsyncSession, org_id: UUID) -> list[dict[str, Any]]:
    return [{"id": a.id, "name": a.name} for a in await repo.list_service_areas(session, org_id)]


def _location_view(location: Location, zone_name: str) -> dict[str, Any]:
    view = asdict(location)
    view.pop("org_id")
    view["service_area_name"] = zone_name
    return view


def _contact_view(contact: Contact) -> dict[str, Any]:
    view = asdict(contact)
    view.pop("org_id")
    view["email_bounced"] = contact.email_bounced_at is not None
    return view


def _assembly_view(assembly: Assembly, today: date) -> dict[str, Any]:
    view = asdict(assembly)
    view.pop("org_id")
    view["compliance_status"] = compliance_status(assembly.last_test_result, assembly.next_test_due, today)
    return view


def _primary(contacts: list[Contact]) -> Contact | None:
    primaries = [c for c in contacts if c.is_primary]
    return primaries[0] if primaries else None


async def list_assemblies(session: AsyncSession, org_id: UUID, request: ListRequest, today: date) -> dict[str, Any]:
    """One page of the working list, its total, each row with its location and primary contact."""
    total = await repo.count_matching(session, org_id, request.filter, today)
    page = await repo.page_matching(session, org_id, request.filter, today, request.sort, request.page)
    location_ids = [a.location_id for a in page]
    locations = await repo.locations_by_ids(session, org_id, location_ids)
    contacts = await repo.contacts_at(session, org_id, location_ids)
    zones = await repo.service_area_names(session, org_id, (loc.service_area_id for loc in locations.values()))
    items = []
    for assembly in page:
        location = locations[assembly.location_id]
        primary = _primary(contacts.get(assembly.location_id, []))
        item = _assembly_view(assembly, today)
        item["location"] = _location_view(location, zones.get(location.service_area_id, ""))
        item["primary_contact"] = {"id": primary.id, "name": primary.name, "email": primary.email} if primary else None
        items.append(item)
    return {
        "items": items,
        "total": total,
        "page": request.page.number,
        "page_size": request.page.size,
        "sort": str(request.sort),
        "filter": request.filter.normalized(),
    }


async def assembly_detail(session: AsyncSession, org_id: UUID, assembly_id: UUID, today: date) -> dict[str, Any]:
    """One assembly with its location and every contact there.

    ``communications`` stays empty here: the communication history belongs to the batches
    service (``GET /communications?assembly_id=``) and the gateway adds it.
    """
    found = await repo.assemblies_by_ids(session, org_id, [assembly_id])
    if assembly_id not in found:
        raise NotFound("assembly")
    assembly = found[assembly_id]
    location = (await repo.locations_by_ids(session, org_id, [assembly.location_id]))[assembly.location_id]
    contacts = (await repo.contacts_at(session, org_id, [location.id])).get(location.id, [])
    zones = await repo.service_area_names(session, org_id, [location.service_area_id])
    view = _assembly_view(assembly, today)
    view["location"] = _location_view(location, zones.get(location.service_area_id, ""))
    view["contacts"] = [_contact_view(c) for c in contacts]
    view["communications"] = []
    return view


async def location_detail(session: AsyncSession, org_id: UUID, location_id: UUID, today: date) -> dict[str, Any]:
    """One location with its contacts and assemblies."""
    found = await repo.locations_by_ids(session, org_id, [location_id])
    if location_id not in found:
        raise NotFound("location")
    location = found[location_id]
    contacts = (await repo.contacts_at(session, org_id, [location_id])).get(location_id, [])
    zones = await repo.service_area_names(session, org_id, [location.service_area_id])
    view = _location_view(location, zones.get(location.service_area_id, ""))
    view["contacts"] = [_contact_view(c) for c in contacts]
    view["assemblies"] = [_assembly_view(a, today) for a in await repo.assemblies_at(session, org_id, [location_id])]
    view["communications"] = []
    return view


async def resolve_members(session: AsyncSession, org_id: UUID, f: AssemblyFilter, today: date) -> dict[str, Any]:
    """Every assembly the filter matches today (not only a page): a batch's frozen member list.

    Ids come in account number order, so one location's assemblies are next to each other.
    """
    ids: list[UUID] = []
    async for part in repo.stream_matching_ids(session, org_id, f, today):
        ids.extend(part)
    return {"assembly_ids": ids, "count": len(ids), "filter": f.normalized(), "resolved_on": today}


def _missing(wanted: Sequence[UUID], found: Collection[UUID]) -> NotFound | None:
    missing = [i for i in wanted if i not in found]
    if not missing:
        return None
    shown = ", ".join(str(m) for m in missing[:5])
    return NotFound(f"assembly {shown}{' and others' if len(missing) > 5 else ''}")


async def member_snapshots(
    session: AsyncSession, org_id: UUID, ids: Sequence[UUID], today: date, max_ids: int
) -> dict[str, Any]:
    """Each asked-for assembly with its location and all its contacts, in the order asked (JSON-ready)."""
    if len(ids) > max_ids:
        raise InvalidInput("assembly_ids", f"at most {max_ids} ids per call; page through the list")
    org = await organization(session, org_id)
    wanted = list(dict.fromkeys(ids))
    records = await snapshot_reads.member_records(session, org_id, wanted)
    found = records.assemblies
    if (error := _missing(wanted, found)) is not None:
        raise error
    zones = records.service_area_names
    location_snaps = {lid: location_snapshot(loc, zones[lid]) for lid, loc in records.locations.items()}
    contact_snaps = {lid: [contact_snapshot(c) for c in cs] for lid, cs in records.contacts.items()}
    members = [
        {
            "assembly": assembly_snapshot(found[i], today),
            "location": location_snaps[found[i].location_id],
            "contacts": contact_snaps.get(found[i].location_id, []),
        }
        for i in wanted
    ]
    return {"organization": org, "members": members}


async def member_snapshots_body(
    session: AsyncSession, org_id: UUID, ids: Sequence[UUID], today: date, max_ids: int, *, lines: bool = False
) -> bytes:
    """``member_snapshots`` as the body of the answer: JSON, or with ``lines`` the lines of
    ``contracts.snapshots.MEMBER_LINES``. On PostgreSQL the database writes each member's JSON."""
    if session.bind is None or session.bind.dialect.name != "postgresql":
        page = await member_snapshots(session, org_id, ids, today, max_ids)
        if lines:
            members = [(m["assembly"]["id"], m["location"]["id"], _compact(m)) for m in page["members"]]
            return member_lines(_compact(page["organization"]), members)
        return _compact(page).encode()
    if len(ids) > max_ids:
        raise InvalidInput("assembly_ids", f"at most {max_ids} ids per call; page through the list")
    org = await organization(session, org_id)
    wanted = list(dict.fromkeys(ids))
    if lines:
        count, member_text = await snapshot_json.member_lines_text(session, org_id, wanted, today)
        if count != len(wanted):
            rows = await snapshot_json.member_snapshots_json(session, org_id, wanted, today)
            if (error := _missing(wanted, {assembly_id for assembly_id, _, _ in rows})) is not None:
                raise error
        return f"{_compact(org)}\n{member_text}".encode() if member_text else _compact(org).encode()
    rows = await snapshot_json.member_snapshots_json(session, org_id, wanted, today)
    if (error := _missing(wanted, {assembly_id for assembly_id, _, _ in rows})) is not None:
        raise error
    members = ",".join(member for _, _, member in rows)
    return f'{{"organization":{_compact(org)},"members":[{members}]}}'.encode()


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


async def contact_with_context(session: AsyncSession, org_id: UUID, contact_id: UUID, today: date) -> dict[str, Any]:
    """One contact with the organization, its location and the location's assemblies (Create Log)."""
    contact = await repo.get_contact(session, org_id, contact_id)
    if contact is None:
        raise NotFound("contact")
    org = await organization(session, org_id)
    location = (await repo.locations_by_ids(session, org_id, [contact.location_id]))[contact.location_id]
    zones = await repo.service_area_names(session, org_id, [location.service_area_id])
    return {
        "organization": org,
        "contact": contact_snapshot(contact),
        "location": location_snapshot(location, zones.get(location.service_area_id, "")),
        "assemblies": [assembly_snapshot(a, today) for a in await repo.assemblies_at(session, org_id, [location.id])],
    }
