"""Kafka subscribers of the delivery service: decode, call a use case, return.

Delivery requests use a **batch subscriber** (``batch=True``) rather than ``max_workers``:
FastStream's concurrent subscriber with manual commits gives one consumer per worker,
each handling one message at a time, so concurrency is capped by partitions and every
email pays its own offset commit and transactions. The batch subscriber polls up to
``consumer_batch_size`` requests, the use case sends them concurrently through the
connection pool and records every outcome, and only when the handler returns are the
offsets committed (``AckPolicy.NACK_ON_ERROR``: an exception rewinds every partition of
the batch to its first record). Commit-after-work holds for the whole batch; a crash
replays the uncommitted batch, and the ledger turns the replay into "send only what is
not ``sent``".

A record that cannot be decoded is published to the dead-letter topic on its own, so
one bad message never blocks the others.
"""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker

from contracts.events import BatchClosed, DeliveryRequested
from delivery.service_layer.delivery import DeliveryService
from servicekit.kafka import batch_decoder, subscriber, with_correlation

log = logging.getLogger(__name__)

GROUP = "delivery"


def register_consumers(
    broker: KafkaBroker, service: DeliveryService, *, batch_size: int, batch_timeout_ms: int
) -> None:
    @subscriber(
        broker,
        DeliveryRequested,
        group_id=GROUP,
        batch=True,
        max_records=batch_size,
        max_poll_records=batch_size,
        batch_timeout_ms=batch_timeout_ms,
        decoder=batch_decoder(DeliveryRequested, broker),
        description="One email per message (key communication_id); polled in batches, sent concurrently.",
    )
    async def handle_delivery_requested(requests: list[DeliveryRequested]) -> None:
        if requests:
            with_correlation(requests[0])
            await service.handle_delivery_requests(requests)

    @subscriber(broker, BatchClosed, group_id=GROUP)
    async def handle_batch_closed(event: BatchClosed) -> None:
        with_correlation(event)
        await service.handle_batch_closed(event)
