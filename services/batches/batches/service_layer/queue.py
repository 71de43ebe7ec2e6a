"""Use cases that fill the unsent queue: auto runs, Create Log, and recording their generated chunks.

Acting on the queue (send, letters, mark mailed, retry failed emails) is in ``queue_actions``."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from batches.adapters.queue_repository import QueueRepository
from batches.adapters.repository import BatchRepository
from batches.domain.chunking import chunk_by_location
from batches.domain.communication import CommunicationStatus
from batches.domain.queue import (
    AutoRule,
    GenerationJob,
    JobKind,
    JobState,
    auto_run_id,
    auto_run_key,
    due_date_matched,
    one_time_key,
    queue_id,
    suppressed,
)
from batches.service_layer.delivery_requests import delivery_request
from batches.service_layer.errors import InvalidInput
from batches.service_layer.generation import fetch_snapshots
from batches.service_layer.handlers import Dependencies, publishable_template
from contracts.events import CommunicationsGenerated, GenerationRequested
from contracts.snapshots import MemberSnapshot
from servicekit import outbox
from servicekit.clock import Clock
from servicekit.identity import Identity
from servicekit.logs import current_correlation_id
from servicekit.messaging_tables import MessagingTables
from servicekit.partitioning import spread_key

log = logging.getLogger(__name__)

ACTIVE_ONLY = {"assembly_active": True, "location_active": True}
"""Auto rules only remind about active assemblies at active locations."""


def local_today(timezone: str, now: datetime) -> date:
    """The organization's calendar day at ``now`` (UTC when the timezone is unknown)."""
    try:
        return now.astimezone(ZoneInfo(timezone or "UTC")).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.date()


# -- auto runs -------------------------------------------------------------------------------


async def run_auto(
    deps: Dependencies, identity: Identity, *, on: date | None = None, communication_type_id: UUID | None = None
) -> dict[str, Any]:
    """The daily auto-generation of the organization for day ``on`` (default: its today).

    Each auto communication type with a published template makes one run per day; a run
    already made creates nothing. Answers one entry per type with what happened.
    """
    if on is None:
        organization = await deps.assemblies.organization(identity)
        on = local_today(organization.timezone, deps.clock.now())
    rules = await deps.templates.auto_rules(identity)
    if communication_type_id is not None:
        rules = [r for r in rules if r.communication_type_id == communication_type_id]
        if not rules:
            raise InvalidInput("communication_type_id", "not an auto communication type of your organization")
        if not rules[0].runnable:
            raise InvalidInput("communication_type_id", f"{rules[0].name} has no published template")
    runs = []
    for rule in rules:
        if not rule.runnable:
            runs.append(_outcome(rule, None, "no published template"))
            continue
        runs.append(await _run_rule(deps, identity, rule, on))
    return {"on": on.isoformat(), "runs": runs}


def _outcome(rule: AutoRule, run_id: UUID | None, outcome: str, **counts: Any) -> dict[str, Any]:
    return {
        "communication_type_id": str(rule.communication_type_id),
        "communication_type_name": rule.name,
        "run_id": str(run_id) if run_id else None,
        "outcome": outcome,
        **counts,
    }


