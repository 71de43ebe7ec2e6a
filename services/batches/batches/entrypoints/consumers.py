"""FastStream subscribers of the batches service: decode, record in the inbox, call a use case."""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker

from batches.service_layer import handlers, queue
from contracts.events import CommunicationsGenerated, DeliveryReported, LetterRendered
from servicekit import inbox
from servicekit.kafka import subscriber, with_correlation

log = logging.getLogger(__name__)

GROUP = "batches"


def register_consumers(broker: KafkaBroker, deps: handlers.Dependencies) -> None:
    """Subscribe the batches consumers (group ``batches``) on ``broker``."""

    @subscriber(broker, CommunicationsGenerated, group_id=GROUP)
    async def handle_communications_generated(event: CommunicationsGenerated) -> None:
        with_correlation(event)
        async with deps.sessions.begin() as session:
            if not await inbox.first_delivery(session, deps.tables, "batches.communications-generated", event.event_id):
                return
            if event.job_id is not None:  # an auto run or a one-time communication
                outcome = await queue.record_job_chunk(session, deps.tables, event, deps.clock)
            else:
                outcome = await handlers.record_generated_chunk(session, event, deps.clock)
        log.info(
            "chunk %s/%s of %s %s: %s",
            event.chunk_index + 1,
            event.chunk_count,
            event.source,
            event.job_id or event.batch_id,
            outcome,
        )

    @subscriber(broker, DeliveryReported, group_id=GROUP)
    async def handle_delivery_reported(event: DeliveryReported) -> None:
        with_correlation(event)
        async with deps.sessions.begin() as session:
            if not await inbox.first_delivery(session, deps.tables, "batches.delivery-reported", event.event_id):
                return
            outcome = await handlers.record_delivery_report(session, event, deps.clock)
        log.debug("delivery report %s for %s: %s", event.status, event.communication_id, outcome)

    @subscriber(broker, LetterRendered, group_id=GROUP)
    async def handle_letter_rendered(event: LetterRendered) -> None:
        with_correlation(event)
        async with deps.sessions.begin() as session:
            if not await inbox.first_delivery(session, deps.tables, "batches.letter-rendered", event.event_id):
                return
            await handlers.record_letter_rendered(session, event, deps.clock)
