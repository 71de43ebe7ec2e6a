"""The ledger's bulk insert of a chunk's communications (COPY on PostgreSQL, executemany on SQLite).

A chunk stored twice, in one transaction or in two, is stored once, with its texts and lists
exactly as generated; a rolled-back chunk leaves nothing behind for the next one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from batches.adapters import orm
from batches.adapters.ledger_json import add_communications_json
from batches.adapters.repository import BatchRepository
from batches.bootstrap import MIGRATIONS
from contracts.events import CommunicationsGenerated, GeneratedCommunication
from contracts.snapshots import AssemblySnapshot, PostalAddress, Recipient
from servicekit.db import create_engine, create_session_factory
from servicekit.migrations import upgrade
from tests.conftest import TEST_DB
from tests.unit.batches.batches_fakes import location, organization

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
async def sessions(batches_database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await asyncio.to_thread(upgrade, batches_database_url, MIGRATIONS)
    engine = create_engine(batches_database_url, pool_size=1, max_overflow=0)  # one connection: reused
    yield create_session_factory(engine)
    await engine.dispose()


def communication(method: str = "email", **kw: object) -> GeneratedCommunication:
    loc = location(postal_code="97031")
    assemblies = [
        AssemblySnapshot(id=uuid4(), location_id=loc.id, serial_number=s, assembly_type="RP") for s in ("B-2", 'A"1')
    ]
    values: dict[str, object] = {
        "communication_id": uuid4(),
        "location_id": loc.id,
        "contact_id": uuid4(),
        "assembly_ids": [a.id for a in assemblies],
        "method": method,
        "recipient": Recipient(
            contact_id=uuid4(),
            name="Zoë O'Brien",
            email="zoe@example.test" if method == "email" else "",
            address=PostalAddress(line1="10 Water Rd", city="Riverbend", postal_code="97031"),
        ),
        "subject": 'Test due: "RP" \\ backflow',
        "body_text": 'Dear Zoë,\n\ttab, quote " and backslash \\ — and a null-looking \\N\n',
        "body_html": "<p>Dear Zoë</p>",
        "cc": ["inspector@example.test"],
        "location": loc,
        "assemblies": assemblies,
    }
    values.update(kw)
    return GeneratedCommunication(**values)  # type: ignore[arg-type]


async def stored(sessions: async_sessionmaker[AsyncSession], batch_id: UUID) -> dict[UUID, object]:
    async with sessions() as session:
        rows = await session.execute(select(orm.communications).where(orm.communications.c.batch_id == batch_id))
        return {r.id: r for r in rows}


async def links(sessions: async_sessionmaker[AsyncSession], batch_id: UUID) -> int:
    c, ca = orm.communications, orm.communication_assemblies
    async with sessions() as session:
        query = select(func.count()).select_from(ca).join(c, c.c.id == ca.c.communication_id)
        return int(await session.scalar(query.where(c.c.batch_id == batch_id)) or 0)


async def test_a_chunk_stored_twice_is_stored_once_with_its_texts_and_lists_intact(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    org_id, batch_id = uuid4(), uuid4()
    chunk = [communication("email"), communication("letter", cc=[], include_pdf_in_email=False)]
    async with sessions.begin() as session:
        repo = BatchRepository(session)
        await repo.add_communications(org_id, batch_id, 0, chunk, AT, "backflow@riverbend.example")
        await repo.add_communications(org_id, batch_id, 0, chunk, AT, "backflow@riverbend.example")
    # a redelivery in a later transaction, with one more communication and a changed text
    changed = chunk[0].model_copy(update={"subject": "changed"})
    extra = communication("email", missing_fields=["contact.first_name"], status="needs_attention")
    async with sessions.begin() as session:
        await BatchRepository(session).add_communications(org_id, batch_id, 0, [changed, extra], AT, "x@example.test")

    rows = await stored(sessions, batch_id)
    assert set(rows) == {chunk[0].communication_id, chunk[1].communication_id, extra.communication_id}
    assert await links(sessions, batch_id) == 6
    email = rows[chunk[0].communication_id]
    assert email.subject == chunk[0].subject  # the first stored version stays
    assert email.body_text == chunk[0].body_text
    assert email.recipient_name == "Zoë O'Brien" and email.recipient_email == "zoe@example.test"
    assert email.recipient_address["postal_code"] == "97031" and email.postal_code == "97031"
    assert email.assembly_ids == [str(a) for a in chunk[0].assembly_ids]
    assert email.serial_numbers == ["B-2", 'A"1']
    assert email.cc == ["inspector@example.test"] and email.bcc == [] and email.missing_fields == []
    assert email.message_id.endswith("@riverbend.example>") and email.status == "generated"
    assert email.created_at.replace(tzinfo=UTC) == AT and email.source == "batch" and email.job_id is None
    assert rows[chunk[1].communication_id].message_id == "" and rows[chunk[1].communication_id].cc == []
    attention = rows[extra.communication_id]
    assert attention.status == "needs_attention" and attention.error == "missing merge data: contact.first_name"


async def test_a_rolled_back_chunk_leaves_nothing_for_the_next_one(sessions: async_sessionmaker[AsyncSession]) -> None:
    org_id, batch_id = uuid4(), uuid4()
    lost = [communication("email")]
    with pytest.raises(RuntimeError):
        async with sessions.begin() as session:
            await BatchRepository(session).add_communications(org_id, batch_id, 0, lost, AT, "b@example.test")
            raise RuntimeError("crash before commit")
    kept = [communication("letter")]
    async with sessions.begin() as session:  # the same pooled connection
        await BatchRepository(session).add_communications(org_id, batch_id, 1, kept, AT, "b@example.test")

    assert set(await stored(sessions, batch_id)) == {kept[0].communication_id}
    assert await links(sessions, batch_id) == 2


@pytest.mark.skipif(TEST_DB == "sqlite", reason="the ledger stores from message bytes on PostgreSQL only")
async def test_storing_from_the_message_bytes_gives_the_same_rows_as_storing_decoded_communications(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    org_id, batch_id = uuid4(), uuid4()
    chunk = [
        communication("email", bcc=["audit@example.test"], include_pdf_in_email=True),
        communication("letter", cc=[], include_pdf_in_email=False),
        communication("email", missing_fields=["contact.first_name", "assembly.size"], status="needs_attention"),
        communication("letter", assemblies=[], assembly_ids=[uuid4()], location=None, communication_type_id=uuid4()),
    ]
    event = CommunicationsGenerated(
        org_id=org_id,
        batch_id=batch_id,
        chunk_index=3,
        chunk_count=4,
        template_id=uuid4(),
        template_version=2,
        organization=organization(org_id),
        communications=chunk,
    )
    columns = [c for c in orm.communications.c if c.name not in ("created_at", "updated_at")]

    async def rows() -> dict[UUID, tuple[object, ...]]:
        async with sessions() as session:
            result = await session.execute(select(*columns).where(orm.communications.c.batch_id == batch_id))
            return {r.id: tuple(r) for r in result}

    async with sessions.begin() as session:
        await BatchRepository(session).add_communications(org_id, batch_id, 3, chunk, AT, "backflow@riverbend.example")
    decoded, decoded_links = await rows(), await links(sessions, batch_id)
    async with sessions.begin() as session:
        await session.execute(
            delete(orm.communication_assemblies).where(orm.communication_assemblies.c.org_id == org_id)
        )
        await session.execute(delete(orm.communications).where(orm.communications.c.batch_id == batch_id))

    async def store(payload: bytes) -> None:
        async with sessions.begin() as session:
            await add_communications_json(
                session,
                org_id=org_id,
                batch_id=batch_id,
                chunk_index=3,
                communications=json.loads(payload)["communications"],
                at=AT,
                from_email="backflow@riverbend.example",
            )
            # the transaction goes on after a COPY that met stored rows
            assert await session.scalar(select(func.count()).select_from(orm.communications)) >= len(chunk)

    for _ in range(2):  # a redelivered chunk changes nothing
        await store(event.to_json_bytes())
        assert await rows() == decoded
        assert await links(sessions, batch_id) == decoded_links == 7
    assert decoded[chunk[2].communication_id][columns.index(orm.communications.c.error)] == (
        "missing merge data: contact.first_name, assembly.size"
    )
    # a chunk meeting one stored communication adds the new one and leaves the stored one alone
    changed = chunk[0].model_copy(update={"subject": "changed"})
    extra = communication("letter", include_pdf_in_email=False)
    await store(event.model_copy(update={"communications": [changed, extra]}).to_json_bytes())
    after = await rows()
    assert set(after) == set(decoded) | {extra.communication_id}
    assert after[chunk[0].communication_id] == decoded[chunk[0].communication_id]
    assert await links(sessions, batch_id) == 9
