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
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError

from contracts import topics
from contracts.events import BatchClosed, DeliveryRequested
from delivery.service_layer.delivery import DeliveryService
from servicekit.kafka import subscriber, with_correlation

log = logging.getLogger(__name__)

GROUP = "delivery"


async def _dead_letter(broker: KafkaBroker, record: Any, exc: BaseException) -> None:
    headers = {k: (v.decode(errors="replace") if isinstance(v, bytes) else str(v)) for k, v in (record.headers or [])}
    headers.update(
        {
            "dlq_error": f"{type(exc).__name__}: {exc}"[:2000],
            "dlq_topic": record.topic,
            "dlq_partition": str(record.partition),
            "dlq_offset": str(record.offset),
        }
    )
    await broker.publish(record.value, topic=topics.dlq(record.topic), key=record.key, headers=headers)
    log.error("delivery request %s[%s]@%s sent to dead letters: %r", record.topic, record.partition, record.offset, exc)


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
        description="One email per message (key communication_id); polled in batches, sent concurrently.",
    )
    async def handle_delivery_requested(message: KafkaMessage) -> None:
        requests: list[DeliveryRequested] = []
        for record in message.raw_message:
            try:
                requests.append(DeliveryRequested.from_json_bytes(record.value or b""))
            except (ValidationError, ValueError) as exc:
                await _dead_letter(broker, record, exc)
        if requests:
            with_correlation(requests[0])
            await service.handle_delivery_requests(requests)

    @subscriber(broker, BatchClosed, group_id=GROUP)
    async def handle_batch_closed(event: BatchClosed) -> None:
        with_correlation(event)
        await service.handle_batch_closed(event)
