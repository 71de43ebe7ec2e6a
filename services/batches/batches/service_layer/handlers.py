"""The use cases of the batches service: create, edit, generate, record results, send, close, clone."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from batches.adapters.repository import BatchRepository
from batches.domain.batch import SENDABLE_STATES, Batch, BatchState, clone_name
from batches.domain.communication import REMOVABLE, CommunicationStatus, apply_delivery_report
from batches.service_layer.delivery_requests import delivery_request
from batches.service_layer.errors import InvalidInput, NotFound, NothingToDo
from batches.service_layer.ports import Assemblies, Documents, LettersLink, TemplateInfo, Templates
from contracts.events import (
    BatchClosed,
    DeliveryReported,
    LetterRendered,
)
from servicekit import outbox
from servicekit.clock import Clock, SystemClock
from servicekit.identity import Identity
from servicekit.logs import current_correlation_id
from servicekit.messaging_tables import MessagingTables

log = logging.getLogger(__name__)


@dataclass
class Dependencies:
    """Everything the use cases need, wired once by the bootstrap."""

    sessions: async_sessionmaker[AsyncSession]
    tables: MessagingTables
    assemblies: Assemblies
    templates: Templates
    documents: Documents
    clock: Clock = field(default_factory=SystemClock)
    chunk_size: int = 1000
    partitions: int = 1
    """Partitions of the generation requests' topic: a large batch's chunk count is a multiple."""
    snapshot_page_size: int = 1000
    snapshot_concurrency: int = 5
    new_id: Callable[[], UUID] = uuid4


def actor_of(identity: Identity) -> dict[str, Any]:
    return {"actor_id": identity.user_id, "actor_role": identity.role}


async def load_batch(repo: BatchRepository, identity: Identity, batch_id: UUID, *, for_update: bool = False) -> Batch:
    batch = await repo.get(identity.org_id, batch_id, for_update=for_update)
    if batch is None:
        raise NotFound(f"batch {batch_id} not found")
    return batch


async def publishable_template(deps: Dependencies, identity: Identity, template_id: UUID) -> TemplateInfo:
    template = await deps.templates.get_template(identity, template_id)
    if template is None:
        raise InvalidInput("template_id", f"template {template_id} does not exist")
    if not template.published:
        raise InvalidInput("template_id", f"template {template_id} ({template.name}) is not published")
    return template


# -- create, edit, clone -------------------------------------------------------------------


async def create_batch(
    deps: Dependencies,
    identity: Identity,
    *,
    name: str,
    template_id: UUID,
    due_date: date | None,
    filter: dict[str, Any],
    cloned_from: Batch | None = None,
) -> UUID:
    """Freeze the filter's current members into a new open batch."""
    template = await publishable_template(deps, identity, template_id)
    resolved = await deps.assemblies.resolve_members(identity, filter)
    member_ids = list(dict.fromkeys(resolved.assembly_ids))
    if not member_ids:
        raise InvalidInput("filter", "the filter matches no assemblies; a batch needs at least one member")
    now = deps.clock.now()
    batch = Batch(
        id=deps.new_id(),
        org_id=identity.org_id,
        name=name,
        template_id=template.id,
        template_version=template.version,
        template_name=template.name,
        due_date=due_date,
        filter=resolved.filter,
        member_count=len(member_ids),
        state=BatchState.OPEN,
        created_at=now,
        updated_at=now,
        created_by=identity.user_id,
        cloned_from=cloned_from.id if cloned_from else None,
    )
    async with deps.sessions.begin() as session:
        repo = BatchRepository(session)
        await repo.add(batch, member_ids)
        details: dict[str, Any] = {"name": name, "member_count": len(member_ids), "template_id": str(template.id)}
        if cloned_from is not None:
            details["cloned_from"] = str(cloned_from.id)
            await repo.record(cloned_from, "cloned", now, **actor_of(identity), details={"clone_id": str(batch.id)})
        await repo.record(batch, "created", now, **actor_of(identity), details=details)
    return batch.id


async def edit_batch(
    deps: Dependencies,
    identity: Identity,
    batch_id: UUID,
    *,
    name: str | None = None,
    template_id: UUID | None = None,
    due_date: date | None = None,
) -> list[str]:
    """Change name, template or due date of an open batch; a new template must be published."""
    async with deps.sessions() as session:
        current = await load_batch(BatchRepository(session), identity, batch_id)
    current.require("edit", {BatchState.OPEN})
    template: TemplateInfo | None = None
    if template_id is not None and template_id != current.template_id:
        template = await publishable_template(deps, identity, template_id)
    async with deps.sessions.begin() as session:
        repo = BatchRepository(session)
        batch = await load_batch(repo, identity, batch_id, for_update=True)
        now = deps.clock.now()
        changed = batch.edit(
            now,
            name=name,
            template=(template.id, template.version, template.name) if template else None,
            due_date=due_date,
        )
        if changed:
            await repo.save(batch)
            details = {f: str(getattr(batch, f)) for f in changed}
            await repo.record(batch, "edited", now, **actor_of(identity), details=details)
    return changed


