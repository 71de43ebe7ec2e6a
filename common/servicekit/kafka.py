"""The one Kafka wiring: broker, subscribers that commit after their work, dead letters.

Subscribers use ``AckPolicy.NACK_ON_ERROR`` with auto-commit off: the offset is
committed only after the handler returned (its database transaction committed). A
handler that raises is retried (the consumer seeks back to the message) with backoff;
a message that cannot be decoded, or that keeps failing ``max_attempts`` times, is
published to ``<topic>.dlq`` with the error in its headers and then committed, so
consumption goes on.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.middlewares import AckPolicy
from pydantic import ValidationError

from contracts import topics as topic_names
from contracts.envelope import Event
from servicekit.logs import set_correlation_id
from servicekit.naming import group_name, topic_name
from servicekit.outbox import MAX_MESSAGE_BYTES
from servicekit.partitioning import SpreadPartitioner

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)


class PoisonMessage(Exception):
    """Raised by a handler for a message that can never be processed: straight to the DLQ."""


_POISON = (ValidationError, json.JSONDecodeError, UnicodeDecodeError, PoisonMessage)


class DeadLetterPolicy:
    """Counts failures per message and decides between retry and dead letter."""

    def __init__(self, max_attempts: int = 5, base_delay: float = 0.2, max_delay: float = 5.0) -> None:
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._failures: dict[tuple[str, int, int], int] = {}
        self.dead_lettered = 0

    def middleware(self) -> type[BaseMiddleware]:
        policy = self

        class DeadLetterMiddleware(BaseMiddleware):
            async def consume_scope(self, call_next: Any, msg: Any) -> Any:
                raw = msg.raw_message
                if isinstance(raw, tuple):  # batch subscribers handle their own failures
                    return await call_next(msg)
                key = (raw.topic, raw.partition, raw.offset)
                try:
                    result = await call_next(msg)
                except _POISON as exc:
                    await policy._dead_letter(self.context, raw, exc)
                    policy._failures.pop(key, None)
                    return None
                except Exception as exc:
                    failures = policy._failures.get(key, 0) + 1
                    policy._failures[key] = failures
                    if failures >= policy.max_attempts:
                        await policy._dead_letter(self.context, raw, exc)
                        policy._failures.pop(key, None)
                        return None
                    delay = min(policy.max_delay, policy.base_delay * 2 ** (failures - 1))
                    log.warning(
                        "handler failed on %s[%s]@%s (attempt %s/%s), retrying in %.1fs: %r",
                        raw.topic,
                        raw.partition,
                        raw.offset,
                        failures,
                        policy.max_attempts,
                        delay,
                        exc,
                    )
                    await asyncio.sleep(delay)
                    raise
                policy._failures.pop(key, None)
                return result

        return DeadLetterMiddleware

    async def _dead_letter(self, context: Any, raw: Any, exc: BaseException) -> None:
        await publish_dead_letter(context.get("broker"), raw, exc)
        self.dead_lettered += 1


async def publish_dead_letter(broker: KafkaBroker, record: Any, exc: BaseException) -> None:
    """Publish one consumed record to ``<topic>.dlq`` with the error and its origin in the headers."""
    headers = {k: (v.decode(errors="replace") if isinstance(v, bytes) else str(v)) for k, v in (record.headers or [])}
    headers.update(
        {
            "dlq_error": f"{type(exc).__name__}: {exc}"[:2000],
            "dlq_topic": record.topic,
            "dlq_partition": str(record.partition),
            "dlq_offset": str(record.offset),
        }
    )
    await broker.publish(record.value, topic=topic_names.dlq(record.topic), key=record.key, headers=headers)
    log.error("message %s[%s]@%s sent to dead letters: %r", record.topic, record.partition, record.offset, exc)


async def publish_event(broker: KafkaBroker, event: Event, *, key: str | None = None) -> None:
    """Publish ``event`` at once and wait for the acknowledgement (idempotent producer, acks=all).

    Only for a handler whose whole effect is this one event, with nothing to change in its
    database (the generator rendering a chunk): there is no state change to commit together
    with the event, so an outbox would add a database round trip and no guarantee. The
    consumer's offset is committed after the acknowledgement; a redelivered input publishes
    an event with the same id again, which its consumers' inboxes ignore.
    """
    headers = {"event_type": event.event_type, "schema_version": str(event.schema_version)}
    await broker.publish(
        event.to_json_bytes(),
        topic=topic_name(event.TOPIC),
        key=key.encode() if key else None,
        headers=headers,
    )


def batch_decoder(event_type: type[E], broker: KafkaBroker) -> Callable[..., Awaitable[list[E]]]:
    """Decoder for a batch subscriber: every record on its own, bad ones to the dead letters.

    The handler then takes ``list[EventType]`` (which the AsyncAPI document shows), and one
    undecodable record never holds back the others of its poll.
    """

    async def decode(msg: Any, _original: Any = None) -> list[E]:
        decoded: list[E] = []
        for record in msg.raw_message:
            try:
                decoded.append(event_type.from_json_bytes(record.value or b""))
            except _POISON as exc:
                await publish_dead_letter(broker, record, exc)
        return decoded

    return decode


def create_broker(
    bootstrap_servers: str,
    *,
    client_id: str,
    dead_letters: DeadLetterPolicy | None = None,
    compression: str = "zstd",
) -> KafkaBroker:
    policy = dead_letters or DeadLetterPolicy()
    broker = KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        max_request_size=MAX_MESSAGE_BYTES,
        partitioner=SpreadPartitioner(),
        compression_type=None if compression == "none" else compression,
        middlewares=[policy.middleware()],
        logger=logging.getLogger(f"{client_id}.kafka"),
        log_level=logging.DEBUG,  # one line per message is too much at INFO
    )
    return broker


PROMPT_FETCH_WAIT_MS = 50
"""``fetch_max_wait_ms`` of a subscriber whose messages should be handled as soon as they arrive
(a batch's chunks, both ways): with the broker's usual 500 ms, a batch's last chunks waited up to
that long behind a fetch held for the consumer's other, idle partitions."""


def subscriber(
    broker: KafkaBroker,
    event_type: type[E],
    *,
    group_id: str,
    max_poll_records: int | None = None,
    fetch_max_wait_ms: int = 500,
    **kwargs: Any,
) -> Callable[[Callable[..., Awaitable[Any]]], Any]:
    """Subscribe a handler taking ``event_type`` to its topic, committing after the work.

    ``fetch_max_wait_ms``: how long the broker may hold a fetch that finds nothing new. A
    consumer has one fetch at a time in flight; a partition whose next message comes while a
    fetch for the consumer's other partitions is held waits until that fetch returns. Lower
    it where a message should be handled as soon as it arrives (a batch's chunks), at the
    cost of more fetches while idle.
    """
    return broker.subscriber(
        topic_name(event_type.TOPIC),
        group_id=group_name(group_id),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        max_poll_records=max_poll_records,
        fetch_max_bytes=MAX_MESSAGE_BYTES * 5,
        max_partition_fetch_bytes=MAX_MESSAGE_BYTES,
        fetch_max_wait_ms=fetch_max_wait_ms,
        title=f"{group_id}:{event_type.TOPIC}",
        **kwargs,
    )


def with_correlation(event: Event) -> None:
    """Carry the event's correlation id into the logs of its handling."""
    set_correlation_id(event.correlation_id or str(event.event_id))


async def ensure_topics(bootstrap_servers: str, partitions: int, names: tuple[str, ...] = topic_names.ALL) -> None:
    """Create the system's topics (and their dead-letter topics) when missing."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="topic-setup")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [topic_name(n) for t in names for n in (t, topic_names.dlq(t))]
        missing = [
            NewTopic(
                name=n,
                num_partitions=partitions if not n.endswith(".dlq") else 1,
                replication_factor=1,
                topic_configs={"max.message.bytes": str(MAX_MESSAGE_BYTES)},
            )
            for n in wanted
            if n not in existing
        ]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


async def delete_namespace_topics(bootstrap_servers: str, namespace: str) -> int:
    """Delete every topic of a ``KAFKA_NAMESPACE`` (test runs clean up after themselves).

    Refuses an empty namespace: that would be the production topics.
    """
    if not namespace:
        raise ValueError("refusing to delete the topics of the empty namespace")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="topic-cleanup")
    await admin.start()
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(namespace)]
        if mine:
            await admin.delete_topics(mine)
        return len(mine)
    finally:
        await admin.close()
