"""Reading and writing the assemblies service's records with SQLAlchemy Core.

Every function takes the caller's session and the organization id; nothing here
reads or writes across organizations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import fields
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from assemblies.adapters import orm
from assemblies.adapters.filter_sql import apply_sort, count_query, filter_predicates
from assemblies.domain.records import (
    Assembly,
    Contact,
    Location,
    LocationSummary,
    Organization,
    ServiceArea,
    assembly_search_text,
    summarize_location,
)
from assemblies.domain.working_list import AssemblyFilter, PageRequest, SortOrder

A = orm.assemblies
L = orm.locations
C = orm.contacts
S = orm.service_areas
O = orm.organizations  # noqa: E741

_ASSEMBLY_FIELDS = [f.name for f in fields(Assembly)]
_LOCATION_FIELDS = [f.name for f in fields(Location)]
_CONTACT_FIELDS = [f.name for f in fields(Contact)]
_ORGANIZATION_FIELDS = [f.name for f in fields(Organization)]
_SUMMARY_FIELDS = [f.name for f in fields(LocationSummary)]

_ID_CHUNK = 500


def values_of(record: Any) -> dict[str, Any]:
    """A record's fields as a dict (shallow: ``dataclasses.asdict`` deep-copies and is slow in bulk)."""
    return dict(vars(record))