async def clone_batch(deps: Dependencies, identity: Identity, batch_id: UUID) -> UUID:
    """A new open batch with the same template, due date and filter, re-resolved against today's data."""
    async with deps.sessions() as session:
        source = await load_batch(BatchRepository(session), identity, batch_id)
    return await create_batch(
        deps,
        identity,
        name=clone_name(source.name),
        template_id=source.template_id,
        due_date=source.due_date,
        filter=source.filter,
        cloned_from=source,
    )


async def locked_batch(repo: BatchRepository, batch: Batch) -> Batch:
    locked = await repo.get(batch.org_id, batch.id, for_update=True)
    assert locked is not None
    return locked


# -- sending ---------------------------------------------------------------------------------


async def _queue(
    deps: Dependencies,
    identity: Identity,
    batch_id: UUID,
    *,
    action: str,
    from_status: CommunicationStatus,
    communication_ids: list[UUID] | None,
) -> dict[str, int]:
    async with deps.sessions.begin() as session:
        repo = BatchRepository(session)
        # the row lock serialises sends of one batch; the conditional UPDATE alone already
        # guarantees that a communication is queued once
        batch = await load_batch(repo, identity, batch_id, for_update=True)
        batch.require(action, SENDABLE_STATES)
        if communication_ids is not None:
            communication_ids = list(dict.fromkeys(communication_ids))
            outside = await repo.ids_outside_batch(batch.id, communication_ids)
            if outside:
                raise NotFound(f"communications not found in this batch: {', '.join(map(str, outside))}")
        now = deps.clock.now()
        rows = await repo.queue_emails(batch.id, from_status, now, communication_ids)
        organization = await repo.organization(batch.id)
        correlation = current_correlation_id()
        await outbox.stage(
            session,
            deps.tables,
            [(delivery_request(row, organization, correlation), str(row.id)) for row in rows],
        )
        result = {"queued": len(rows)}
        if communication_ids is not None:
            result["not_queued"] = len(communication_ids) - len(rows)
        details: dict[str, Any] = dict(result)
        if communication_ids is not None:
            details["selected"] = len(communication_ids)
        await repo.record(batch, action, now, **actor_of(identity), details=details)
    return result


async def send(
    deps: Dependencies, identity: Identity, batch_id: UUID, communication_ids: list[UUID] | None = None
) -> dict[str, int]:
    """Queue every unsent (generated) email of the batch, or the named ones, for delivery."""
    return await _queue(
        deps,
        identity,
        batch_id,
        action="send",
        from_status=CommunicationStatus.GENERATED,
        communication_ids=communication_ids,
    )


async def retry_failed(deps: Dependencies, identity: Identity, batch_id: UUID) -> dict[str, int]:
    """Queue the failed emails again (a new request_seq, the same Message-ID)."""
    return await _queue(
        deps, identity, batch_id, action="retry_failed", from_status=CommunicationStatus.FAILED, communication_ids=None
    )


async def record_delivery_report(session: AsyncSession, event: DeliveryReported, clock: Clock) -> str:
    """Apply one delivery report to its communication (any source); the first sent moves a batch on."""
    repo = BatchRepository(session)
    row = await repo.communication_for_report(event.org_id, event.communication_id)
    if row is None:
        return "ignored: unknown communication"
    # auto and one-time communications live in the organization's queue, which never closes
    batch = await repo.get(event.org_id, row.batch_id) if row.source == "batch" else None
    if row.source == "batch" and batch is None:
        return "ignored: unknown batch"
    outcome = apply_delivery_report(
        CommunicationStatus(row.status),
        row.request_seq,
        event.status,
        event.request_seq,
        batch_closed=batch.is_closed if batch is not None else False,
    )
    if outcome.status is None:
        return f"ignored: {outcome.reason}"
    now = clock.now()
    values: dict[str, Any] = {"status": outcome.status.value, "updated_at": now}
    if event.attempts:
        values["attempts"] = max(event.attempts, row.attempts)
    if outcome.status is CommunicationStatus.SENT:
        values.update(sent_at=event.reported_at, error="", permanent_failure=False)
        if event.message_id:
            values["message_id"] = event.message_id
    elif event.status == "failed":
        values.update(error=event.error or "delivery failed", permanent_failure=event.permanent)
    await repo.update_communication(row.id, **values)
    if batch is not None and outcome.status is CommunicationStatus.SENT and batch.state is BatchState.GENERATED:
        batch = await locked_batch(repo, batch)
        if batch.record_first_sent(now):
            await repo.save(batch)
            await repo.record(
                batch,
                "partially_sent",
                now,
                actor_id=None,
                actor_role="system",
                details={"first_sent": str(row.id)},
            )
    return f"recorded: {outcome.status.value}"


