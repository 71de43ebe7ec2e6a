"""Bulk inserts that ignore rows already there, fast on PostgreSQL.

A generated chunk is a few hundred communications with about forty columns each. An
executemany through SQLAlchemy processes every parameter in Python; on PostgreSQL the rows
go instead with one ``COPY`` (encoded by the driver) into a temporary table, and one
``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` moves them into the real table, in the
caller's transaction. The conflict rule is the same as the executemany's, so a row that is
already stored is left alone on both paths. SQLite keeps the executemany.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table, text
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import insert_ignoring_conflicts

_EMPTY_LIST = "[]"


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list) and not value:
        return _EMPTY_LIST
    return json.dumps(value)


async def insert_ignoring_conflicts_bulk(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], index_elements: list[str]
) -> None:
    """Insert ``rows`` (every row with the same keys) into ``table``, skipping conflicts on ``index_elements``."""
    if not rows:
        return
    assert session.bind is not None
    if session.bind.dialect.name != "postgresql":
        await session.execute(insert_ignoring_conflicts(table, session.bind.dialect.name, index_elements), rows)
        return
    columns = list(rows[0])
    json_columns = {name for name in columns if isinstance(table.c[name].type, JSON)}
    staging = f"_bulk_{table.name}"
    # ON COMMIT DELETE ROWS: one staging table per connection, empty at every transaction's start;
    # LIKE without indexes or constraints, so COPY only appends
    await session.execute(
        text(
            f'CREATE TEMP TABLE IF NOT EXISTS "{staging}" '
            f'(LIKE "{table.name}" INCLUDING DEFAULTS) ON COMMIT DELETE ROWS'
        )
    )
    # column by column, then zipped into records: far fewer Python steps than a tuple per row
    values = [
        [_json_text(row[name]) for row in rows] if name in json_columns else [row[name] for row in rows]
        for name in columns
    ]
    records = list(zip(*values, strict=True))
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(staging, records=records, columns=columns)  # type: ignore[union-attr]
    names = ", ".join(f'"{name}"' for name in columns)
    conflict = ", ".join(f'"{name}"' for name in index_elements)
    # the rows leave the staging table in the same statement, so a second call in this
    # transaction does not insert them again
    await session.execute(
        text(
            f'WITH moved AS (DELETE FROM "{staging}" RETURNING {names}) '
            f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM moved ON CONFLICT ({conflict}) DO NOTHING'
        )
    )
