"""Kafka subscribers of the generator (consumer group ``generator``)."""

from __future__ import annotations

from typing import Any

from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage

from contracts.events import GenerationRequested
from generator.service_layer.generation import CompiledTemplates, render_requested_chunk, result_key
from servicekit.kafka import PROMPT_FETCH_WAIT_MS, publish_event, subscriber, with_correlation
from servicekit.runtime import ServiceRuntime

GROUP = "generator"


async def decode_generation_requested(msg: StreamMessage[Any]) -> GenerationRequested:
    """Validate the request straight from its bytes: a chunk carries hundreds of member snapshots,
    and pydantic's JSON validation costs about a third less than ``json.loads`` then validation."""
    return GenerationRequested.model_validate_json(msg.body)


def register_consumers(
    broker: KafkaBroker, runtime: ServiceRuntime, templates: CompiledTemplates, instance: str
) -> None:
    @subscriber(
        broker,
        GenerationRequested,
        group_id=GROUP,
        max_poll_records=4,
        decoder=decode_generation_requested,
        fetch_max_wait_ms=PROMPT_FETCH_WAIT_MS,
    )
    async def handle_generation_requested(event: GenerationRequested) -> None:
        """Render the chunk and publish its result before the offset is committed.

        No inbox: rendering changes nothing here, and a redelivered request publishes a result
        with the same event id, which batches and documents ignore the second time."""
        with_correlation(event)
        async with runtime.sessions() as session:  # reads a template version when not cached
            result = await render_requested_chunk(session, event, templates, instance=instance)
        await publish_event(broker, result, key=result_key(event))
