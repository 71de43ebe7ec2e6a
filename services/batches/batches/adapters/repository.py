"""Reading and writing batches and their ledger with SQLAlchemy Core (bulk where it matters)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from batches.adapters import orm
from batches.adapters.bulk import insert_ignoring_conflicts_bulk
from batches.adapters.queue_repository import DELIVERY_COLUMNS
from batches.domain.batch import Batch, BatchState
from batches.domain.communication import CommunicationStatus, Method, message_id_for
from contracts.events import CommunicationsGenerated, GeneratedCommunication, SkippedMember
from servicekit.db import insert_ignoring_conflicts

_BATCH_FIELDS = (
    "name",
    "template_id",
    "template_version",
    "template_name",
    "due_date",
    "filter",
    "member_count",
    "state",
    "created_by",
    "cloned_from",
    "chunks_total",
    "chunks_done",
    "created_at",
    "updated_at",
    "generation_started_at",
    "generated_at",
    "closed_at",
)


def _batch_from_row(row: Row[Any]) -> Batch:
    values = {name: getattr(row, name) for name in _BATCH_FIELDS}
    values["state"] = BatchState(values["state"])
    return Batch(id=row.id, org_id=row.org_id, **values)


def _dialect(session: AsyncSession) -> str:
    assert session.bind is not None
    return session.bind.dialect.name


class BatchRepository:
    """Every query is scoped by the organization."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- batches -------------------------------------------------------------------------

    async def add(self, batch: Batch, member_ids: Sequence[UUID]) -> None:
        values = {name: getattr(batch, name) for name in _BATCH_FIELDS}
        values["state"] = batch.state.value
        await self.session.execute(insert(orm.batches).values(id=batch.id, org_id=batch.org_id, **values))
        if member_ids:
            await self.session.execute(
                insert(orm.batch_members),
                [{"batch_id": batch.id, "assembly_id": a, "position": i} for i, a in enumerate(member_ids)],
            )

    async def get(self, org_id: UUID, batch_id: UUID, *, for_update: bool = False) -> Batch | None:
        query = select(orm.batches).where(orm.batches.c.id == batch_id, orm.batches.c.org_id == org_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return _batch_from_row(row) if row else None

    async def list(self, org_id: UUID, state: str | None = None) -> list[Batch]:
        query = select(orm.batches).where(orm.batches.c.org_id == org_id)
        if state is not None:
            query = query.where(orm.batches.c.state == state)
        rows = await self.session.execute(query.order_by(orm.batches.c.created_at.desc(), orm.batches.c.id))
        return [_batch_from_row(r) for r in rows]

    async def save(self, batch: Batch) -> None:
        values = {name: getattr(batch, name) for name in _BATCH_FIELDS}
        values["state"] = batch.state.value
        await self.session.execute(
            update(orm.batches).where(orm.batches.c.id == batch.id, orm.batches.c.org_id == batch.org_id).values(values)
        )

    async def set_organization(self, batch_id: UUID, organization: dict[str, Any]) -> None:
        await self.session.execute(
            update(orm.batches).where(orm.batches.c.id == batch_id).values(organization=organization)
        )

    async def organization(self, batch_id: UUID) -> dict[str, Any]:
        value = await self.session.scalar(select(orm.batches.c.organization).where(orm.batches.c.id == batch_id))
        return value or {}

    async def member_ids(self, batch_id: UUID) -> list[UUID]:
        rows = await self.session.execute(
            select(orm.batch_members.c.assembly_id)
            .where(orm.batch_members.c.batch_id == batch_id)
            .order_by(orm.batch_members.c.position)
        )
        return list(rows.scalars())

    # -- history -------------------------------------------------------------------------

    async def record(
        self,
        batch: Batch,
        action: str,
        at: datetime,
        *,
        actor_id: UUID | None,
        actor_role: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        await self.session.execute(
            insert(orm.batch_history).values(
                batch_id=batch.id,
                org_id=batch.org_id,
                at=at,
                actor_id=actor_id,
                actor_role=actor_role,
                action=action,
                details=details or {},
            )
        )

    # -- generation results ----------------------------------------------------------------

    async def claim_chunk(
        self,
        batch_id: UUID,
        chunk_index: int,
        *,
        communications: int,
        skipped: int,
        error: str,
        event_id: UUID,
        at: datetime,
        counts: Mapping[str, int] | None = None,
    ) -> bool:
        """Record that a chunk is accounted for; False when it already was (a redelivery).

        ``counts``: its communications by ``"method:status"`` (``chunk_counts``)."""
        stmt = insert_ignoring_conflicts(orm.batch_chunks, _dialect(self.session), ["batch_id", "chunk_index"]).values(
            batch_id=batch_id,
            chunk_index=chunk_index,
            communications=communications,
            skipped=skipped,
            error=error,
            event_id=str(event_id),
            accounted_at=at,
            counts=dict(counts or {}),
        )
        result = await self.session.execute(stmt)
        return result.rowcount == 1

    async def claim_result(
        self, owner_id: UUID, event: CommunicationsGenerated, at: datetime, counts: Mapping[str, int] | None = None
    ) -> bool:
        """``claim_chunk`` for a chunk's result event (a batch's, or a job's with ``owner_id`` the job)."""
        return await self.claim_chunk(
            owner_id,
            event.chunk_index,
            communications=0 if event.error else len(event.communications),
            skipped=0 if event.error else len(event.skipped),
            error=event.error,
            event_id=event.event_id,
            at=at,
            counts=counts,
        )

    async def chunk_counts(self, batch_id: UUID) -> dict[str, int]:
        """The batch's communications by ``"method:status"`` as its accounted chunks counted them."""
        rows = await self.session.execute(
            select(orm.batch_chunks.c.counts).where(orm.batch_chunks.c.batch_id == batch_id)
        )
        total: dict[str, int] = {}
        for (counts,) in rows:
            for key, n in (counts or {}).items():
                total[key] = total.get(key, 0) + int(n)
        return total

    async def add_communications(
        self,
        org_id: UUID,
        batch_id: UUID,
        chunk_index: int,
        items: Iterable[GeneratedCommunication],
        at: datetime,
        from_email: str,
        extra: dict[str, Any] | None = None,
    ) -> int:
        """Insert a chunk's communications once; ``extra`` (source, job_id, due_on...) goes on every row."""
        rows: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        for c in items:
            address = c.recipient.address
            rows.append(
                {
                    "id": c.communication_id,
                    "org_id": org_id,
                    "batch_id": batch_id,
                    "chunk_index": chunk_index,
                    "location_id": c.location_id,
                    "contact_id": c.contact_id,
                    "assembly_ids": [str(a) for a in c.assembly_ids],
                    "method": c.method,
                    "status": c.status,
                    "recipient_name": c.recipient.name,
                    "recipient_email": c.recipient.email,
                    "recipient_address": address.model_dump(),
                    "postal_code": address.postal_code,
                    "account_number": c.location.account_number if c.location else "",
                    "location_name": c.location.name if c.location else "",
                    "serial_numbers": [a.serial_number for a in c.assemblies],
                    "subject": c.subject,
                    "body_text": c.body_text,
                    "body_html": c.body_html,
                    "cc": list(c.cc),
                    "bcc": list(c.bcc),
                    "include_pdf_in_email": c.include_pdf_in_email,
                    "missing_fields": list(c.missing_fields),
                    "error": ("missing merge data: " + ", ".join(c.missing_fields)) if c.missing_fields else "",
                    "permanent_failure": False,
                    "attempts": 0,
                    "request_seq": 0,
                    "message_id": message_id_for(c.communication_id, from_email) if c.method == "email" else "",
                    "document_id": None,
                    "sent_at": None,
                    "mailed_on": None,
                    "created_at": at,
                    "updated_at": at,
                    "communication_type_id": c.communication_type_id,
                    **(extra or {}),
                }
            )
            links.extend(
                {
                    "communication_id": c.communication_id,
                    "assembly_id": a,
                    "org_id": org_id,
                    "location_id": c.location_id,
                }
                for a in c.assembly_ids
            )
        if not rows:
            return 0
        await insert_ignoring_conflicts_bulk(self.session, orm.communications, rows, ["id"])
        await insert_ignoring_conflicts_bulk(
            self.session, orm.communication_assemblies, links, ["communication_id", "assembly_id"]
        )
        return len(rows)

    async def add_skipped(self, batch_id: UUID, items: Iterable[SkippedMember], at: datetime) -> int:
        rows = [
            {
                "batch_id": batch_id,
                "assembly_id": s.assembly_id,
                "location_id": s.location_id,
                "reason": s.reason,
                "recorded_at": at,
            }
            for s in items
        ]
        if rows:
            stmt = insert_ignoring_conflicts(orm.skipped_members, _dialect(self.session), ["batch_id", "assembly_id"])
            await self.session.execute(stmt, rows)
        return len(rows)

    async def add_missing_members(
        self, batch_id: UUID, assembly_ids: Iterable[UUID], reason: str, at: datetime
    ) -> None:
        rows = [
            {"batch_id": batch_id, "assembly_id": a, "location_id": None, "reason": reason, "recorded_at": at}
            for a in assembly_ids
        ]
        if rows:
            stmt = insert_ignoring_conflicts(orm.skipped_members, _dialect(self.session), ["batch_id", "assembly_id"])
            await self.session.execute(stmt, rows)

    # -- communications ----------------------------------------------------------------------

    async def ids_outside_batch(self, batch_id: UUID, communication_ids: Sequence[UUID]) -> list[UUID]:
        found = set(
            (
                await self.session.execute(
                    select(orm.communications.c.id).where(
                        orm.communications.c.batch_id == batch_id, orm.communications.c.id.in_(communication_ids)
                    )
                )
            ).scalars()
        )
        return [i for i in communication_ids if i not in found]

    async def queue_emails(
        self,
        batch_id: UUID,
        from_status: CommunicationStatus,
        at: datetime,
        communication_ids: Sequence[UUID] | None = None,
    ) -> list[Row[Any]]:
        """Move emails in ``from_status`` to queued, atomically: a row moves once, whoever asks.

        The conditional UPDATE ... WHERE status = from_status RETURNING is what makes two
        concurrent sends queue each communication at most once.
        """
        c = orm.communications
        stmt = update(c).where(
            c.c.batch_id == batch_id, c.c.method == Method.EMAIL.value, c.c.status == from_status.value
        )
        if communication_ids is not None:
            stmt = stmt.where(c.c.id.in_(communication_ids))
        stmt = stmt.values(
            status=CommunicationStatus.QUEUED.value,
            request_seq=c.c.request_seq + 1,
            error="",
            permanent_failure=False,
            updated_at=at,
        ).returning(*DELIVERY_COLUMNS)
        return list((await self.session.execute(stmt)).all())

    async def mark_letters_mailed(
        self, batch_id: UUID, mailed_on: date, at: datetime, communication_ids: Sequence[UUID] | None = None
    ) -> int:
        c = orm.communications
        stmt = update(c).where(
            c.c.batch_id == batch_id,
            c.c.method == Method.LETTER.value,
            c.c.status == CommunicationStatus.GENERATED.value,
        )
        if communication_ids is not None:
            stmt = stmt.where(c.c.id.in_(communication_ids))
        stmt = stmt.values(status=CommunicationStatus.SENT.value, mailed_on=mailed_on, sent_at=at, updated_at=at)
        return (await self.session.execute(stmt)).rowcount

    async def letter_ids(self, batch_id: UUID, statuses: Sequence[CommunicationStatus]) -> list[UUID]:
        c = orm.communications
        rows = await self.session.execute(
            select(c.c.id)
            .where(
                c.c.batch_id == batch_id,
                c.c.method == Method.LETTER.value,
                c.c.status.in_([s.value for s in statuses]),
            )
            .order_by(c.c.postal_code, c.c.id)
        )
        return list(rows.scalars())

    async def remove_unsent(self, batch_id: UUID, statuses: Iterable[CommunicationStatus], at: datetime) -> int:
        c = orm.communications
        stmt = (
            update(c)
            .where(c.c.batch_id == batch_id, c.c.status.in_([s.value for s in statuses]))
            .values(status=CommunicationStatus.REMOVED.value, updated_at=at)
        )
        return (await self.session.execute(stmt)).rowcount

    async def count_status(self, batch_id: UUID, status: CommunicationStatus) -> int:
        c = orm.communications
        return int(
            await self.session.scalar(
                select(func.count()).select_from(c).where(c.c.batch_id == batch_id, c.c.status == status.value)
            )
            or 0
        )

    async def communication_for_report(self, org_id: UUID, communication_id: UUID) -> Row[Any] | None:
        c = orm.communications
        query = (
            select(c.c.id, c.c.batch_id, c.c.status, c.c.request_seq, c.c.attempts, c.c.source)
            .where(c.c.id == communication_id, c.c.org_id == org_id)
            .with_for_update()
        )
        return (await self.session.execute(query)).first()

    async def update_communication(self, communication_id: UUID, **values: Any) -> None:
        c = orm.communications
        await self.session.execute(update(c).where(c.c.id == communication_id).values(**values))

    async def set_document(self, org_id: UUID, communication_id: UUID, document_id: UUID, at: datetime) -> int:
        c = orm.communications
        stmt = (
            update(c)
            .where(c.c.id == communication_id, c.c.org_id == org_id)
            .values(document_id=document_id, updated_at=at)
        )
        return (await self.session.execute(stmt)).rowcount
