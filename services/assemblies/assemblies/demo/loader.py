"""Loads a generated utility into the service's database, in bulk and idempotently.

Rows are inserted with ``ON CONFLICT DO NOTHING`` on their deterministic ids, so loading
twice adds nothing. On PostgreSQL each chunk goes through ``COPY`` into a temporary table
(asyncpg) and one ``INSERT ... SELECT``; on SQLite through multi-row inserts.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assemblies.adapters import orm
from assemblies.adapters import repository as repo
from assemblies.demo import LocationBundle, iter_locations, organization_for, service_areas_for
from assemblies.domain.records import assembly_search_text, summarize_location

CHUNK_LOCATIONS = 5000


def _rows(bundles: list[LocationBundle]) -> dict[str, list[dict[str, Any]]]:
    locations, contacts, assemblies = [], [], []
    for bundle in bundles:
        summary = summarize_location(bundle.location, bundle.contacts)
        locations.append(asdict(bundle.location))
        contacts.extend(asdict(c) for c in bundle.contacts)
        for assembly in bundle.assemblies:
            values = asdict(assembly)
            values.update(asdict(summary))
            values["search_text"] = assembly_search_text(assembly.serial_number, summary)
            assemblies.append(values)
    return {"locations": locations, "contacts": contacts, "assemblies": assemblies}


async def _copy_ignoring_conflicts(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = [c.name for c in table.columns]
    staging = f"demo_{table.name}"
    # DDL through the session so that it runs inside the session's transaction
    await session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table.name}) ON COMMIT DROP"))
    await session.execute(text(f"TRUNCATE {staging}"))
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    await raw.copy_records_to_table(staging, records=[tuple(r[c] for c in columns) for r in rows], columns=columns)
    await session.execute(text(f"INSERT INTO {table.name} SELECT * FROM {staging} ON CONFLICT DO NOTHING"))


async def _insert_chunk(session: AsyncSession, bundles: list[LocationBundle]) -> None:
    rows = _rows(bundles)
    postgres = session.bind.dialect.name == "postgresql"
    for table in (orm.locations, orm.contacts, orm.assemblies):
        if postgres:
            await _copy_ignoring_conflicts(session, table, rows[table.name])
        elif rows[table.name]:
            await session.execute(repo.insert_ignore_statement(session, table), rows[table.name])


async def load_demo(
    sessions: async_sessionmaker[AsyncSession],
    org_id: UUID,
    n: int,
    seed: int = 42,
    today: date | None = None,
    progress: Any = None,
) -> int:
    """Load the organization, its zones and ``n`` generated assemblies; answers the assemblies generated."""
    async with sessions.begin() as session:
        if await repo.get_organization(session, org_id) is None:
            await repo.save_organization(session, organization_for(org_id))
        await repo.save_service_areas(session, service_areas_for(org_id))
    made = 0
    chunk: list[LocationBundle] = []
    for bundle in iter_locations(org_id, n, seed, today):
        chunk.append(bundle)
        made += len(bundle.assemblies)
        if len(chunk) >= CHUNK_LOCATIONS:
            async with sessions.begin() as session:
                await _insert_chunk(session, chunk)
            chunk = []
            if progress:
                progress(made)
    if chunk:
        async with sessions.begin() as session:
            await _insert_chunk(session, chunk)
    async with sessions.begin() as session:
        if session.bind.dialect.name == "postgresql":
            await session.execute(text("ANALYZE locations, contacts, assemblies"))
    return made
