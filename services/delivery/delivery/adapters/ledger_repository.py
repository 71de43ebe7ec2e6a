"""Reads and writes of the delivery ledger and the closed batches (SQLAlchemy Core)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from delivery.adapters.orm import closed_batches, deliveries
from delivery.domain.ledger import DeliveryStatus, LedgerEntry
from servicekit.db import insert_ignoring_conflicts

t = deliveries


def _entry(row: Any) -> LedgerEntry:
    return LedgerEntry(
        communication_id=row.communication_id,
        status=DeliveryStatus(row.status),
        request_seq=row.request_seq,
        attempts=row.attempts,
        message_id=row.message_id,
        batch_id=row.batch_id,
        last_error=row.last_error,
        permanent=row.permanent,
    )


async def entries(session: AsyncSession, ids: Iterable[UUID]) -> dict[UUID, LedgerEntry]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = (await session.execute(select(t).where(t.c.communication_id.in_(wanted)))).all()
    return {r.communication_id: _entry(r) for r in rows}


async def closed_among(session: AsyncSession, batch_ids: Iterable[UUID | None]) -> set[UUID]:
    wanted = {b for b in batch_ids if b is not None}
    if not wanted:
        return set()
    rows = await session.execute(select(closed_batches.c.batch_id).where(closed_batches.c.batch_id.in_(wanted)))
    return set(rows.scalars())


async def all_closed(session: AsyncSession) -> set[UUID]:
    return set((await session.execute(select(closed_batches.c.batch_id))).scalars())


async def save_attempts(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or overwrite ledger rows (one per communication) as given."""
    if not rows:
        return
    name = session.bind.dialect.name
    insert = postgresql.insert(t) if name == "postgresql" else sqlite.insert(t)
    columns = [c.name for c in t.columns if c.name != "communication_id"]
    stmt = insert.on_conflict_do_update(
        index_elements=["communication_id"], set_={c: insert.excluded[c] for c in columns}
    )
    await session.execute(stmt, list(rows))


_OUTCOME = {
    "status": bindparam("b_status"),
    "last_error": bindparam("b_error"),
    "permanent": bindparam("b_permanent"),
    "next_attempt_at": bindparam("b_next"),
    "updated_at": bindparam("b_now"),
    "sent_at": bindparam("b_sent_at"),
}
_record = update(t).where(t.c.communication_id == bindparam("b_id")).values(**_OUTCOME)
_record_for_retry = (
    update(t).where(t.c.communication_id == bindparam("b_id")).values(**_OUTCOME, request=bindparam("b_request"))
)


@dataclass(frozen=True)
class RecordedOutcome:
    communication_id: UUID
    status: str
    error: str
    permanent: bool
    next_attempt_at: datetime | None
    at: datetime
    request: dict[str, Any] | None = None
    """Kept with an email queued for a retry."""


async def record_outcomes(session: AsyncSession, outcomes: Sequence[RecordedOutcome]) -> None:
    def params(o: RecordedOutcome) -> dict[str, Any]:
        p = {
            "b_id": o.communication_id,
            "b_status": o.status,
            "b_error": o.error,
            "b_permanent": o.permanent,
            "b_next": o.next_attempt_at,
            "b_now": o.at,
            "b_sent_at": o.at if o.status == DeliveryStatus.SENT else None,
        }
        if o.request is not None:
            p["b_request"] = o.request
        return p

    plain = [params(o) for o in outcomes if o.request is None]
    for_retry = [params(o) for o in outcomes if o.request is not None]
    if plain:
        await session.execute(_record, plain)
    if for_retry:
        await session.execute(_record_for_retry, for_retry)


async def close_batch(session: AsyncSession, org_id: UUID, batch_id: UUID, state: str, now: datetime) -> int:
    """Record the batch closed and drop its queued sends; answers how many were dropped."""
    await session.execute(
        insert_ignoring_conflicts(closed_batches, session.bind.dialect.name, ["batch_id"]).values(
            batch_id=batch_id, org_id=org_id, state=state, closed_at=now
        )
    )
    result = await session.execute(
        update(t)
        .where(t.c.batch_id == batch_id, t.c.org_id == org_id, t.c.status == DeliveryStatus.QUEUED.value)
        .values(status=DeliveryStatus.DROPPED.value, last_error="batch closed", next_attempt_at=None, updated_at=now)
    )
    return result.rowcount or 0


async def claim_due(
    session: AsyncSession, now: datetime, stale_before: datetime, limit: int
) -> list[tuple[dict[str, Any], int]]:
    """Take up to ``limit`` entries due for another attempt and mark them ``sending``.

    Due: ``queued`` whose time has come, or ``sending`` for so long that its process
    must have died. Answers each one's stored request and its new attempt number.
    """
    query = (
        select(t.c.communication_id, t.c.request, t.c.attempts)
        .where(
            or_(
                and_(t.c.status == DeliveryStatus.QUEUED.value, t.c.next_attempt_at <= now),
                # left `sending` by a retry attempt whose process died (a Kafka attempt is replayed by Kafka)
                and_(
                    t.c.status == DeliveryStatus.SENDING.value,
                    t.c.updated_at < stale_before,
                    t.c.request.is_not(None),
                ),
            )
        )
        .order_by(t.c.next_attempt_at)
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = (await session.execute(query)).all()
    if not rows:
        return []
    await session.execute(
        update(t)
        .where(t.c.communication_id == bindparam("b_id"))
        .values(
            status=DeliveryStatus.SENDING.value, attempts=bindparam("b_attempts"), next_attempt_at=None, updated_at=now
        ),
        [{"b_id": r.communication_id, "b_attempts": r.attempts + 1} for r in rows],
    )
    return [(r.request, r.attempts + 1) for r in rows]


async def get(session: AsyncSession, org_id: UUID, communication_id: UUID) -> dict[str, Any] | None:
    row = (
        await session.execute(select(t).where(t.c.communication_id == communication_id, t.c.org_id == org_id))
    ).first()
    if row is None:
        return None
    data = dict(row._mapping)
    data.pop("request", None)
    return data


async def counts_by_status(session: AsyncSession, org_id: UUID, batch_id: UUID) -> dict[str, int]:
    rows = await session.execute(
        select(t.c.status, func.count()).where(t.c.org_id == org_id, t.c.batch_id == batch_id).group_by(t.c.status)
    )
    return {status: n for status, n in rows.all()}