async def _run_rule(deps: Dependencies, identity: Identity, rule: AutoRule, on: date) -> dict[str, Any]:
    org_id = identity.org_id
    run_id = auto_run_id(org_id, rule.communication_type_id, on)
    async with deps.sessions() as session:
        if await QueueRepository(session).get_job(org_id, run_id) is not None:
            return _outcome(rule, run_id, "already run", targeted=0)
    due = due_date_matched(on, rule.offset_days)
    day = due.isoformat()
    resolved = await deps.assemblies.resolve_members(identity, {"due_from": day, "due_to": day, **ACTIVE_ONLY})
    assembly_ids = list(dict.fromkeys(resolved.assembly_ids))
    organization, members = await fetch_snapshots(deps, identity, assembly_ids) if assembly_ids else (None, [])
    # the filter is applied again on the snapshot: a due date changed in between is not this run's
    members = [m for m in members if m.assembly.next_test_due == due]

    assert rule.template_id is not None and rule.template_version is not None
    async with deps.sessions.begin() as session:
        repo = QueueRepository(session)
        await repo.lock_rule(org_id, rule.communication_type_id)
        now = deps.clock.now()
        job = GenerationJob(
            id=run_id,
            org_id=org_id,
            kind=JobKind.AUTO,
            run_key=auto_run_key(rule.communication_type_id, on),
            template_id=rule.template_id,
            template_version=rule.template_version,
            template_name=rule.template_name,
            state=JobState.GENERATING,
            created_at=now,
            updated_at=now,
            communication_type_id=rule.communication_type_id,
            communication_type_name=rule.name,
            run_on=on,
            due_on=due,
            offset_days=rule.offset_days,
            suppression_days=rule.suppression_days,
            created_by=identity.user_id,
            details={"actor_role": identity.role, "matched": len(members)},
        )
        organization_json = organization.model_dump(mode="json") if organization else None
        if not await repo.add_job(job, organization_json):
            return _outcome(rule, run_id, "already run", targeted=0)
        previous = await repo.previous_notices(
            org_id, rule.communication_type_id, [m.assembly.id for m in members], on, rule.suppression_days
        )
        targeted = [m for m in members if not suppressed(on, previous.get(m.assembly.id, []), rule.suppression_days)]
        chunks = chunk_by_location(targeted, lambda m: m.location.id, deps.chunk_size)
        job.member_count = len(targeted)
        job.suppressed_count = len(members) - len(targeted)
        job.start(len(chunks), now)
        await repo.save_job(job)
        await repo.add_auto_notices(job, [m.assembly.id for m in targeted])
        if chunks and organization is not None:
            correlation = current_correlation_id()
            await outbox.stage(
                session,
                deps.tables,
                [
                    (
                        GenerationRequested(
                            org_id=org_id,
                            correlation_id=correlation,
                            batch_id=queue_id(org_id),
                            job_id=job.id,
                            source="auto",
                            chunk_index=index,
                            chunk_count=len(chunks),
                            template_id=rule.template_id,
                            template_version=rule.template_version,
                            batch_name=rule.name,
                            due_date=due,
                            organization=organization,
                            members=chunk,
                        ),
                        spread_key(job.id, index),
                    )
                    for index, chunk in enumerate(chunks)
                ],
            )
    log.info(
        "auto run %s of %s for %s: %s matched (due %s), %s suppressed, %s chunks",
        run_id,
        rule.name,
        on,
        len(members),
        due,
        job.suppressed_count,
        len(chunks),
    )
    return _outcome(
        rule,
        run_id,
        "started" if chunks else "nothing due",
        due_on=due.isoformat(),
        matched=len(members),
        suppressed=job.suppressed_count,
        targeted=len(targeted),
    )


# -- Create Log ------------------------------------------------------------------------------


