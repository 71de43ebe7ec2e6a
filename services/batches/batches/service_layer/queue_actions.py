"""Acting on the unsent queue (send, combined letters, mark mailed) and retrying failed emails of any source."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from batches.adapters.queue_repository import QueueRepository
from batches.adapters.repository import BatchRepository
from batches.domain.batch import SENDABLE_STATES
from batches.domain.communication import CommunicationStatus
from batches.domain.queue import queue_id
from batches.service_layer.delivery_requests import delivery_request
from batches.service_layer.errors import InvalidInput, NotFound, NothingToDo
from batches.service_layer.handlers import Dependencies
from batches.service_layer.ports import LettersLink
from servicekit import outbox
from servicekit.identity import Identity
from servicekit.logs import current_correlation_id

log = logging.getLogger(__name__)


# -- acting on the queue -----------------------------------------------------------------------


async def _organizations(repo: QueueRepository, rows: list[Any]) -> dict[UUID, dict[str, Any]]:
    return await repo.organizations_of_jobs([r.job_id for r in rows if r.job_id is not None])


async def send_queued(deps: Dependencies, identity: Identity, communication_ids: list[UUID]) -> dict[str, int]:
    """Queue the named unsent emails of the queue (auto and one-time) for delivery; each at most once."""
    ids = list(dict.fromkeys(communication_ids))
    queue = queue_id(identity.org_id)
    async with deps.sessions.begin() as session:
        repo = QueueRepository(session)
        outside = await repo.ids_outside(identity.org_id, ids, batch_id=queue)
        if outside:
            raise NotFound(f"communications not found in the unsent queue: {', '.join(map(str, outside))}")
        rows = await repo.queue_emails(
            identity.org_id, ids, CommunicationStatus.GENERATED, deps.clock.now(), batch_id=queue
        )
        organizations = await _organizations(repo, rows)
        correlation = current_correlation_id()
        await outbox.stage(
            session,
            deps.tables,
            [(delivery_request(r, organizations.get(r.job_id, {}), correlation), str(r.id)) for r in rows],
        )
    return {"queued": len(rows), "not_queued": len(ids) - len(rows)}


async def queued_letters_link(
    deps: Dependencies, identity: Identity, communication_ids: list[UUID] | None = None
) -> LettersLink:
    """A fresh link to one PDF of the queue's unsent letters (all, or the named ones), by postal code."""
    queue = queue_id(identity.org_id)
    async with deps.sessions() as session:
        repo = QueueRepository(session)
        if communication_ids is not None:
            communication_ids = list(dict.fromkeys(communication_ids))
            outside = await repo.ids_outside(identity.org_id, communication_ids, batch_id=queue)
            if outside:
                raise NotFound(f"communications not found in the unsent queue: {', '.join(map(str, outside))}")
        ids = await repo.letter_ids(queue, [CommunicationStatus.GENERATED], communication_ids)
    if not ids:
        raise NothingToDo("there are no unsent letters to download")
    return await deps.documents.combined_letters(identity, queue, ids)


async def mark_queued_mailed(
    deps: Dependencies, identity: Identity, mailed_on: date, communication_ids: list[UUID] | None = None
) -> dict[str, int]:
    """Record the queue's unsent letters (all, or the named ones) as mailed on ``mailed_on``."""
    if mailed_on > deps.clock.today() + timedelta(days=1):
        raise InvalidInput("mailed_on", f"{mailed_on} is in the future")
    queue = queue_id(identity.org_id)
    async with deps.sessions.begin() as session:
        repo = QueueRepository(session)
        if communication_ids is not None:
            communication_ids = list(dict.fromkeys(communication_ids))
            outside = await repo.ids_outside(identity.org_id, communication_ids, batch_id=queue)
            if outside:
                raise NotFound(f"communications not found in the unsent queue: {', '.join(map(str, outside))}")
        marked = await repo.mark_letters_mailed(queue, mailed_on, deps.clock.now(), communication_ids)
    return {"marked": marked}


# -- Communications with Errors: retry -----------------------------------------------------------


async def retry_failed_emails(deps: Dependencies, identity: Identity, communication_ids: list[UUID]) -> dict[str, Any]:
    """Send failed emails again, from any source, to the contact's *current* email address.

    The contact is read again first, so a corrected address is used. Not retried, with the
    reason: a contact now do-not-contact or without email, or a batch that is closed.
    """
    ids = list(dict.fromkeys(communication_ids))
    async with deps.sessions() as session:
        repo = QueueRepository(session)
        outside = await repo.ids_outside(identity.org_id, ids)
        if outside:
            raise NotFound(f"communications not found: {', '.join(map(str, outside))}")
        rows = await repo.failed(identity.org_id, ids)
    not_retried: dict[UUID, str] = {i: "not a failed email" for i in ids}
    limit = asyncio.Semaphore(5)

    async def current(contact_id: UUID) -> Any:
        async with limit:
            try:
                return (await deps.assemblies.contact(identity, contact_id)).contact
            except Exception as exc:  # the contact was deleted, or assemblies is down: say so per row
                return exc

    contact_ids = list(dict.fromkeys(r.contact_id for r in rows))
    contacts = dict(zip(contact_ids, await asyncio.gather(*(current(i) for i in contact_ids)), strict=True))
    retry: dict[UUID, tuple[str, str]] = {}
    for r in rows:
        contact = contacts[r.contact_id]
        if isinstance(contact, Exception):
            not_retried[r.id] = f"the contact could not be read: {contact}"
        elif contact.do_not_contact:
            not_retried[r.id] = "the contact is do-not-contact"
        elif not contact.email.strip():
            not_retried[r.id] = "the contact has no email address"
        else:
            retry[r.id] = (contact.email.strip(), contact.name or contact.first_name)
    async with deps.sessions.begin() as session:
        repo = QueueRepository(session)
        batches = BatchRepository(session)
        now = deps.clock.now()
        by_id = {r.id: r for r in rows}
        for batch_id in {by_id[i].batch_id for i in retry if by_id[i].source == "batch"}:
            batch = await batches.get(identity.org_id, batch_id, for_update=True)
            if batch is None or batch.state not in SENDABLE_STATES:
                state = batch.state.value if batch else "gone"
                for i in [i for i in retry if by_id[i].batch_id == batch_id]:
                    not_retried[i] = f"its batch is {state}"
                    del retry[i]
        for i, (email, name) in retry.items():
            if email != by_id[i].recipient_email:
                await repo.set_recipient_email(i, email, name, now)
        queued = await repo.queue_emails(identity.org_id, list(retry), CommunicationStatus.FAILED, now)
        organizations = await _organizations(repo, queued)
        for batch_id in {r.batch_id for r in queued if r.source == "batch"}:
            organizations[batch_id] = await batches.organization(batch_id)
        correlation = current_correlation_id()
        await outbox.stage(
            session,
            deps.tables,
            [
                (
                    delivery_request(
                        r, organizations.get(r.batch_id if r.source == "batch" else r.job_id, {}), correlation
                    ),
                    str(r.id),
                )
                for r in queued
            ],
        )
    for r in queued:
        not_retried.pop(r.id, None)
    return {
        "queued": len(queued),
        "not_retried": [{"id": str(i), "reason": reason} for i, reason in not_retried.items()],
    }
