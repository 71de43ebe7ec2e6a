"""Loads a generated utility into the service's database, in bulk and idempotently.

Rows are inserted with ``ON CONFLICT DO NOTHING`` on their deterministic ids, so loading
twice adds nothing. On PostgreSQL each chunk goes through ``COPY`` into a temporary table
(asyncpg) and one ``INSERT ... SELECT``; on SQLite through multi-row inserts.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assemblies.adapters import orm
from assemblies.adapters import repository as repo
from assemblies.adapters.repository import values_of
from assemblies.demo import LocationBundle, iter_locations, organization_for, service_areas_for
from assemblies.domain.records import assembly_search_text, summarize_location

CHUNK_LOCATIONS = 5000


def _rows(bundles: list[LocationBundle]) -> dict[str, list[dict[str, Any]]]:
    locations, contacts, assemblies = [], [], []
    for bundle in bundles:
        summary = summarize_location(bundle.location, bundle.contacts)
        locations.append(values_of(bundle.location))
        contacts.extend(values_of(c) for c in bundle.contacts)
        for assembly in bundle.assemblies:
            values = values_of(assembly)
            values.update(values_of(summary))
            values["search_text"] = assembly_search_text(assembly.serial_number, summary)
            assemblies.append(values)
    return {"locations": locations, "contacts": contacts, "assemblies": assemblies}


async def _insert_chunk(session: AsyncSession, bundles: list[LocationBundle]) -> None:
    rows = _rows(bundles)
    for table in (orm.locations, orm.contacts, orm.assemblies):
        await repo.bulk_write(session, table, rows[table.name], None)


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
