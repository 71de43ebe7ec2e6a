"""Publishing ``DeliveryReported`` straight to Kafka (idempotent producer, ``acks=all``).

Used for the outcomes of requests that came from Kafka (see ``service_layer.recorder``):
their reports need no outbox, because the request's offset is committed only after the
report is acknowledged, and a replayed request whose ledger entry is settled is
reported again. Same topic, key (the communication id) and headers as the outbox relay
uses, so consumers see no difference.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from contracts.events import DeliveryReported
from servicekit.naming import topic_name
from servicekit.outbox import MAX_MESSAGE_BYTES


class KafkaReportPublisher:
    def __init__(self, bootstrap_servers: str, *, client_id: str = "delivery-reports") -> None:
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._topic = ""
        self._headers: list[tuple[str, bytes]] = []

    async def start(self) -> None:
        self._topic = topic_name(DeliveryReported.TOPIC)  # the namespace is read when the process runs
        self._headers = [
            ("event_type", DeliveryReported.model_fields["event_type"].default.encode()),
            ("schema_version", str(DeliveryReported.model_fields["schema_version"].default).encode()),
        ]
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=1,
            max_request_size=MAX_MESSAGE_BYTES,
        )
        await producer.start()
        self._producer = producer

    async def publish(self, reports: Sequence[DeliveryReported]) -> None:
        """Returns once every report is acknowledged by the broker; raises if one is not."""
        if not reports:
            return
        producer = self._producer
        if producer is None:
            raise RuntimeError("report publisher not started")
        topic, headers = self._topic, self._headers
        futures = [
            await producer.send(topic, value=r.to_json_bytes(), key=str(r.communication_id).encode(), headers=headers)
            for r in reports
        ]
        await asyncio.gather(*futures)

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
