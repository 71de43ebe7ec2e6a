"""SQL for letters and documents (SQLAlchemy Core; PostgreSQL and SQLite)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from documents.adapters.orm import documents, letters
from servicekit.db import insert_ignoring_conflicts

_IN_CHUNK = 5000


@dataclass(frozen=True)
class LetterRef:
    """A letter of a batch with where its file is."""

    communication_id: UUID
    document_id: UUID
    recipient_name: str
    postal_code: str
    storage_key: str
    purged: bool


@dataclass(frozen=True)
class DocumentRecord:
    id: UUID
    org_id: UUID
    kind: str
    batch_id: UUID | None
    communication_id: UUID | None
    storage_key: str
    filename: str
    pages: int
    size_bytes: int
    created_at: datetime
    purged_at: datetime | None


def _chunks(ids: Sequence[UUID]) -> Iterable[Sequence[UUID]]:
    for start in range(0, len(ids), _IN_CHUNK):
        yield ids[start : start + _IN_CHUNK]


async def existing_letters(session: AsyncSession, communication_ids: Sequence[UUID]) -> set[UUID]:
    found: set[UUID] = set()
    for part in _chunks(communication_ids):
        rows = await session.execute(select(letters.c.communication_id).where(letters.c.communication_id.in_(part)))
        found.update(r[0] for r in rows)
    return found


async def add_letters(session: AsyncSession, rows: list[dict[str, Any]]) -> set[UUID]:
    """Insert letters (``letters`` columns); answer the communications that were new (not redeliveries)."""
    inserted: set[UUID] = set()
    for start in range(0, len(rows), 500):
        stmt = (
            insert_ignoring_conflicts(letters, session.bind.dialect.name, ["communication_id"])
            .values(rows[start : start + 500])
            .returning(letters.c.communication_id)
        )
        inserted.update(r[0] for r in await session.execute(stmt))
    return inserted


async def add_documents(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert documents (``documents`` columns), ignoring those already there."""
    for start in range(0, len(rows), 500):
        stmt = insert_ignoring_conflicts(documents, session.bind.dialect.name, ["id"]).values(rows[start : start + 500])
        await session.execute(stmt)


async def save_document(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert the document, or refresh it (new file, not purged) when it exists."""
    stmt = insert_ignoring_conflicts(documents, session.bind.dialect.name, ["id"]).values(**values)
    result = await session.execute(stmt)
    if result.rowcount == 0:
        changes = {k: v for k, v in values.items() if k not in ("id", "org_id", "kind")}
        await session.execute(update(documents).where(documents.c.id == values["id"]).values(**changes))


async def refresh_documents(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Files written again: each row ``{document_id, pages, size_bytes, created_at}``; no longer purged."""
    if not rows:
        return
    stmt = (
        update(documents)
        .where(documents.c.id == bindparam("document_id"))
        .values(
            pages=bindparam("pages"),
            size_bytes=bindparam("size_bytes"),
            created_at=bindparam("created_at"),
            purged_at=None,
        )
    )
    conn = await session.connection()
    await conn.execute(stmt, rows)


async def letters_of_batch(
    session: AsyncSession, org_id: UUID, batch_id: UUID | None, communication_ids: Sequence[UUID]
) -> list[LetterRef]:
    """The organization's letters among ``communication_ids`` (of ``batch_id`` when given)."""
    refs: list[LetterRef] = []
    for part in _chunks(communication_ids):
        query = (
            select(
                letters.c.communication_id,
                letters.c.document_id,
                letters.c.recipient_name,
                letters.c.postal_code,
                documents.c.storage_key,
                documents.c.purged_at,
            )
            .join(documents, documents.c.id == letters.c.document_id)
            .where(and_(letters.c.org_id == org_id, letters.c.communication_id.in_(part)))
        )
        if batch_id is not None:
            query = query.where(letters.c.batch_id == batch_id)
        for r in await session.execute(query):
            refs.append(LetterRef(r[0], r[1], r[2], r[3], r[4], r[5] is not None))
    return refs


async def batch_has_letters(session: AsyncSession, org_id: UUID, batch_id: UUID) -> bool:
    query = select(letters.c.communication_id).where(letters.c.org_id == org_id, letters.c.batch_id == batch_id)
    return (await session.execute(query.limit(1))).first() is not None


async def letter_contents(session: AsyncSession, communication_ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
    out: dict[UUID, dict[str, Any]] = {}
    for part in _chunks(communication_ids):
        rows = await session.execute(
            select(letters.c.communication_id, letters.c.content, letters.c.letter_date).where(
                letters.c.communication_id.in_(part)
            )
        )
        for cid, content, day in rows:
            out[cid] = {**content, "letter_date": day}
    return out


def _record(row: Any) -> DocumentRecord:
    return DocumentRecord(
        id=row.id,
        org_id=row.org_id,
        kind=row.kind,
        batch_id=row.batch_id,
        communication_id=row.communication_id,
        storage_key=row.storage_key,
        filename=row.filename,
        pages=row.pages,
        size_bytes=row.size_bytes,
        created_at=row.created_at,
        purged_at=row.purged_at,
    )


async def get_document(session: AsyncSession, document_id: UUID) -> DocumentRecord | None:
    row = (await session.execute(select(documents).where(documents.c.id == document_id))).first()
    return _record(row) if row else None


async def get_letter_document(session: AsyncSession, org_id: UUID, communication_id: UUID) -> DocumentRecord | None:
    query = select(documents).where(documents.c.communication_id == communication_id, documents.c.org_id == org_id)
    row = (await session.execute(query)).first()
    return _record(row) if row else None


async def documents_created_before(session: AsyncSession, cutoff: datetime, limit: int) -> list[DocumentRecord]:
    query = (
        select(documents)
        .where(documents.c.created_at < cutoff, documents.c.purged_at.is_(None))
        .order_by(documents.c.created_at)
        .limit(limit)
    )
    return [_record(r) for r in await session.execute(query)]


async def mark_purged(session: AsyncSession, document_ids: Sequence[UUID], now: datetime) -> None:
    for part in _chunks(document_ids):
        await session.execute(update(documents).where(documents.c.id.in_(part)).values(purged_at=now))
