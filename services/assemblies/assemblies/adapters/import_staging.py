"""One CSV import's valid rows in temporary tables, merged into the records in a few set-based statements.

Rows are staged as they are parsed (PostgreSQL: ``COPY``; SQLite: multi-row inserts). The
merge then compares the staged rows with the stored ones in SQL: which locations and
contacts are new or changed, what the report counts, and writes only what changed, one
``INSERT ... SELECT ... ON CONFLICT`` or ``UPDATE ... FROM`` per table instead of a round
trip per row or per chunk.

The location summaries the assemblies carry (``domain.records.summarize_location``) are
computed in Python, the one place that rule lives, for just the locations the import
touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    Column,
    MetaData,
    Table,
    Text,
    Uuid,
    and_,
    case,
    func,
    not_,
    or_,
    select,
    text,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from assemblies.adapters import orm
from assemblies.adapters.repository import contact_from_row, location_from_row
from assemblies.domain.records import Assembly, Contact, Location, LocationSummary, summarize_location

A, L, C = orm.assemblies, orm.locations, orm.contacts

_LOCATION_FIELDS = [f.name for f in fields(Location)]
_CONTACT_FIELDS = [f.name for f in fields(Contact) if f.name != "email_bounced_at"]
_ASSEMBLY_FIELDS = [f.name for f in fields(Assembly)]
_SUMMARY_FIELDS = [f.name for f in fields(LocationSummary)]

_staging = MetaData()


def _temp(name: str, *columns: Column[Any]) -> Table:
    return Table(name, _staging, *columns, prefixes=["TEMPORARY"], postgresql_on_commit="DROP")


def _copy_of(table: Table, names: Sequence[str]) -> list[Column[Any]]:
    return [Column(n, table.c[n].type, nullable=True) for n in names]


STAGED_LOCATIONS = _temp("import_locations", *_copy_of(L, _LOCATION_FIELDS))
STAGED_CONTACTS = _temp("import_contacts", *_copy_of(C, _CONTACT_FIELDS))
STAGED_ASSEMBLIES = _temp(
    "import_assemblies",
    *_copy_of(A, _ASSEMBLY_FIELDS),
    Column("contact1_id", Uuid, nullable=True),
    Column("contact2_id", Uuid, nullable=True),
)
CHANGED_LOCATIONS = _temp("import_changed_locations", Column("id", Uuid), Column("existed", Boolean))
CHANGED_CONTACTS = _temp("import_changed_contacts", Column("id", Uuid))
AFFECTED_LOCATIONS = _temp("import_affected_locations", Column("id", Uuid))
ASSEMBLY_STATES = _temp(
    "import_assembly_states",
    Column("id", Uuid),
    Column("location_id", Uuid),
    Column("contact1_id", Uuid),
    Column("contact2_id", Uuid),
    Column("is_new", Boolean),
    Column("changed", Boolean),
)
SUMMARIES = _temp(
    "import_summaries",
    Column("location_id", Uuid),
    *_copy_of(A, [n for n in _SUMMARY_FIELDS if n != "search_text"]),
    Column("search_text", Text),
)
_TABLES = (
    STAGED_LOCATIONS,
    STAGED_CONTACTS,
    STAGED_ASSEMBLIES,
    CHANGED_LOCATIONS,
    CHANGED_CONTACTS,
    AFFECTED_LOCATIONS,
    ASSEMBLY_STATES,
    SUMMARIES,
)


NewLocations = Mapping[UUID, tuple[Location, list[Contact]]]


@dataclass(frozen=True)
class MergeCounts:
    """Assemblies of the file that are new, changed (or whose location or contacts changed), unchanged."""

    imported: int
    updated: int
    unchanged: int


def _is_postgres(session: AsyncSession) -> bool:
    return session.bind.dialect.name == "postgresql"


def _differs(left: Table, right: Table, names: Iterable[str]) -> ColumnElement[bool]:
    return or_(*(left.c[n].is_distinct_from(right.c[n]) for n in names))


async def create(session: AsyncSession) -> None:
    """Fresh, empty staging tables for one import (dropped at commit on PostgreSQL)."""
    connection = await session.connection()
    for table in _TABLES:
        await connection.run_sync(lambda sync, t=table: t.drop(sync, checkfirst=True))
        await connection.run_sync(lambda sync, t=table: t.create(sync))


async def drop(session: AsyncSession) -> None:
    """Remove the staging tables (SQLite keeps temporary tables until the connection closes)."""
    if _is_postgres(session):
        return
    connection = await session.connection()
    for table in _TABLES:
        await connection.run_sync(lambda sync, t=table: t.drop(sync, checkfirst=True))


async def _write(session: AsyncSession, table: Table, records: list[tuple[Any, ...]]) -> None:
    if not records:
        return
    names = [c.name for c in table.columns]
    if _is_postgres(session):
        connection = await session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        await raw.copy_records_to_table(table.name, records=records, columns=names)
        return
    await session.execute(table.insert(), [dict(zip(names, r, strict=True)) for r in records])


async def stage(
    session: AsyncSession,
    locations: Sequence[Location],
    contacts: Sequence[Contact],
    assemblies: Sequence[tuple[Assembly, UUID | None, UUID | None]],
) -> None:
    """Add parsed records (each location and contact once; each assembly with its row's contact ids)."""
    await _write(session, STAGED_LOCATIONS, [tuple(getattr(x, n) for n in _LOCATION_FIELDS) for x in locations])
    await _write(session, STAGED_CONTACTS, [tuple(getattr(x, n) for n in _CONTACT_FIELDS) for x in contacts])
    await _write(
        session,
        STAGED_ASSEMBLIES,
        [(*(getattr(a, n) for n in _ASSEMBLY_FIELDS), c1, c2) for a, c1, c2 in assemblies],
    )


async def _analyze(session: AsyncSession, *tables: Table) -> None:
    # temporary tables get no statistics from autovacuum: without them the planner guesses
    # a handful of rows and picks nested loops over hundreds of thousands
    if _is_postgres(session):
        await session.execute(text(f"ANALYZE {', '.join(t.name for t in tables)}"))


def _upsert(session: AsyncSession, table: Table, names: Sequence[str], source: Any) -> Any:
    dialect = postgresql if _is_postgres(session) else sqlite
    return dialect.insert(table).from_select(list(names), source)


async def merge(session: AsyncSession, org_id: UUID, file_locations: NewLocations) -> MergeCounts:
    """Write the staged rows into the organization's records; answers what changed.

    ``file_locations``: each location of the file with the file's contacts there.
    """
    IL, IC, IA = STAGED_LOCATIONS, STAGED_CONTACTS, STAGED_ASSEMBLIES
    CL, CC, AL, S = CHANGED_LOCATIONS, CHANGED_CONTACTS, AFFECTED_LOCATIONS, SUMMARIES
    ST = ASSEMBLY_STATES
    location_data = [n for n in _LOCATION_FIELDS if n not in ("id", "org_id")]
    contact_data = [n for n in _CONTACT_FIELDS if n not in ("id", "org_id", "location_id")]
    assembly_data = [n for n in _ASSEMBLY_FIELDS if n not in ("id", "org_id")]

    await _analyze(session, IL, IC, IA)
    # what is new or changed, compared with what is stored
    await session.execute(
        CL.insert().from_select(
            ["id", "existed"],
            select(IL.c.id, L.c.id.is_not(None))
            .select_from(IL.outerjoin(L, L.c.id == IL.c.id))
            .where(or_(L.c.id.is_(None), _differs(IL, L, location_data))),
        )
    )
    await session.execute(
        CC.insert().from_select(
            ["id"],
            select(IC.c.id)
            .select_from(IC.outerjoin(C, C.c.id == IC.c.id))
            .where(or_(C.c.id.is_(None), _differs(IC, C, contact_data))),
        )
    )
    # each staged assembly compared once with the stored one
    await session.execute(
        ST.insert().from_select(
            ["id", "location_id", "contact1_id", "contact2_id", "is_new", "changed"],
            select(
                IA.c.id,
                IA.c.location_id,
                IA.c.contact1_id,
                IA.c.contact2_id,
                A.c.id.is_(None),
                or_(A.c.id.is_(None), _differs(IA, A, assembly_data)),
            ).select_from(IA.outerjoin(A, A.c.id == IA.c.id)),
        )
    )
    await _analyze(session, CL, CC, ST)
    touched = or_(
        ST.c.changed,
        ST.c.location_id.in_(select(CL.c.id)),
        ST.c.contact1_id.in_(select(CC.c.id)),
        ST.c.contact2_id.in_(select(CC.c.id)),
    )
    counts = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((ST.c.is_new, 1), else_=0)), 0),
                func.coalesce(func.sum(case((and_(not_(ST.c.is_new), touched), 1), else_=0)), 0),
            )
        )
    ).one()
    total, imported, updated = (int(v) for v in counts)

    # locations whose assemblies need their summary (re)computed
    await session.execute(
        AL.insert().from_select(
            ["id"],
            union(
                select(CL.c.id),
                select(IC.c.location_id).where(IC.c.id.in_(select(CC.c.id))),
                select(ST.c.location_id).where(ST.c.changed),
            ),
        )
    )

    stmt = _upsert(
        session, L, _LOCATION_FIELDS, select(*(IL.c[n] for n in _LOCATION_FIELDS)).where(IL.c.id.in_(select(CL.c.id)))
    )
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[L.c.id], set_={n: stmt.excluded[n] for n in location_data})
    )
    stmt = _upsert(
        session, C, _CONTACT_FIELDS, select(*(IC.c[n] for n in _CONTACT_FIELDS)).where(IC.c.id.in_(select(CC.c.id)))
    )
    keep_bounce = case((C.c.email == stmt.excluded.email, C.c.email_bounced_at), else_=None)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[C.c.id],
            # a changed email may work again: the bounce mark goes with the old address
            set_={**{n: stmt.excluded[n] for n in contact_data}, "email_bounced_at": keep_bounce},
        )
    )

    await _analyze(session, AL)
    await _stage_summaries(session, org_id, file_locations)
    await _analyze(session, S)

    summary_values = {n: S.c[n] for n in _SUMMARY_FIELDS if n != "search_text"}
    search_text = func.lower(IA.c.serial_number).concat(" | ").concat(S.c.search_text)
    source = (
        select(*(IA.c[n] for n in _ASSEMBLY_FIELDS), *summary_values.values(), search_text)
        .select_from(IA.join(ST, ST.c.id == IA.c.id).join(S, S.c.location_id == IA.c.location_id))
        .where(ST.c.changed)
    )
    stmt = _upsert(session, A, [*_ASSEMBLY_FIELDS, *summary_values, "search_text"], source)
    await _defer_search_index(session)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[A.c.id], set_={n: stmt.excluded[n] for n in (*assembly_data, *_SUMMARY_FIELDS)}
        )
    )

    # assemblies stored before, at a changed location, carry a stale summary: refresh it
    stored_search_text = func.lower(A.c.serial_number).concat(" | ").concat(S.c.search_text)
    new_locations = select(CL.c.id).where(not_(CL.c.existed))
    await session.execute(
        update(A)
        .where(
            A.c.location_id == S.c.location_id,
            A.c.org_id == org_id,
            S.c.location_id.not_in(new_locations),
            or_(
                *(A.c[n].is_distinct_from(S.c[n]) for n in summary_values),
                A.c.search_text.is_distinct_from(stored_search_text),
            ),
        )
        .values(**summary_values, search_text=stored_search_text)
    )
    await _merge_search_index(session)
    return MergeCounts(imported=imported, updated=updated, unchanged=total - imported - updated)


