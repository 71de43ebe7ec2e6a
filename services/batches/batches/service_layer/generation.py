"""Generating a batch: member snapshots into chunked generation requests, chunk results into the ledger."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from batches.adapters.ledger_json import add_communications_json
from batches.adapters.repository import BatchRepository
from batches.domain.batch import BatchState
from batches.domain.chunking import spread_chunks
from batches.service_layer.handlers import Dependencies, actor_of, load_batch, locked_batch, publishable_template
from contracts.events import CommunicationsGenerated, GeneratedCommunication, GenerationRequested
from contracts.snapshots import MemberSnapshot, OrganizationSnapshot
from servicekit import outbox
from servicekit.clock import Clock
from servicekit.identity import Identity
from servicekit.logs import current_correlation_id
from servicekit.partitioning import spread_key

log = logging.getLogger(__name__)

MISSING_MEMBER_REASON = "assembly no longer exists in the assemblies list"


async def fetch_snapshots(
    deps: Dependencies, identity: Identity, member_ids: list[UUID]
) -> tuple[OrganizationSnapshot | None, list[MemberSnapshot]]:
    """Member snapshots in pages the assemblies service accepts, a few pages at a time."""
    step = deps.snapshot_page_size
    pages = [member_ids[start : start + step] for start in range(0, len(member_ids), step)]
    limit = asyncio.Semaphore(deps.snapshot_concurrency)

    async def fetch(page: list[UUID]) -> tuple[OrganizationSnapshot, list[MemberSnapshot]]:
        async with limit:
            return await deps.assemblies.member_snapshots(identity, page)

    results = await asyncio.gather(*(fetch(page) for page in pages))
    organization = results[0][0] if results else None
    return organization, [m for _, members in results for m in members]


async def fetch_snapshot_lines(
    deps: Dependencies, identity: Identity, member_ids: list[UUID]
) -> tuple[dict[str, Any] | None, list[tuple[str, str, bytes]]]:
    """``fetch_snapshots`` as ``(assembly id, location id, member JSON)`` lines, not decoded."""
    step = deps.snapshot_page_size
    pages = [member_ids[start : start + step] for start in range(0, len(member_ids), step)]
    limit = asyncio.Semaphore(deps.snapshot_concurrency)

    async def fetch(page: list[UUID]) -> tuple[dict[str, Any], list[tuple[str, str, bytes]]]:
        async with limit:
            return await deps.assemblies.member_snapshot_lines(identity, page)

    results = await asyncio.gather(*(fetch(page) for page in pages))
    organization = results[0][0] if results else None
    return organization, [m for _, members in results for m in members]


async def generate(deps: Dependencies, identity: Identity, batch_id: UUID) -> dict[str, int]:
    """open → generating; the chunked generation requests are staged in the same transaction.

    The member snapshots go from the assemblies service's answer (lines: assembly id, location
    id, member JSON) into the requests as the bytes they came as, without being parsed here:
    the generator validates them when it reads a request. Chunking needs only the two ids.
    """
    async with deps.sessions() as session:
        repo = BatchRepository(session)
        batch = await load_batch(repo, identity, batch_id)
        batch.require("generate", {BatchState.OPEN})
        member_ids = await repo.member_ids(batch_id)
    template = await publishable_template(deps, identity, batch.template_id)
    started = time.perf_counter()
    organization_json, lines = await fetch_snapshot_lines(deps, identity, member_ids)
    fetched = time.perf_counter()
    organization = OrganizationSnapshot.model_validate(organization_json) if organization_json else None
    wanted = {str(a) for a in member_ids}
    members = [line for line in lines if line[0] in wanted]
    found = {assembly_id for assembly_id, _, _ in members}
    chunk_size = min(deps.chunk_size, template.members_per_chunk or deps.chunk_size)
    chunks = spread_chunks(members, lambda line: line[1], chunk_size, deps.partitions)
    missing = [a for a in member_ids if str(a) not in found]

    async with deps.sessions.begin() as session:
        repo = BatchRepository(session)
        batch = await load_batch(repo, identity, batch_id, for_update=True)
        now = deps.clock.now()
        batch.template_version = template.version
        batch.template_name = template.name
        batch.start_generation(now, len(chunks))
        await repo.save(batch)
        if organization is not None:
            await repo.set_organization(batch.id, organization.model_dump(mode="json"))
        await repo.add_missing_members(batch.id, missing, MISSING_MEMBER_REASON, now)
        correlation = current_correlation_id()
        if organization is not None:
            requests = []
            for index, chunk in enumerate(chunks):
                request = GenerationRequested(
                    org_id=batch.org_id,
                    correlation_id=correlation,
                    batch_id=batch.id,
                    chunk_index=index,
                    chunk_count=len(chunks),
                    template_id=template.id,
                    template_version=template.version,
                    batch_name=batch.name,
                    due_date=batch.due_date,
                    organization=organization,
                    members=[],
                )
                payload = request.json_with_members([member for _, _, member in chunk])
                requests.append((request, spread_key(batch.id, index), payload))
            await outbox.stage(session, deps.tables, requests)
        await repo.record(
            batch,
            "generation_started",
            now,
            **actor_of(identity),
            details={
                "chunks": len(chunks),
                "members": len(members),
                "missing_members": len(missing),
                "template_version": template.version,
            },
        )
    log.info(
        "batch %s: %s member snapshots in %.2fs, %s chunks staged in %.2fs",
        batch_id,
        len(members),
        fetched - started,
        len(chunks),
        time.perf_counter() - fetched,
    )
    return {"chunks_total": len(chunks), "members": len(members), "missing_members": len(missing)}


def chunk_counts(communications: list[dict[str, Any]] | Sequence[GeneratedCommunication]) -> dict[str, int]:
    """A chunk's communications by ``"method:status"`` (decoded, or as JSON dicts)."""
    counts: dict[str, int] = {}
    for c in communications:
        if isinstance(c, dict):
            key = f"{c['method']}:{c.get('status', 'generated')}"
        else:
            key = f"{c.method}:{c.status}"
        counts[key] = counts.get(key, 0) + 1
    return counts


