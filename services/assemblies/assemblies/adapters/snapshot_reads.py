"""The records a page of member snapshots needs, read in three queries.

Batches ask for up to 1000 assemblies at once, each with its location (and zone name) and
every contact there; a 10,000-member batch asks ten times. The columns are selected in the
records' field order, so each row becomes its record positionally, without a mapping per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Uuid, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from assemblies.adapters import orm
from assemblies.domain.records import Assembly, Contact, Location

A = orm.assemblies
L = orm.locations
C = orm.contacts
S = orm.service_areas

_ASSEMBLY_COLUMNS = [A.c[f.name] for f in fields(Assembly)]
_LOCATION_COLUMNS = [L.c[f.name] for f in fields(Location)]
_CONTACT_COLUMNS = [C.c[f.name] for f in fields(Contact)]

_IDS_PER_QUERY = 900
"""Below SQLite's oldest bound-parameter limit (999)."""


@dataclass(frozen=True)
class MemberRecords:
    assemblies: dict[UUID, Assembly]
    locations: dict[UUID, Location]
    service_area_names: dict[UUID, str]
    """By location id: the name of the location's service area ("" when none)."""
    contacts: dict[UUID, list[Contact]]
    """By location id: every contact, primary first, then by type, name and id."""


def _parts(session: AsyncSession, ids: Sequence[UUID]) -> Iterable[Sequence[UUID]]:
    if _postgresql(session):  # one array parameter, whatever the count
        yield ids
        return
    for start in range(0, len(ids), _IDS_PER_QUERY):
        yield ids[start : start + _IDS_PER_QUERY]


def _postgresql(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def _among(session: AsyncSession, column: ColumnElement[Any], ids: Sequence[UUID]) -> ColumnElement[bool]:
    """``column IN ids``: on PostgreSQL ``= ANY(array)``, one bound value instead of one per id
    (compiling a thousand bound parameters cost more than running the query)."""
    if _postgresql(session):
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Uuid())))
    return column.in_(ids)


async def member_records(session: AsyncSession, org_id: UUID, assembly_ids: Sequence[UUID]) -> MemberRecords:
    """The organization's assemblies among ``assembly_ids`` with their locations and contacts."""
    assemblies: dict[UUID, Assembly] = {}
    for part in _parts(session, assembly_ids):
        rows = await session.execute(
            select(*_ASSEMBLY_COLUMNS).where(A.c.org_id == org_id, _among(session, A.c.id, part))
        )
        for row in rows:
            assemblies[row[0]] = Assembly(*row)
    location_ids = list(dict.fromkeys(a.location_id for a in assemblies.values()))
    locations: dict[UUID, Location] = {}
    zones: dict[UUID, str] = {}
    contacts: dict[UUID, list[Contact]] = defaultdict(list)
    width = len(_LOCATION_COLUMNS)
    for part in _parts(session, location_ids):
        rows = await session.execute(
            select(*_LOCATION_COLUMNS, S.c.name)
            .outerjoin(S, (S.c.id == L.c.service_area_id) & (S.c.org_id == L.c.org_id))
            .where(L.c.org_id == org_id, _among(session, L.c.id, part))
        )
        for row in rows:
            locations[row[0]] = Location(*row[:width])
            zones[row[0]] = row[width] or ""
        rows = await session.execute(
            select(*_CONTACT_COLUMNS)
            .where(C.c.org_id == org_id, _among(session, C.c.location_id, part))
            .order_by(C.c.location_id, C.c.is_primary.desc(), C.c.contact_type, C.c.name, C.c.id)
        )
        for row in rows:
            contacts[row[2]].append(Contact(*row))
    return MemberRecords(assemblies, locations, zones, contacts)