# The trigram index of free-text search takes ~70 entries per assembly. By default each
# writer merges the index's pending list into the index every 4 MB of entries; an import
# lets it grow and merges it once, sorted, before committing (10-20% of an import's time).
_SEARCH_INDEX = "ix_assemblies_search_trgm"


async def _defer_search_index(session: AsyncSession) -> None:
    if _is_postgres(session):
        await session.execute(text("SET LOCAL gin_pending_list_limit = '256MB'"))


async def _merge_search_index(session: AsyncSession) -> None:
    if not _is_postgres(session):
        return
    await session.execute(text("RESET gin_pending_list_limit"))
    await session.execute(
        text("SELECT gin_clean_pending_list(c.oid) FROM pg_class c WHERE c.relname = :name AND c.relkind = 'i'"),
        {"name": _SEARCH_INDEX},
    )


def _contact_order(contact: Contact) -> tuple[bool, str, str, str]:
    # the order of repository.contacts_at, so every path writes the same search text
    return (not contact.is_primary, contact.contact_type, contact.name, str(contact.id))


async def _stage_summaries(session: AsyncSession, org_id: UUID, new_locations: NewLocations) -> None:
    """Summaries of the affected locations: a location new with this file from its rows alone,
    the others from what is stored now (their contacts may not all be in the file)."""
    AL, CL = AFFECTED_LOCATIONS, CHANGED_LOCATIONS
    created = {r.id for r in await session.execute(select(CL.c.id).where(not_(CL.c.existed)))}
    records = []
    for location_id in created:
        location, contacts = new_locations[location_id]
        summary = summarize_location(location, sorted(contacts, key=_contact_order))
        records.append((location_id, *(getattr(summary, n) for n in _SUMMARY_FIELDS)))
    # joined by id only: the staged ids are the organization's own (uuid5 of org and natural key),
    # and an org_id condition tempts the planner into scanning the org's index once per id while
    # the statistics still say the organization is empty
    stored = AL.join(L, L.c.id == AL.c.id).outerjoin(CL, and_(CL.c.id == AL.c.id, not_(CL.c.existed)))
    rows = await session.execute(
        select(*(L.c[n] for n in _LOCATION_FIELDS)).select_from(stored).where(CL.c.id.is_(None))
    )
    locations = [location_from_row(r) for r in rows if r.org_id == org_id]
    contacts: dict[UUID, list[Contact]] = {}
    if locations:
        rows = await session.execute(
            select(C)
            .select_from(stored.join(C, C.c.location_id == AL.c.id))
            .where(CL.c.id.is_(None))
            .order_by(C.c.location_id, C.c.is_primary.desc(), C.c.contact_type, C.c.name, C.c.id)
        )
        for r in rows:
            if r.org_id == org_id:
                contacts.setdefault(r.location_id, []).append(contact_from_row(r))
    for location in locations:
        summary = summarize_location(location, contacts.get(location.id, []))
        records.append((location.id, *(getattr(summary, n) for n in _SUMMARY_FIELDS)))
    await _write(session, SUMMARIES, records)