async def record_generated_chunk(
    session: AsyncSession,
    event: CommunicationsGenerated,
    clock: Clock,
    *,
    communications_json: list[dict[str, Any]] | None = None,
) -> str:
    """Store one chunk's results, once; the last chunk moves the batch to generated.

    With ``communications_json`` (the message's communications as ``the JSON parser gives them;
    PostgreSQL only) they are stored from those dicts (``adapters.ledger_json``), and ``event``
    only needs to count them (``GeneratedChunkHeader``).
    Answers what happened ("recorded", "duplicate", "ignored: ...") for logs and tests.
    """
    if event.source != "batch":
        return "ignored: not a batch communication"
    repo = BatchRepository(session)
    batch = await repo.get(event.org_id, event.batch_id)
    if batch is None:
        return "ignored: unknown batch"
    if batch.state is not BatchState.GENERATING:
        return f"ignored: batch is {batch.state.value}"
    now = clock.now()
    counted = chunk_counts(communications_json if communications_json is not None else event.communications)
    claimed = await repo.claim_result(batch.id, event, now, counts=counted)
    if not claimed:
        return "duplicate"
    if not event.error:
        from_email = event.organization.from_email
        if communications_json is not None:
            await add_communications_json(
                session,
                org_id=batch.org_id,
                batch_id=batch.id,
                chunk_index=event.chunk_index,
                communications=communications_json,
                at=now,
                from_email=from_email,
            )
        else:
            await repo.add_communications(
                batch.org_id, batch.id, event.chunk_index, event.communications, now, from_email
            )
        await repo.add_skipped(batch.id, event.skipped, now)
    batch = await locked_batch(repo, batch)
    finished = batch.account_chunk(now)
    await repo.save(batch)
    if event.error:
        await repo.record(
            batch,
            "generation_error",
            now,
            actor_id=None,
            actor_role="system",
            details={"chunk_index": event.chunk_index, "error": event.error},
        )
    if finished:
        await repo.record(
            batch, "generated", now, actor_id=None, actor_role="system", details={"chunks": batch.chunks_total}
        )
    return "recorded"
