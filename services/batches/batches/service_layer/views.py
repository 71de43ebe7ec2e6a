"""Read-only queries behind the batch pages, the CSV export and the assembly/location history."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from batches.adapters import orm
from batches.adapters.repository import BatchRepository
from batches.domain.batch import Batch, BatchState, allowed_actions
from batches.service_layer.errors import NotFound

c = orm.communications

COMMUNICATION_STATUSES = ("generated", "queued", "sending", "sent", "failed", "needs_attention", "skipped", "removed")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def _batch(session: AsyncSession, org_id: UUID, batch_id: UUID) -> Batch:
    batch = await BatchRepository(session).get(org_id, batch_id)
    if batch is None:
        raise NotFound(f"batch {batch_id} not found")
    return batch


def _summary(batch: Batch) -> dict[str, Any]:
    return {
        "id": str(batch.id),
        "name": batch.name,
        "state": batch.state.value,
        "template": {"id": str(batch.template_id), "version": batch.template_version, "name": batch.template_name},
        "due_date": _iso(batch.due_date),
        "member_count": batch.member_count,
        "created_by": str(batch.created_by) if batch.created_by else None,
        "created_at": _iso(batch.created_at),
        "updated_at": _iso(batch.updated_at),
        "cloned_from": str(batch.cloned_from) if batch.cloned_from else None,
        "allowed_actions": allowed_actions(batch.state),
    }


async def _counts(session: AsyncSession, batch_ids: list[UUID]) -> dict[UUID, dict[str, dict[str, int]]]:
    rows = await session.execute(
        select(c.c.batch_id, c.c.status, c.c.method, func.count())
        .where(c.c.batch_id.in_(batch_ids))
        .group_by(c.c.batch_id, c.c.status, c.c.method)
    )
    totals: dict[UUID, dict[str, int]] = {b: {} for b in batch_ids}
    for batch_id, status, method, n in rows:
        key = f"{method}:{status}"
        totals[batch_id][key] = totals[batch_id].get(key, 0) + n
    return {b: _counts_of(total) for b, total in totals.items()}


def _counts_of(by_method_status: dict[str, int]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {
        "by_status": dict.fromkeys(COMMUNICATION_STATUSES, 0),
        "by_method": {"email": 0, "letter": 0},
        "total": dict(by_method_status),
    }
    for key, n in by_method_status.items():
        method, _, status = key.partition(":")
        counts["by_status"][status] = counts["by_status"].get(status, 0) + n
        counts["by_method"][method] = counts["by_method"].get(method, 0) + n
    return counts


async def batch_detail(sessions: async_sessionmaker[AsyncSession], org_id: UUID, batch_id: UUID) -> dict[str, Any]:
    async with sessions() as session:
        batch = await _batch(session, org_id, batch_id)
        if batch.state is BatchState.GENERATING:
            # nothing but arriving chunks changes a generating batch's communications: add up
            # the chunks' counts rather than count thousands of ledger rows at every refresh
            counts = _counts_of(await BatchRepository(session).chunk_counts(batch.id))
        else:
            counts = (await _counts(session, [batch.id]))[batch.id]
        skipped = await session.scalar(
            select(func.count()).select_from(orm.skipped_members).where(orm.skipped_members.c.batch_id == batch.id)
        )
        errors = await session.execute(
            select(orm.batch_chunks.c.chunk_index, orm.batch_chunks.c.error, orm.batch_chunks.c.accounted_at)
            .where(orm.batch_chunks.c.batch_id == batch.id, orm.batch_chunks.c.error != "")
            .order_by(orm.batch_chunks.c.chunk_index)
        )
        error_list = [{"chunk_index": i, "error": e, "at": _iso(at)} for i, e, at in errors]
    by_method_status = counts.pop("total")
    by_status = counts["by_status"]
    email = {s: by_method_status.get(f"email:{s}", 0) for s in COMMUNICATION_STATUSES}
    detail = _summary(batch)
    detail.update(
        {
            "filter": batch.filter,
            "counts": {
                "by_status": by_status,
                "by_method": counts["by_method"],
                "skipped_members": int(skipped or 0),
                "needs_attention": by_status.get("needs_attention", 0),
            },
            "progress": {
                "chunks_done": batch.chunks_done,
                "chunks_total": batch.chunks_total,
                "generated": sum(counts["by_method"].values()),
                "sending": {
                    "queued": email["queued"] + email["sending"],
                    "sent": email["sent"],
                    "failed": email["failed"],
                },
            },
            "errors": error_list,
            "generation_started_at": _iso(batch.generation_started_at),
            "generated_at": _iso(batch.generated_at),
            "closed_at": _iso(batch.closed_at),
        }
    )
    return detail


async def list_batches(
    sessions: async_sessionmaker[AsyncSession], org_id: UUID, state: BatchState | None = None
) -> dict[str, Any]:
    async with sessions() as session:
        batches = await BatchRepository(session).list(org_id, state.value if state else None)
        ids = [b.id for b in batches]
        counts = await _counts(session, ids) if ids else {}
    items = []
    for batch in batches:
        item = _summary(batch)
        item["counts"] = {"by_status": counts[batch.id]["by_status"], "by_method": counts[batch.id]["by_method"]}
        items.append(item)
    return {"items": items, "total": len(items)}


def _communication(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "batch_id": str(row.batch_id),
        "method": row.method,
        "status": row.status,
        "location_id": str(row.location_id),
        "contact_id": str(row.contact_id),
        "assembly_ids": list(row.assembly_ids),
        "recipient": {"name": row.recipient_name, "email": row.recipient_email, "address": row.recipient_address},
        "account_number": row.account_number,
        "location_name": row.location_name,
        "serial_numbers": list(row.serial_numbers),
        "subject": row.subject,
        "missing_fields": list(row.missing_fields),
        "error": row.error,
        "attempts": row.attempts,
        "message_id": row.message_id,
        "document_id": str(row.document_id) if row.document_id else None,
        "sent_at": _iso(row.sent_at),
        "mailed_on": _iso(row.mailed_on),
    }


async def list_communications(
    sessions: async_sessionmaker[AsyncSession],
    org_id: UUID,
    batch_id: UUID,
    *,
    status: str | None,
    method: str | None,
    page: int,
    page_size: int,
) -> dict[str, Any]:
    async with sessions() as session:
        await _batch(session, org_id, batch_id)
        where = [c.c.batch_id == batch_id, c.c.org_id == org_id]
        if status:
            where.append(c.c.status == status)
        if method:
            where.append(c.c.method == method)
        total = await session.scalar(select(func.count()).select_from(c).where(*where))
        rows = await session.execute(
            select(c)
            .where(*where)
            .order_by(c.c.postal_code, c.c.account_number, c.c.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
        items = [_communication(r) for r in rows]
    return {"items": items, "total": int(total or 0), "page": page, "page_size": page_size}


async def list_skipped(sessions: async_sessionmaker[AsyncSession], org_id: UUID, batch_id: UUID) -> dict[str, Any]:
    s = orm.skipped_members
    async with sessions() as session:
        await _batch(session, org_id, batch_id)
        rows = await session.execute(
            select(s).where(s.c.batch_id == batch_id).order_by(s.c.recorded_at, s.c.assembly_id)
        )
        items = [
            {
                "assembly_id": str(r.assembly_id),
                "location_id": str(r.location_id) if r.location_id else None,
                "reason": r.reason,
            }
            for r in rows
        ]
    return {"items": items, "total": len(items)}


async def history(sessions: async_sessionmaker[AsyncSession], org_id: UUID, batch_id: UUID) -> dict[str, Any]:
    h = orm.batch_history
    async with sessions() as session:
        await _batch(session, org_id, batch_id)
        rows = await session.execute(
            select(h).where(h.c.batch_id == batch_id, h.c.org_id == org_id).order_by(h.c.at, h.c.id)
        )
        items = [
            {
                "at": _iso(r.at),
                "action": r.action,
                "actor_id": str(r.actor_id) if r.actor_id else None,
                "actor_role": r.actor_role,
                "details": r.details,
            }
            for r in rows
        ]
    return {"items": items}


async def communications_about(
    sessions: async_sessionmaker[AsyncSession],
    org_id: UUID,
    *,
    assembly_id: UUID | None,
    location_id: UUID | None,
) -> dict[str, Any]:
    """Every communication about an assembly or a location (their pages' history): batch, auto, one-time.

    Newest first; each says when, to whom, how, its status, and where it came from (the batch's
    name, or the communication type of an auto run or a one-time communication).
    """
    a = orm.communication_assemblies
    j = orm.generation_jobs
    ids = select(a.c.communication_id).where(a.c.org_id == org_id)
    if assembly_id is not None:
        ids = ids.where(a.c.assembly_id == assembly_id)
    if location_id is not None:
        ids = ids.where(a.c.location_id == location_id)
    async with sessions() as session:
        rows = await session.execute(
            select(
                c,
                orm.batches.c.name.label("batch_name"),
                j.c.communication_type_name.label("type_name"),
                j.c.template_name.label("job_template_name"),
            )
            .outerjoin(orm.batches, (orm.batches.c.id == c.c.batch_id) & (c.c.source == "batch"))
            .outerjoin(j, j.c.id == c.c.job_id)
            .where(c.c.org_id == org_id, c.c.id.in_(ids.distinct()))
            .order_by(c.c.created_at.desc(), c.c.id)
        )
        items = []
        for r in rows:
            item = _communication(r)
            item["source"] = r.source
            item["batch_name"] = r.batch_name
            if r.source != "batch":
                item["batch_id"] = None
                item["job_id"] = str(r.job_id) if r.job_id else None
                item["communication_type_name"] = r.type_name or r.job_template_name
            item["created_at"] = _iso(r.created_at)
            items.append(item)
    return {"items": items, "total": len(items)}


EXPORT_COLUMNS = (
    "communication_id",
    "method",
    "status",
    "recipient_name",
    "recipient_email",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "account_number",
    "location_name",
    "serial_numbers",
    "subject",
    "missing_fields",
    "error",
    "attempts",
    "sent_at",
    "mailed_on",
    "message_id",
    "document_id",
)


def _cell(value: Any) -> Any:
    # a cell starting with = + - @ would run as a formula in a spreadsheet
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_cell(v) for v in values])
    return buffer.getvalue()


async def export_csv(
    sessions: async_sessionmaker[AsyncSession], org_id: UUID, batch_id: UUID, page_size: int = 1000
) -> AsyncIterator[str]:
    """Every communication of the batch and its status, as CSV lines, read page by page."""
    async with sessions() as session:
        await _batch(session, org_id, batch_id)

    async def lines() -> AsyncIterator[str]:
        yield _csv_line(list(EXPORT_COLUMNS))
        last: UUID | None = None
        while True:
            async with sessions() as session:
                query = (
                    select(c).where(c.c.batch_id == batch_id, c.c.org_id == org_id).order_by(c.c.id).limit(page_size)
                )
                if last is not None:
                    query = query.where(c.c.id > last)
                rows = list(await session.execute(query))
            if not rows:
                return
            for r in rows:
                address = r.recipient_address or {}
                yield _csv_line(
                    [
                        r.id,
                        r.method,
                        r.status,
                        r.recipient_name,
                        r.recipient_email,
                        address.get("line1", ""),
                        address.get("line2", ""),
                        address.get("city", ""),
                        address.get("state", ""),
                        address.get("postal_code", ""),
                        r.account_number,
                        r.location_name,
                        " ".join(r.serial_numbers or []),
                        r.subject,
                        " ".join(r.missing_fields or []),
                        r.error,
                        r.attempts,
                        _iso(r.sent_at) or "",
                        _iso(r.mailed_on) or "",
                        r.message_id,
                        r.document_id or "",
                    ]
                )
            last = rows[-1].id

    return lines()