def _chunks(values: Sequence[Any], size: int = _ID_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def assembly_from_row(row: Any) -> Assembly:
    return Assembly(**{name: row._mapping[name] for name in _ASSEMBLY_FIELDS})


def location_from_row(row: Any) -> Location:
    return Location(**{name: row._mapping[name] for name in _LOCATION_FIELDS})


def contact_from_row(row: Any) -> Contact:
    return Contact(**{name: row._mapping[name] for name in _CONTACT_FIELDS})


def upsert_statement(session: AsyncSession, table: Any, update_columns: Sequence[str]) -> Any:
    """``INSERT ... ON CONFLICT (id) DO UPDATE`` for PostgreSQL and SQLite."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.id], set_={c: getattr(stmt.excluded, c) for c in update_columns}
    )


def insert_ignore_statement(session: AsyncSession, table: Any) -> Any:
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


async def bulk_write(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], update_columns: Sequence[str] | None
) -> None:
    """Insert many rows by id; on a known id update ``update_columns`` (None: keep the stored row).

    PostgreSQL: ``COPY`` into a temporary table (asyncpg's binary copy), then one
    ``INSERT ... SELECT ... ON CONFLICT``, far cheaper per row than parameterized inserts.
    SQLite: multi-row parameterized inserts.
    """
    if not rows:
        return
    if session.bind.dialect.name != "postgresql":
        if update_columns is None:
            stmt = insert_ignore_statement(session, table)
        else:
            stmt = upsert_statement(session, table, update_columns)
        await session.execute(stmt, list(rows))
        return
    columns = [c.name for c in table.columns]
    staging = f"staging_{table.name}"
    # DDL through the session, so that it runs inside the session's transaction
    await session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table.name}) ON COMMIT DROP"))
    await session.execute(text(f"TRUNCATE {staging}"))
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    await raw.copy_records_to_table(staging, records=[tuple(r[c] for c in columns) for r in rows], columns=columns)
    if update_columns is None:
        conflict = "DO NOTHING"
    else:
        conflict = "DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in update_columns)
    await session.execute(
        text(f"INSERT INTO {table.name} SELECT * FROM {staging} ORDER BY id ON CONFLICT (id) {conflict}")
    )


# ------------------------------------------------------------------ organization, zones


async def get_organization(session: AsyncSession, org_id: UUID) -> Organization | None:
    row = (await session.execute(select(O).where(O.c.id == org_id))).first()
    return Organization(**{n: row._mapping[n] for n in _ORGANIZATION_FIELDS}) if row else None


async def save_organization(session: AsyncSession, organization: Organization) -> None:
    values = values_of(organization)
    await session.execute(upsert_statement(session, O, [c for c in values if c != "id"]), [values])


async def list_service_areas(session: AsyncSession, org_id: UUID) -> list[ServiceArea]:
    rows = await session.execute(select(S).where(S.c.org_id == org_id).order_by(S.c.name, S.c.id))
    return [ServiceArea(r.id, r.org_id, r.name) for r in rows]


async def service_area_names(session: AsyncSession, org_id: UUID, ids: Iterable[UUID | None]) -> dict[UUID, str]:
    wanted = sorted({i for i in ids if i is not None}, key=str)
    if not wanted:
        return {}
    rows = await session.execute(select(S.c.id, S.c.name).where(S.c.org_id == org_id, S.c.id.in_(wanted)))
    return {r.id: r.name for r in rows}


# ------------------------------------------------------------------ the working list


async def count_matching(session: AsyncSession, org_id: UUID, f: AssemblyFilter, today: date) -> int:
    """Exactly how many of the organization's assemblies match (PostgreSQL: from ``assembly_counts``)."""
    query = count_query(org_id, f, today, use_counts=session.bind.dialect.name == "postgresql")
    return int((await session.execute(query)).scalar_one())


async def page_matching(
    session: AsyncSession, org_id: UUID, f: AssemblyFilter, today: date, sort: SortOrder, page: PageRequest
) -> list[Assembly]:
    query = select(*(A.c[n] for n in _ASSEMBLY_FIELDS)).where(*filter_predicates(org_id, f, today))
    query = apply_sort(query, sort).limit(page.size).offset(page.offset)
    return [assembly_from_row(r) for r in await session.execute(query)]


async def stream_matching_ids(
    session: AsyncSession, org_id: UUID, f: AssemblyFilter, today: date, chunk: int = 10_000
) -> AsyncIterator[list[UUID]]:
    """Ids of every match, in account number then id order (one location's assemblies together)."""
    query = (
        select(A.c.id)
        .where(*filter_predicates(org_id, f, today))
        .order_by(A.c.account_number, A.c.id)
        .execution_options(yield_per=chunk)
    )
    result = await session.stream(query)
    async for partition in result.partitions(chunk):
        yield [r.id for r in partition]


# ------------------------------------------------------------------ records by id


async def assemblies_by_ids(session: AsyncSession, org_id: UUID, ids: Sequence[UUID]) -> dict[UUID, Assembly]:
    found: dict[UUID, Assembly] = {}
    for part in _chunks(list(ids)):
        rows = await session.execute(
            select(*(A.c[n] for n in _ASSEMBLY_FIELDS)).where(A.c.org_id == org_id, A.c.id.in_(part))
        )
        found.update((r.id, assembly_from_row(r)) for r in rows)
    return found


async def assemblies_at(session: AsyncSession, org_id: UUID, location_ids: Sequence[UUID]) -> list[Assembly]:
    out: list[Assembly] = []
    for part in _chunks(list(location_ids)):
        rows = await session.execute(
            select(*(A.c[n] for n in _ASSEMBLY_FIELDS))
            .where(A.c.org_id == org_id, A.c.location_id.in_(part))
            .order_by(A.c.serial_number, A.c.id)
        )
        out.extend(assembly_from_row(r) for r in rows)
    return out


async def locations_by_ids(session: AsyncSession, org_id: UUID, ids: Iterable[UUID]) -> dict[UUID, Location]:
    found: dict[UUID, Location] = {}
    for part in _chunks(sorted(set(ids), key=str)):
        rows = await session.execute(select(L).where(L.c.org_id == org_id, L.c.id.in_(part)))
        found.update((r.id, location_from_row(r)) for r in rows)
    return found


async def contacts_at(session: AsyncSession, org_id: UUID, location_ids: Iterable[UUID]) -> dict[UUID, list[Contact]]:
    """Every contact of each location, primary first, then by type and name."""
    by_location: dict[UUID, list[Contact]] = defaultdict(list)
    for part in _chunks(sorted(set(location_ids), key=str)):
        rows = await session.execute(
            select(C)
            .where(C.c.org_id == org_id, C.c.location_id.in_(part))
            .order_by(C.c.location_id, C.c.is_primary.desc(), C.c.contact_type, C.c.name, C.c.id)
        )
        for r in rows:
            by_location[r.location_id].append(contact_from_row(r))
    return by_location


async def get_contact(session: AsyncSession, org_id: UUID, contact_id: UUID) -> Contact | None:
    row = (await session.execute(select(C).where(C.c.org_id == org_id, C.c.id == contact_id))).first()
    return contact_from_row(row) if row else None


# ------------------------------------------------------------------ writing


def _assembly_values(assembly: Assembly, summary: LocationSummary) -> dict[str, Any]:
    values = values_of(assembly)
    values.update(values_of(summary))
    values["search_text"] = assembly_search_text(assembly.serial_number, summary)
    return values


async def save_service_areas(session: AsyncSession, areas: Iterable[ServiceArea]) -> None:
    rows = [values_of(a) for a in {a.id: a for a in areas}.values()]
    if rows:
        await session.execute(insert_ignore_statement(session, S), rows)


async def save_locations(session: AsyncSession, locations: Sequence[Location]) -> None:
    columns = [c for c in _LOCATION_FIELDS if c not in ("id", "org_id")]
    await bulk_write(session, L, [values_of(x) for x in locations], columns)


async def save_contacts(session: AsyncSession, contacts: Sequence[Contact], *, keep_bounce: bool = True) -> None:
    """Insert or update contacts; an existing bounce mark stays unless the email changed."""
    columns = [c for c in _CONTACT_FIELDS if c not in ("id", "org_id", "location_id")]
    if keep_bounce:
        columns.remove("email_bounced_at")
    await bulk_write(session, C, [values_of(x) for x in contacts], columns)


async def save_assemblies(session: AsyncSession, rows: Sequence[tuple[Assembly, LocationSummary]]) -> None:
    columns = [c for c in (*_ASSEMBLY_FIELDS, *_SUMMARY_FIELDS) if c not in ("id", "org_id", "location_id")]
    await bulk_write(session, A, [_assembly_values(a, s) for a, s in rows], columns)


async def refresh_location_summaries(session: AsyncSession, org_id: UUID, location_ids: Iterable[UUID]) -> int:
    """Copy each location's current summary (domain.records.LocationSummary) onto its assemblies."""
    ids = sorted(set(location_ids), key=str)
    if not ids:
        return 0
    locations = await locations_by_ids(session, org_id, ids)
    contacts = await contacts_at(session, org_id, ids)
    params = []
    for lid, location in locations.items():
        summary = values_of(summarize_location(location, contacts.get(lid, [])))
        params.append({"b_location_id": lid, **{f"b_{k}": v for k, v in summary.items()}})
    stmt = (
        update(A)
        .where(A.c.location_id == bindparam("b_location_id"))
        .values(
            **{k: bindparam(f"b_{k}") for k in _SUMMARY_FIELDS if k != "search_text"},
            search_text=func.lower(A.c.serial_number).concat(" | ").concat(bindparam("b_search_text")),
        )
    )
    for part in _chunks(params):
        await session.execute(stmt, list(part))
    return len(params)


async def mark_email_bounced(session: AsyncSession, org_id: UUID, contact_id: UUID, at: datetime) -> bool:
    """Record that the contact's email bounced (the first report only); False for an unknown contact."""
    contact = await get_contact(session, org_id, contact_id)
    if contact is None:
        return False
    if contact.email_bounced_at is None:
        await session.execute(update(C).where(C.c.id == contact_id).values(email_bounced_at=at))
        await refresh_location_summaries(session, org_id, [contact.location_id])
    return True
