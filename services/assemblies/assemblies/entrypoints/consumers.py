"""Kafka subscribers of the assemblies service (consumer group ``assemblies``)."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from assemblies.service_layer import bounces
from contracts.events import DeliveryReported
from servicekit import inbox
from servicekit.kafka import subscriber, with_correlation
from servicekit.runtime import ServiceRuntime

GROUP = "assemblies"


def register(broker: KafkaBroker, runtime: ServiceRuntime) -> None:
    @subscriber(broker, DeliveryReported, group_id=GROUP)
    async def handle_delivery_reported(event: DeliveryReported) -> None:
        with_correlation(event)
        if event.status != "failed" or not event.permanent:
            return
        async with runtime.sessions.begin() as session:
            if not await inbox.first_delivery(session, runtime.tables, "assemblies.bounces", event.event_id):
                return
            await bounces.handle_delivery_reported(session, event)
