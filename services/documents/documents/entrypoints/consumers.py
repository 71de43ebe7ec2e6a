"""Kafka subscribers of the documents service: decode, call a use case."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from contracts.events import CommunicationsGenerated
from documents.service_layer.handlers import DocumentsService
from servicekit.kafka import subscriber, with_correlation


def register(broker: KafkaBroker, service: DocumentsService) -> None:
    @subscriber(broker, CommunicationsGenerated, group_id="documents", max_poll_records=4)
    async def handle_communications_generated(event: CommunicationsGenerated) -> None:
        with_correlation(event)
        await service.handle_communications_generated(event)
