"""Migration 0005: the ledger's indexes after it, on the database the tests run on, and back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from alembic import command
from sqlalchemy import inspect, text

from batches.bootstrap import MIGRATIONS
from servicekit.db import create_engine
from servicekit.migrations import alembic_config, upgrade
from tests.conftest import PG_BASE_URL, TEST_DB

pytestmark = pytest.mark.integration


ADMIN_URL = PG_BASE_URL.replace("postgresql+asyncpg", "postgresql") + "/postgres"


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A database of its own (a file on SQLite), dropped afterwards."""
    if TEST_DB == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/batches.db"
        return
    name = f"test_batches_indexes_{uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield f"{PG_BASE_URL}/{name}"
    finally:
        admin = await asyncpg.connect(ADMIN_URL)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _indexes(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(lambda c: inspect(c).get_indexes("communications"))
            plan = ""
            if TEST_DB != "sqlite":  # the partial job index still answers a job's communications
                await conn.execute(text("SET enable_seqscan = off"))
                rows = await conn.execute(text(f"EXPLAIN SELECT id FROM communications WHERE job_id = '{uuid4()}'"))
                plan = " ".join(r[0] for r in rows)
    finally:
        await engine.dispose()
    return {"columns": {i["name"]: tuple(i["column_names"]) for i in found}, "plan": plan}


async def test_0005_leaves_one_batch_index_and_a_partial_job_index_and_0004_comes_back(
    database_url: str, tmp_path: Path
) -> None:
    url = database_url
    await asyncio.to_thread(upgrade, url, MIGRATIONS, "0004")
    before = (await _indexes(url))["columns"]
    assert before["ix_communications_batch_status"] == ("batch_id", "status")
    assert before["ix_communications_batch_method"] == ("batch_id", "method")

    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    after = await _indexes(url)
    assert after["columns"] == {
        "ix_communications_batch_status_method": ("batch_id", "status", "method"),
        "ix_communications_org_status": ("org_id", "status"),
        "ix_communications_job": ("job_id",),
    }
    if TEST_DB != "sqlite":
        assert "ix_communications_job" in after["plan"]
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        definition = await conn.fetchval("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_communications_job'")
        await conn.close()
        assert "WHERE (job_id IS NOT NULL)" in definition
    else:
        import sqlite3

        with sqlite3.connect(tmp_path / "batches.db") as db:
            sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'ix_communications_job'").fetchone()[0]
        assert "WHERE job_id IS NOT NULL" in sql

    await asyncio.to_thread(command.downgrade, alembic_config(url, MIGRATIONS), "0004")
    assert (await _indexes(url))["columns"] == before


@pytest.mark.skipif(TEST_DB == "sqlite", reason="a PostgreSQL storage setting; SQLite has none")
async def test_0007_compresses_outbox_payloads_with_lz4_and_0006_stores_them_uncompressed(database_url: str) -> None:
    async def storage() -> tuple[str, str | None]:
        conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            row = await conn.fetchrow(
                "SELECT attstorage, attcompression FROM pg_attribute"
                " WHERE attrelid = 'outbox'::regclass AND attname = 'payload'"
            )
            storage, compression = row["attstorage"], row["attcompression"]  # "char": bytes
            return storage.decode(), compression.strip(b"\x00").decode() or None
        finally:
            await conn.close()

    await asyncio.to_thread(upgrade, database_url, MIGRATIONS, "0006")
    assert await storage() == ("e", None)  # external, uncompressed (0004)
    await asyncio.to_thread(upgrade, database_url, MIGRATIONS)
    assert await storage() == ("x", "l")  # extended, lz4 (Debian's PostgreSQL has it)
    await asyncio.to_thread(command.downgrade, alembic_config(database_url, MIGRATIONS), "0006")
    assert await storage() == ("e", None)