async def record_letter_rendered(session: AsyncSession, event: LetterRendered, clock: Clock) -> str:
    """Remember the PDF document of a letter (or of an email's attachment)."""
    changed = await BatchRepository(session).set_document(
        event.org_id, event.communication_id, event.document_id, clock.now()
    )
    return "recorded" if changed else "ignored: unknown communication"


# -- letters -----------------------------------------------------------------------------------


async def letters_link(deps: Dependencies, identity: Identity, batch_id: UUID) -> LettersLink:
    """A fresh link to the combined PDF of the unsent letters (or of every letter when all are mailed)."""
    async with deps.sessions() as session:
        repo = BatchRepository(session)
        batch = await load_batch(repo, identity, batch_id)
        batch.require("download letters of", SENDABLE_STATES | {BatchState.COMPLETE, BatchState.ARCHIVED})
        ids = await repo.letter_ids(batch.id, [CommunicationStatus.GENERATED])
        scope = "unsent"
        if not ids:
            ids = await repo.letter_ids(batch.id, [CommunicationStatus.GENERATED, CommunicationStatus.SENT])
            scope = "all"
    if not ids:
        raise NothingToDo("this batch has no letters to download")
    link = await deps.documents.combined_letters(identity, batch_id, ids)
    async with deps.sessions.begin() as session:
        repo = BatchRepository(session)
        await repo.record(
            batch,
            "letters_requested",
            deps.clock.now(),
            **actor_of(identity),
            details={"letters": len(ids), "scope": scope, "expires_at": link.expires_at.isoformat()},
        )
    return link


async def mark_mailed(
    deps: Dependencies,
    identity: Identity,
    batch_id: UUID,
    mailed_on: date,
    communication_ids: list[UUID] | None = None,
) -> dict[str, int]:
    """Record the unsent letters (all, or the named ones) as sent on ``mailed_on``."""
    if mailed_on > deps.clock.today() + timedelta(days=1):
        raise InvalidInput("mailed_on", f"{mailed_on} is in the future")
    async with deps.sessions.begin() as session:
        repo = BatchRepository(session)
        batch = await load_batch(repo, identity, batch_id, for_update=True)
        batch.require("mark letters mailed for", SENDABLE_STATES)
        if communication_ids is not None:
            communication_ids = list(dict.fromkeys(communication_ids))
            outside = await repo.ids_outside_batch(batch.id, communication_ids)
            if outside:
                raise NotFound(f"communications not found in this batch: {', '.join(map(str, outside))}")
        now = deps.clock.now()
        marked = await repo.mark_letters_mailed(batch.id, mailed_on, now, communication_ids)
        if marked and batch.record_first_sent(now):
            await repo.save(batch)
        await repo.record(
            batch,
            "letters_mailed",
            now,
            **actor_of(identity),
            details={"marked": marked, "mailed_on": mailed_on.isoformat()},
        )
    return {"marked": marked}


# -- closing -------------------------------------------------------------------------------------


async def close_batch(deps: Dependencies, identity: Identity, batch_id: UUID, target: BatchState) -> dict[str, int]:
    """Complete or archive: remove every unsent communication and tell delivery to drop queued sends.

    Communications in ``sending`` are left alone (they may be at the SMTP server right now);
    their final report records them as sent, or as removed if they fail.
    """
    async with deps.sessions.begin() as session:
        repo = BatchRepository(session)
        batch = await load_batch(repo, identity, batch_id, for_update=True)
        now = deps.clock.now()
        if target is BatchState.COMPLETE:
            batch.complete(now)
        else:
            batch.archive(now)
        removed = await repo.remove_unsent(batch.id, REMOVABLE, now)
        in_flight = await repo.count_status(batch.id, CommunicationStatus.SENDING)
        await repo.save(batch)
        await outbox.stage(
            session,
            deps.tables,
            BatchClosed(
                org_id=batch.org_id,
                correlation_id=current_correlation_id(),
                batch_id=batch.id,
                state=target.value,  # type: ignore[arg-type]
            ),
            key=str(batch.id),
        )
        await repo.record(
            batch,
            target.value,
            now,
            **actor_of(identity),
            details={"removed": removed, "in_flight": in_flight},
        )
    return {"removed": removed, "in_flight": in_flight}
