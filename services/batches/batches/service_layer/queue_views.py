"""Read-only queries of the unsent queue, Communications with Errors, auto runs and one-time jobs."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from batches.adapters import orm
from batches.adapters.queue_repository import QueueRepository, job_from_row
from batches.domain.communication import CommunicationStatus
from batches.domain.queue import GenerationJob, JobKind, queue_id
from batches.service_layer.errors import NotFound

c = orm.communications
j = orm.generation_jobs
b = orm.batches

UNSENT = (CommunicationStatus.GENERATED.value, CommunicationStatus.NEEDS_ATTENTION.value)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _row(r: Any) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "source": r.source,
        "status": r.status,
        "method": r.method,
        "communication_type": {
            "id": str(r.communication_type_id) if r.communication_type_id else None,
            "name": r.type_name or r.job_template_name or "",
        },
        "location": {"id": str(r.location_id), "account_number": r.account_number, "name": r.location_name},
        "contact": {"id": str(r.contact_id), "name": r.recipient_name},
        "recipient": {"name": r.recipient_name, "email": r.recipient_email, "address": r.recipient_address},
        "assembly_ids": list(r.assembly_ids),
        "serial_numbers": list(r.serial_numbers),
        "subject": r.subject,
        "due_on": _iso(r.due_on),
        "generated_on": _iso(r.generated_on) or _iso(r.created_at.date()),
        "missing_fields": list(r.missing_fields),
        "error": r.error,
        "attempts": r.attempts,
        "message_id": r.message_id,
        "document_id": str(r.document_id) if r.document_id else None,
        "job_id": str(r.job_id) if r.job_id else None,
        "sent_at": _iso(r.sent_at),
        "mailed_on": _iso(r.mailed_on),
    }


def _with_job() -> Any:
    return select(
        c, j.c.communication_type_name.label("type_name"), j.c.template_name.label("job_template_name")
    ).outerjoin(j, j.c.id == c.c.job_id)


async def unsent(
    sessions: async_sessionmaker[AsyncSession],
    org_id: UUID,
    *,
    communication_type_id: UUID | None,
    method: str | None,
    page: int,
    page_size: int,
) -> dict[str, Any]:
    """The Unsent Communications queue: auto and one-time communications not sent yet, oldest due first."""
    where = [c.c.org_id == org_id, c.c.batch_id == queue_id(org_id), c.c.status.in_(UNSENT)]
    if communication_type_id is not None:
        where.append(c.c.communication_type_id == communication_type_id)
    if method:
        where.append(c.c.method == method)
    async with sessions() as session:
        counts = await session.execute(
            select(c.c.method, c.c.status, func.count()).where(*where).group_by(c.c.method, c.c.status)
        )
        by_method = {"email": 0, "letter": 0}
        by_status = dict.fromkeys(UNSENT, 0)
        total = 0
        for m, status, count in counts:
            by_method[m] = by_method.get(m, 0) + count
            by_status[status] = by_status.get(status, 0) + count
            total += count
        rows = await session.execute(
            _with_job()
            .where(*where)
            .order_by(c.c.due_on, c.c.postal_code, c.c.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
        items = [_row(r) for r in rows]
    return {
        "items": items,
        "total": total,
        "by_method": by_method,
        "by_status": by_status,
        "page": page,
        "page_size": page_size,
    }


async def errors(
    sessions: async_sessionmaker[AsyncSession], org_id: UUID, *, page: int, page_size: int
) -> dict[str, Any]:
    """Communications with Errors: every failed or bounced email, whatever its source, newest first."""
    where = [c.c.org_id == org_id, c.c.status == CommunicationStatus.FAILED.value]
    async with sessions() as session:
        total = await session.scalar(select(func.count()).select_from(c).where(*where))
        rows = await session.execute(
            _with_job()
            .add_columns(b.c.name.label("batch_name"), b.c.state.label("batch_state"))
            .outerjoin(b, (b.c.id == c.c.batch_id) & (c.c.source == "batch"))
            .where(*where)
            .order_by(c.c.updated_at.desc(), c.c.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
        items = []
        for r in rows:
            item = _row(r)
            item["bounced"] = bool(r.permanent_failure)
            item["reason"] = r.error or "delivery failed"
            item["failed_at"] = _iso(r.updated_at)
            batch = {"id": str(r.batch_id), "name": r.batch_name, "state": r.batch_state}
            item["batch"] = batch if r.batch_name else None
            items.append(item)
    return {"items": items, "total": int(total or 0), "page": page, "page_size": page_size}


def job_view(job: GenerationJob) -> dict[str, Any]:
    view = {
        "id": str(job.id),
        "kind": job.kind.value,
        "state": job.state.value,
        "communication_type": {
            "id": str(job.communication_type_id) if job.communication_type_id else None,
            "name": job.communication_type_name,
        },
        "template": {"id": str(job.template_id), "version": job.template_version, "name": job.template_name},
        "run_on": _iso(job.run_on),
        "due_on": _iso(job.due_on),
        "offset_days": job.offset_days,
        "suppression_days": job.suppression_days,
        "targeted": job.member_count,
        "suppressed": job.suppressed_count,
        "chunks_done": job.chunks_done,
        "chunks_total": job.chunks_total,
        "created_at": _iso(job.created_at),
        "finished_at": _iso(job.finished_at),
        "errors": list(job.details.get("errors", [])),
    }
    if job.kind is JobKind.ONE_TIME:
        view["contact_id"] = job.details.get("contact_id")
        view["method"] = job.details.get("method")
    return view


async def auto_runs(
    sessions: async_sessionmaker[AsyncSession], org_id: UUID, *, on: date | None, communication_type_id: UUID | None
) -> dict[str, Any]:
    """The auto runs made (newest day first), with what each targeted and suppressed."""
    where = [j.c.org_id == org_id, j.c.kind == JobKind.AUTO.value]
    if on is not None:
        where.append(j.c.run_on == on)
    if communication_type_id is not None:
        where.append(j.c.communication_type_id == communication_type_id)
    async with sessions() as session:
        rows = await session.execute(
            select(j).where(*where).order_by(j.c.run_on.desc(), j.c.communication_type_name).limit(1000)
        )
        items = [job_view(job_from_row(r)) for r in rows]
    return {"items": items, "total": len(items)}


async def job_detail(sessions: async_sessionmaker[AsyncSession], org_id: UUID, job_id: UUID) -> dict[str, Any]:
    """An auto run or a one-time job with its communications and skipped assemblies."""
    async with sessions() as session:
        job = await QueueRepository(session).get_job(org_id, job_id)
        if job is None:
            raise NotFound(f"job {job_id} not found")
        rows = await session.execute(_with_job().where(c.c.job_id == job_id).order_by(c.c.postal_code, c.c.id))
        communications = [_row(r) for r in rows]
        s = orm.skipped_members
        skipped = [
            {
                "assembly_id": str(r.assembly_id),
                "location_id": str(r.location_id) if r.location_id else None,
                "reason": r.reason,
            }
            for r in await session.execute(select(s).where(s.c.batch_id == job_id).order_by(s.c.assembly_id))
        ]
    view = job_view(job)
    view["communications"] = communications
    view["skipped"] = skipped
    return view
