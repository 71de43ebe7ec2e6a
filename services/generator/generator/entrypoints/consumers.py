"""Kafka subscribers of the generator (consumer group ``generator``)."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from contracts.events import GenerationRequested
from generator.service_layer.generation import CompiledTemplates, generate_requested_chunk
from servicekit import inbox
from servicekit.kafka import subscriber, with_correlation
from servicekit.runtime import ServiceRuntime

GROUP = "generator"
INBOX_CONSUMER = "generator.generation-requested"


def register_consumers(
    broker: KafkaBroker, runtime: ServiceRuntime, templates: CompiledTemplates, instance: str
) -> None:
    @subscriber(broker, GenerationRequested, group_id=GROUP, max_poll_records=4)
    async def handle_generation_requested(event: GenerationRequested) -> None:
        with_correlation(event)
        async with runtime.sessions.begin() as session:
            if not await inbox.first_delivery(session, runtime.tables, INBOX_CONSUMER, event.event_id):
                return
            await generate_requested_chunk(session, runtime.tables, event, templates, instance=instance)