async def create_one_time(
    deps: Dependencies,
    identity: Identity,
    *,
    contact_id: UUID,
    template_id: UUID,
    method: str,
    additional_contents: str,
    assembly_id: UUID | None = None,
) -> UUID:
    """One communication to one chosen contact, from a template plus free text.

    An email is sent as soon as it is generated; a letter waits in the unsent queue.
    """
    template = await publishable_template(deps, identity, template_id)
    context = await deps.assemblies.contact(identity, contact_id)
    contact = context.contact
    if contact.do_not_contact:
        raise InvalidInput("contact_id", f"{contact.name or 'this contact'} is do-not-contact")
    if method == "email" and not contact.email.strip():
        raise InvalidInput("method", "the contact has no email address; choose letter")
    if method == "email" and contact.email_bounced:
        raise InvalidInput("method", "the contact's email bounced; correct the email or choose letter")
    assemblies = context.assemblies
    if assembly_id is not None:
        assemblies = [a for a in assemblies if a.id == assembly_id]
        if not assemblies:
            raise InvalidInput("assembly_id", "not an assembly at this contact's location")
    if not assemblies:
        raise InvalidInput("contact_id", "the contact's location has no assemblies to write about")
    members = [MemberSnapshot(assembly=a, location=context.location, contacts=[contact]) for a in assemblies]
    dues = [a.next_test_due for a in assemblies if a.next_test_due is not None]
    now = deps.clock.now()
    job_id = deps.new_id()
    job = GenerationJob(
        id=job_id,
        org_id=identity.org_id,
        kind=JobKind.ONE_TIME,
        run_key=one_time_key(job_id),
        template_id=template.id,
        template_version=template.version,
        template_name=template.name,
        state=JobState.GENERATING,
        created_at=now,
        updated_at=now,
        communication_type_id=template.communication_type_id,
        run_on=local_today(context.organization.timezone, now),
        due_on=min(dues) if dues else None,
        member_count=len(members),
        created_by=identity.user_id,
        details={
            "contact_id": str(contact.id),
            "location_id": str(context.location.id),
            "method": method,
            "additional_contents": additional_contents,
            "assembly_id": str(assembly_id) if assembly_id else None,
        },
    )
    job.start(1, now)
    async with deps.sessions.begin() as session:
        await QueueRepository(session).add_job(job, context.organization.model_dump(mode="json"))
        await outbox.stage(
            session,
            deps.tables,
            GenerationRequested(
                org_id=identity.org_id,
                correlation_id=current_correlation_id(),
                batch_id=queue_id(identity.org_id),
                job_id=job.id,
                source="one_time",
                chunk_index=0,
                chunk_count=1,
                template_id=template.id,
                template_version=template.version,
                batch_name=template.name,
                due_date=job.due_on,
                organization=context.organization,
                members=members,
                only_contact_id=contact.id,
                only_method=method,  # type: ignore[arg-type]
                additional_contents=additional_contents,
            ),
            key=f"{job.id}:0",
        )
    return job.id


# -- generation results of jobs ------------------------------------------------------------------


async def record_job_chunk(
    session: AsyncSession, tables: MessagingTables, event: CommunicationsGenerated, clock: Clock
) -> str:
    """Store one chunk of an auto run or one-time job in the ledger, once; a one-time email is sent at once."""
    assert event.job_id is not None
    repo = QueueRepository(session)
    job = await repo.get_job(event.org_id, event.job_id, for_update=True)
    if job is None:
        return "ignored: unknown job"
    ledger = BatchRepository(session)
    now = clock.now()
    claimed = await ledger.claim_result(job.id, event, now)
    if not claimed:
        return "duplicate"
    if event.error:
        job.details = {**job.details, "errors": [*job.details.get("errors", []), event.error]}
    else:
        await ledger.add_communications(
            job.org_id,
            queue_id(job.org_id),
            event.chunk_index,
            event.communications,
            now,
            event.organization.from_email,
            extra={
                "source": job.kind.value,
                "job_id": job.id,
                "due_on": job.due_on,
                "generated_on": job.run_on or now.date(),
                **({"communication_type_id": job.communication_type_id} if job.communication_type_id else {}),
            },
        )
        await ledger.add_skipped(job.id, event.skipped, now)
    job.account_chunk(now)
    await repo.save_job(job)
    if job.kind is JobKind.ONE_TIME and job.details.get("method") == "email" and not event.error:
        ids = [c.communication_id for c in event.communications if c.method == "email" and c.status == "generated"]
        rows = await repo.queue_emails(job.org_id, ids, CommunicationStatus.GENERATED, now)
        organization = event.organization.model_dump(mode="json")
        correlation = event.correlation_id
        await outbox.stage(
            session, tables, [(delivery_request(row, organization, correlation), str(row.id)) for row in rows]
        )
    return "recorded"
