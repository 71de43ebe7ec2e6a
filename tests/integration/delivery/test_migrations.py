"""A delivery database created before ``deliveries.request`` became nullable is brought in line.

Revision 0002 was edited in place (``request`` NOT NULL → nullable); databases created with the
old text kept NOT NULL and every ``sending`` mark failed there. Revision 0003 fixes them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest

from delivery.bootstrap import MIGRATIONS
from servicekit.migrations import upgrade
from tests.conftest import PG_BASE_URL, TEST_DB

pytestmark = pytest.mark.integration


async def _old_schema_database(tmp_path: Path) -> tuple[str, str]:
    """A database migrated to 0002 with ``request`` NOT NULL, as the first text of 0002 made it."""
    if TEST_DB == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/delivery.db"
        await asyncio.to_thread(upgrade, url, MIGRATIONS, "0002")
        import sqlite3

        with sqlite3.connect(tmp_path / "delivery.db") as db:
            sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'deliveries'").fetchone()[0]
            old = sql.replace("request JSON,", "request JSON NOT NULL,")
            assert old != sql
            db.executescript(
                "PRAGMA writable_schema = ON;"
                f"UPDATE sqlite_master SET sql = '{old}' WHERE name = 'deliveries';"
                "PRAGMA writable_schema = OFF;"
            )
        return url, "sqlite"
    name = f"test_delivery_migration_{uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_BASE_URL.replace("postgresql+asyncpg", "postgresql") + "/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"{PG_BASE_URL}/{name}"
    await asyncio.to_thread(upgrade, url, MIGRATIONS, "0002")
    conn = await asyncpg.connect(PG_BASE_URL.replace("postgresql+asyncpg", "postgresql") + f"/{name}")
    await conn.execute("ALTER TABLE deliveries ALTER COLUMN request SET NOT NULL")
    await conn.close()
    return url, name


async def _insert_without_request(url: str, name: str, tmp_path: Path) -> None:
    row = (str(uuid4()), str(uuid4()), str(uuid4()), "batch", "<m@x>", "sending", 1, 1, "", False, datetime.now(UTC))
    sql = (
        "INSERT INTO deliveries (communication_id, org_id, contact_id, source, message_id, status, attempts,"
        " request_seq, last_error, permanent, updated_at, request) VALUES ({}, NULL)"
    )
    if name == "sqlite":
        import sqlite3

        with sqlite3.connect(tmp_path / "delivery.db") as db:
            db.execute(sql.format(", ".join("?" * len(row))), row)
        return
    conn = await asyncpg.connect(PG_BASE_URL.replace("postgresql+asyncpg", "postgresql") + f"/{name}")
    try:
        values = [uuid4(), uuid4(), uuid4(), *row[3:]]
        await conn.execute(sql.format(", ".join(f"${i + 1}" for i in range(len(values)))), *values)
    finally:
        await conn.close()


async def test_a_database_with_the_old_not_null_request_column_accepts_sending_marks_after_upgrade(
    tmp_path: Path,
) -> None:
    url, name = await _old_schema_database(tmp_path)
    try:
        with pytest.raises(Exception, match=r"(?i)not.null|null value"):
            await _insert_without_request(url, name, tmp_path)
        await asyncio.to_thread(upgrade, url, MIGRATIONS)
        await _insert_without_request(url, name, tmp_path)  # a `sending` mark stores no request
    finally:
        if name != "sqlite":
            admin = await asyncpg.connect(PG_BASE_URL.replace("postgresql+asyncpg", "postgresql") + "/postgres")
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
