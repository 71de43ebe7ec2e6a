"""Inbox: the processed-event table that makes a consumer idempotent.

Call ``first_delivery`` inside the same transaction as the work: it records the
event id for this consumer and answers False when it was already processed, in
which case the caller does nothing. A crash before commit loses both the work
and the record, so the redelivered event is processed once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import insert_ignoring_conflicts
from servicekit.messaging_tables import MessagingTables


async def first_delivery(session: AsyncSession, tables: MessagingTables, consumer: str, event_id: UUID | str) -> bool:
    stmt = insert_ignoring_conflicts(tables.inbox, session.bind.dialect.name, ["consumer", "event_id"]).values(
        consumer=consumer, event_id=str(event_id), processed_at=datetime.now(UTC)
    )
    result = await session.execute(stmt)
    return result.rowcount == 1
