"""Use case: render one requested chunk of a batch into its result event.

Rendering changes nothing in the generator's database, so the result is published straight
away by the consumer (``servicekit.kafka.publish_event``) rather than through an outbox: the
result's id derives from the request's, and a redelivered request yields the same event.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any
from uuid import UUID, uuid5

from jinja2 import TemplateError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import CommunicationsGenerated, GeneratedCommunication, GenerationRequested
from generator.adapters.repository import Repository
from generator.domain.generation import BatchContext, generate_chunk, restrict_to_one_contact
from generator.domain.merge_fields import today_in
from generator.domain.template import TemplateVersion, communication_size
from generator.domain.templates import CompiledTemplate
from servicekit.outbox import MAX_MESSAGE_BYTES
from servicekit.partitioning import spread_key

log = logging.getLogger(__name__)

RESULT_SIZE_LIMIT = MAX_MESSAGE_BYTES * 8 // 10
CHUNK_RESULT_BUDGET = RESULT_SIZE_LIMIT // 2
"""What a chunk's result is planned to stay under (``members_per_chunk``): half the limit."""
"""A chunk result larger than this would not fit in one Kafka message: answer an error instead,
rather than publishing an event the broker would refuse."""

RESULT_NAMESPACE = UUID("2a9d4c61-8e3f-5a7b-9d1c-4e5f6a7b8c9d")
"""Result event ids are uuid5(request event id): a chunk rendered twice yields one event id."""


class CompiledTemplates:
    """Template versions compiled once per process. Versions never change, so entries never go stale."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[UUID, UUID, int], tuple[TemplateVersion, CompiledTemplate]] = OrderedDict()
        self.compiled = 0

    async def get(
        self, session: AsyncSession, org_id: UUID, template_id: UUID, version: int
    ) -> tuple[TemplateVersion, CompiledTemplate] | None:
        key = (org_id, template_id, version)
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return entry
        stored = await Repository(session).get_version(org_id, template_id, version)
        if stored is None:
            return None
        entry = (stored, CompiledTemplate(stored.content))
        self.compiled += 1
        self._entries[key] = entry
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return entry


def result_key(event: GenerationRequested) -> str:
    """The Kafka key of a chunk's result: a batch's chunks spread over partitions."""
    return spread_key(event.job_id or event.batch_id, event.chunk_index)


async def render_requested_chunk(
    session: AsyncSession,
    event: GenerationRequested,
    templates: CompiledTemplates,
    *,
    instance: str = "",
) -> CommunicationsGenerated:
    """Render ``event``'s chunk with the template version it names; answer the result event.

    A template version that does not exist (or belongs to another organization) yields a
    result with ``error`` set rather than a failure: batches shows it, nothing retries it.
    """
    base = {
        "event_id": uuid5(RESULT_NAMESPACE, str(event.event_id)),
        "org_id": event.org_id,
        "correlation_id": event.correlation_id or str(event.event_id),
        "batch_id": event.batch_id,
        "source": event.source,
        "chunk_index": event.chunk_index,
        "chunk_count": event.chunk_count,
        "template_id": event.template_id,
        "template_version": event.template_version,
        "organization": event.organization,
        "job_id": event.job_id,
    }
    started = time.perf_counter()
    try:
        found = await templates.get(session, event.org_id, event.template_id, event.template_version)
    except TemplateError as exc:  # saved templates are validated; this is a guard, not a path
        return _error_result(event, base, f"template cannot be compiled: {exc}")
    if found is None:
        error = f"template {event.template_id} version {event.template_version} not found"
        return _error_result(event, base, error)
    stored, compiled = found
    members, settings = restrict_to_one_contact(
        event.members, stored.settings, contact_id=event.only_contact_id, method=event.only_method
    )
    chunk = generate_chunk(
        members,
        settings,
        compiled,
        event.organization,
        BatchContext(
            # a job of the unsent queue keys its communication ids on the job, not on the queue
            batch_id=event.job_id or event.batch_id,
            name=event.batch_name,
            due_date=event.due_date,
            today=today_in(event.organization.timezone, event.occurred_at),
            additional_contents=event.additional_contents,
            communication_type_id=stored.communication_type_id,
        ),
    )
    size = estimated_size(chunk.communications)
    if size > RESULT_SIZE_LIMIT:
        error = (
            f"chunk too large: {len(event.members)} members yield {len(chunk.communications)} communications "
            f"(about {size // 1_000_000} MB); request smaller chunks"
        )
        return _error_result(event, base, error)
    result = CommunicationsGenerated(**base, communications=chunk.communications, skipped=chunk.skipped)
    log.info(
        "generated chunk %s/%s of batch %s on %s: %s communications, %s skipped, rendered in %.0f ms",
        event.chunk_index,
        event.chunk_count,
        event.batch_id,
        instance,
        len(chunk.communications),
        len(chunk.skipped),
        (time.perf_counter() - started) * 1000,
        extra={"batch_id": str(event.batch_id), "chunk_index": event.chunk_index, "instance": instance},
    )
    return result


def estimated_size(communications: list[GeneratedCommunication]) -> int:
    """A cheap upper estimate of the serialized size of a chunk's communications (bytes)."""
    return sum(
        communication_size(len(c.subject) + len(c.body_text) + len(c.body_html) + len(c.letter_body), len(c.assemblies))
        for c in communications
    )


def _error_result(event: GenerationRequested, base: dict[str, Any], error: str) -> CommunicationsGenerated:
    result = CommunicationsGenerated(**base, communications=[], error=error)
    log.warning(
        "chunk %s of batch %s not generated: %s",
        event.chunk_index,
        event.batch_id,
        error,
        extra={"batch_id": str(event.batch_id), "chunk_index": event.chunk_index},
    )
    return result
