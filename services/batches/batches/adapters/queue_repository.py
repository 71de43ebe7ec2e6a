"""Generation jobs (auto runs, one-time communications), auto notices and the queue's communications."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from batches.adapters import orm
from batches.domain.communication import CommunicationStatus, Method
from batches.domain.queue import GenerationJob, JobKind, JobState
from servicekit.db import insert_ignoring_conflicts

j = orm.generation_jobs
c = orm.communications
n = orm.auto_notices

_JOB_FIELDS = (
    "kind",
    "run_key",
    "communication_type_id",
    "communication_type_name",
    "run_on",
    "due_on",
    "offset_days",
    "suppression_days",
    "template_id",
    "template_version",
    "template_name",
    "state",
    "chunks_total",
    "chunks_done",
    "member_count",
    "suppressed_count",
    "details",
    "created_by",
    "created_at",
    "updated_at",
    "finished_at",
)

DELIVERY_COLUMNS = (
    c.c.id,
    c.c.org_id,
    c.c.batch_id,
    c.c.job_id,
    c.c.source,
    c.c.contact_id,
    c.c.recipient_name,
    c.c.recipient_email,
    c.c.cc,
    c.c.bcc,
    c.c.subject,
    c.c.body_text,
    c.c.body_html,
    c.c.request_seq,
    c.c.include_pdf_in_email,
    c.c.document_id,
    c.c.message_id,
)
"""What a DeliveryRequested is built from."""


def _dialect(session: AsyncSession) -> str:
    assert session.bind is not None
    return session.bind.dialect.name


def job_from_row(row: Any) -> GenerationJob:
    values = {name: getattr(row, name) for name in _JOB_FIELDS}
    values["kind"] = JobKind(values["kind"])
    values["state"] = JobState(values["state"])
    values["details"] = dict(values["details"] or {})
    return GenerationJob(id=row.id, org_id=row.org_id, **values)


def _values(job: GenerationJob) -> dict[str, Any]:
    values = {name: getattr(job, name) for name in _JOB_FIELDS}
    values["kind"] = job.kind.value
    values["state"] = job.state.value
    return values


class QueueRepository:
    """Every query is scoped by the organization."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- jobs ----------------------------------------------------------------------------

    async def lock_rule(self, org_id: UUID, communication_type_id: UUID) -> None:
        """Serialise runs of one auto rule across copies of the service (PostgreSQL; SQLite has one writer)."""
        if _dialect(self.session) == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"auto|{org_id}|{communication_type_id}"}
            )

    async def add_job(self, job: GenerationJob, organization: dict[str, Any] | None = None) -> bool:
        """Insert the job; False when its run key already exists (the run was made before)."""
        stmt = insert_ignoring_conflicts(j, _dialect(self.session), ["org_id", "run_key"]).values(
            id=job.id, org_id=job.org_id, organization=organization, **_values(job)
        )
        return (await self.session.execute(stmt)).rowcount == 1

    async def get_job(self, org_id: UUID, job_id: UUID, *, for_update: bool = False) -> GenerationJob | None:
        query = select(j).where(j.c.id == job_id, j.c.org_id == org_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return job_from_row(row) if row else None

    async def save_job(self, job: GenerationJob) -> None:
        await self.session.execute(update(j).where(j.c.id == job.id, j.c.org_id == job.org_id).values(_values(job)))

    async def organizations_of_jobs(self, job_ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
        if not job_ids:
            return {}
        rows = await self.session.execute(select(j.c.id, j.c.organization).where(j.c.id.in_(set(job_ids))))
        return {r.id: r.organization or {} for r in rows}

    # -- suppression -----------------------------------------------------------------------

    async def previous_notices(
        self, org_id: UUID, communication_type_id: UUID, assembly_ids: Sequence[UUID], on: date, window_days: int
    ) -> dict[UUID, list[date]]:
        """Days on which each assembly was targeted by this type inside the window around ``on``."""
        found: dict[UUID, list[date]] = defaultdict(list)
        if window_days <= 0 or not assembly_ids:
            return found
        low, high = on - timedelta(days=window_days), on + timedelta(days=window_days)
        for start in range(0, len(assembly_ids), 1000):
            part = list(assembly_ids[start : start + 1000])
            rows = await self.session.execute(
                select(n.c.assembly_id, n.c.run_on).where(
                    n.c.org_id == org_id,
                    n.c.communication_type_id == communication_type_id,
                    n.c.assembly_id.in_(part),
                    n.c.run_on > low,
                    n.c.run_on < high,
                )
            )
            for assembly_id, run_on in rows:
                found[assembly_id].append(run_on)
        return found

    async def add_auto_notices(self, job: GenerationJob, assembly_ids: Sequence[UUID]) -> None:
        if not assembly_ids:
            return
        assert job.communication_type_id is not None and job.run_on is not None
        await self.session.execute(
            insert_ignoring_conflicts(n, _dialect(self.session), ["job_id", "assembly_id"]),
            [
                {
                    "job_id": job.id,
                    "assembly_id": a,
                    "org_id": job.org_id,
                    "communication_type_id": job.communication_type_id,
                    "run_on": job.run_on,
                }
                for a in assembly_ids
            ],
        )

    # -- the queue's communications --------------------------------------------------------

    async def ids_outside(
        self, org_id: UUID, communication_ids: Sequence[UUID], *, batch_id: UUID | None = None
    ) -> list[UUID]:
        """The ids that are not communications of the organization (or of ``batch_id``, the queue)."""
        query = select(c.c.id).where(c.c.org_id == org_id, c.c.id.in_(communication_ids))
        if batch_id is not None:
            query = query.where(c.c.batch_id == batch_id)
        found = set((await self.session.execute(query)).scalars())
        return [i for i in communication_ids if i not in found]

    async def queue_emails(
        self,
        org_id: UUID,
        communication_ids: Sequence[UUID],
        from_status: CommunicationStatus,
        at: datetime,
        *,
        batch_id: UUID | None = None,
    ) -> list[Row[Any]]:
        """Move the named emails in ``from_status`` to queued, atomically (a row moves once, whoever asks)."""
        if not communication_ids:
            return []
        stmt = update(c).where(
            c.c.org_id == org_id,
            c.c.id.in_(communication_ids),
            c.c.method == Method.EMAIL.value,
            c.c.status == from_status.value,
        )
        if batch_id is not None:
            stmt = stmt.where(c.c.batch_id == batch_id)
        stmt = stmt.values(
            status=CommunicationStatus.QUEUED.value,
            request_seq=c.c.request_seq + 1,
            error="",
            permanent_failure=False,
            updated_at=at,
        ).returning(*DELIVERY_COLUMNS)
        return list((await self.session.execute(stmt)).all())

    async def failed(self, org_id: UUID, communication_ids: Sequence[UUID]) -> list[Row[Any]]:
        rows = await self.session.execute(
            select(c.c.id, c.c.batch_id, c.c.source, c.c.contact_id, c.c.recipient_email, c.c.method).where(
                c.c.org_id == org_id,
                c.c.id.in_(communication_ids),
                c.c.status == CommunicationStatus.FAILED.value,
            )
        )
        return list(rows)

    async def set_recipient_email(self, communication_id: UUID, email: str, name: str, at: datetime) -> None:
        await self.session.execute(
            update(c)
            .where(c.c.id == communication_id)
            .values(recipient_email=email, recipient_name=name, updated_at=at)
        )

    async def letter_ids(
        self, queue: UUID, statuses: Sequence[CommunicationStatus], communication_ids: Sequence[UUID] | None = None
    ) -> list[UUID]:
        query = select(c.c.id).where(
            c.c.batch_id == queue,
            c.c.method == Method.LETTER.value,
            c.c.status.in_([s.value for s in statuses]),
        )
        if communication_ids is not None:
            query = query.where(c.c.id.in_(communication_ids))
        rows = await self.session.execute(query.order_by(c.c.postal_code, c.c.id))
        return list(rows.scalars())

    async def mark_letters_mailed(
        self, queue: UUID, mailed_on: date, at: datetime, communication_ids: Sequence[UUID] | None
    ) -> int:
        stmt = update(c).where(
            c.c.batch_id == queue,
            c.c.method == Method.LETTER.value,
            c.c.status == CommunicationStatus.GENERATED.value,
        )
        if communication_ids is not None:
            stmt = stmt.where(c.c.id.in_(communication_ids))
        stmt = stmt.values(status=CommunicationStatus.SENT.value, mailed_on=mailed_on, sent_at=at, updated_at=at)
        return (await self.session.execute(stmt)).rowcount

    async def count_job_communications(self, job_id: UUID) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(c).where(c.c.job_id == job_id)) or 0)
