"""A chunk's communications into the ledger from the result message's JSON (PostgreSQL).

A generated chunk is a few hundred communications of about forty columns. Validating them
into pydantic models and encoding them again for the database was most of the batches
service's work during a large generation, and parsing them in the database (``jsonb``)
cost PostgreSQL twice what storing them does. Here the message is read once with
``pydantic_core.from_json`` (by the consumer, which validates the rest of the event from the same
dicts), each communication becomes one row tuple (columns in the order of ``COLUMNS``), and the rows
and their assembly links go straight into the tables with ``COPY``, in the caller's
transaction, inside a savepoint. A chunk is stored once (``batch_chunks`` is claimed first),
so that COPY meets no stored row; if one is ever there anyway, the savepoint is rolled back
and the rows go through a staging table and ``INSERT ... ON CONFLICT DO NOTHING``, which
leaves stored rows alone. The values are those ``BatchRepository.add_communications`` writes
from decoded communications (the path SQLite keeps); a test checks both give the same rows.
"""

from __future__ import annotations

import json
from datetime import datetime
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any
from uuid import UUID

from asyncpg.exceptions import UniqueViolationError
from sqlalchemy.ext.asyncio import AsyncSession

from batches.domain.communication import message_id_domain

COLUMNS = (
    "id",
    "org_id",
    "batch_id",
    "chunk_index",
    "location_id",
    "contact_id",
    "assembly_ids",
    "method",
    "status",
    "recipient_name",
    "recipient_email",
    "recipient_address",
    "postal_code",
    "account_number",
    "location_name",
    "serial_numbers",
    "subject",
    "body_text",
    "body_html",
    "cc",
    "bcc",
    "include_pdf_in_email",
    "missing_fields",
    "error",
    "permanent_failure",
    "attempts",
    "request_seq",
    "message_id",
    "created_at",
    "updated_at",
    "communication_type_id",
)
LINK_COLUMNS = ("communication_id", "assembly_id", "org_id", "location_id")

_compact = json.JSONEncoder(separators=(",", ":")).encode
# the standard library's C encoder called directly: what ``_compact`` does for these small lists
# and dicts without its per-call set-up (1.1-1.8 µs -> 0.3-0.9 µs; three per row). No
# circular-reference check: the values come from a JSON parser.
_encode = (
    c_make_encoder(None, None, encode_basestring_ascii, None, ":", ",", False, False, True)
    if c_make_encoder is not None
    else None
)


def _compact_json(value: Any) -> str:
    return "".join(_encode(value, 0)) if _encode is not None else _compact(value)


_EMPTY_ADDRESS = {"line1": "", "line2": "", "city": "", "state": "", "postal_code": ""}


def ledger_rows(
    communications: list[dict[str, Any]],
    *,
    org_id: UUID,
    batch_id: UUID,
    chunk_index: int,
    at: datetime,
    from_email: str,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The ``communications`` rows (``COLUMNS``) and ``communication_assemblies`` rows of a result
    message's ``communications`` (its JSON, decoded)."""
    domain = message_id_domain(from_email)
    rows: list[tuple[Any, ...]] = []
    links: list[tuple[Any, ...]] = []
    for c in communications:
        communication_id = c["communication_id"]
        location_id = c["location_id"]
        assembly_ids = c["assembly_ids"]
        method = c["method"]
        recipient = c["recipient"]
        address = recipient.get("address") or _EMPTY_ADDRESS
        location = c.get("location") or {}
        missing = c.get("missing_fields") or []
        cc, bcc = c.get("cc") or [], c.get("bcc") or []
        rows.append(
            (
                communication_id,
                org_id,
                batch_id,
                chunk_index,
                location_id,
                c["contact_id"],
                _compact_json(assembly_ids),
                method,
                c.get("status", "generated"),
                recipient.get("name", ""),
                recipient.get("email", ""),
                _compact_json(address),
                address.get("postal_code", ""),
                location.get("account_number", ""),
                location.get("name", ""),
                _compact_json([a["serial_number"] for a in c.get("assemblies") or []]),
                c.get("subject", ""),
                c.get("body_text", ""),
                c.get("body_html", ""),
                _compact_json(cc) if cc else "[]",
                _compact_json(bcc) if bcc else "[]",
                bool(c.get("include_pdf_in_email", False)),
                _compact_json(missing) if missing else "[]",
                "missing merge data: " + ", ".join(missing) if missing else "",
                False,
                0,
                0,
                f"<{communication_id.lower()}@{domain}>" if method == "email" else "",
                at,
                at,
                c.get("communication_type_id"),
            )
        )
        links.extend((communication_id, a, org_id, location_id) for a in assembly_ids)
    return rows, links


async def add_communications_json(
    session: AsyncSession,
    *,
    org_id: UUID,
    batch_id: UUID,
    chunk_index: int,
    communications: list[dict[str, Any]],
    at: datetime,
    from_email: str,
) -> int:
    """Insert the ``communications`` of a ``CommunicationsGenerated`` message (its JSON, decoded) once."""
    rows, links = ledger_rows(
        communications, org_id=org_id, batch_id=batch_id, chunk_index=chunk_index, at=at, from_email=from_email
    )
    if not rows:
        return 0
    connection = await session.connection()
    # through SQLAlchemy, so its driver adapter has begun the transaction before the raw COPYs
    await connection.exec_driver_sql("SAVEPOINT ledger_copy")
    driver: Any = (await connection.get_raw_connection()).driver_connection
    try:
        await driver.copy_records_to_table("communications", records=rows, columns=COLUMNS)
        await driver.copy_records_to_table("communication_assemblies", records=links, columns=LINK_COLUMNS)
    except UniqueViolationError:
        await connection.exec_driver_sql("ROLLBACK TO SAVEPOINT ledger_copy")
        await _insert_skipping_stored(driver, rows, links)
    await connection.exec_driver_sql("RELEASE SAVEPOINT ledger_copy")
    return len(rows)


async def _insert_skipping_stored(driver: Any, rows: list[tuple[Any, ...]], links: list[tuple[Any, ...]]) -> None:
    for table, records, columns, key in (
        ("communications", rows, COLUMNS, "id"),
        ("communication_assemblies", links, LINK_COLUMNS, "communication_id, assembly_id"),
    ):
        staging = f"_ledger_{table}"
        names = ", ".join(columns)
        # ON COMMIT DELETE ROWS: empty at every transaction's start; the DELETE empties it at once
        await driver.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        await driver.copy_records_to_table(staging, records=records, columns=columns)
        await driver.execute(
            f"WITH moved AS (DELETE FROM {staging} RETURNING {names}) "
            f"INSERT INTO {table} ({names}) SELECT {names} FROM moved ON CONFLICT ({key}) DO NOTHING"
        )
