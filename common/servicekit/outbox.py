"""Transactional outbox: stage events in the caller's transaction; a relay publishes them.

``stage`` writes the event into the ``outbox`` table using the caller's session, so the
state change and the events it causes commit (or roll back) together. ``OutboxRelay``
reads unpublished rows in id order, publishes them with an idempotent producer
(``acks=all``), waits for every acknowledgement, and only then marks them published.
A crash between publish and mark publishes again: consumers are idempotent (inbox).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.envelope import Event
from servicekit.messaging_tables import MessagingTables
from servicekit.naming import topic_name
from servicekit.partitioning import SpreadPartitioner

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 10 * 1024 * 1024


class OutboxWakeup:
    """Lets a commit that staged events wake the relay at once instead of at its next poll."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def notify(self) -> None:
        self.event.set()


_wakeups: list[OutboxWakeup] = []


def _wake_all(_session: object) -> None:
    for w in _wakeups:
        w.notify()


def _row(ev: Event, key: str | None, now: datetime, payload: bytes | None = None) -> dict[str, object]:
    headers = {"event_type": ev.event_type, "schema_version": str(ev.schema_version)}
    return {
        "event_id": str(ev.event_id),
        "topic": topic_name(ev.TOPIC),
        "key": key,
        "payload": ev.to_json_bytes() if payload is None else payload,
        "headers": json.dumps(headers),
        "created_at": now,
        "attempts": 0,
    }


async def stage(
    session: AsyncSession,
    tables: MessagingTables,
    events: Event | Iterable[tuple[Event, str | None] | tuple[Event, str | None, bytes]],
    *,
    key: str | None = None,
) -> None:
    """Stage one event (with ``key``) or many ``(event, key)`` pairs in the session's transaction.

    A triple ``(event, key, payload)`` publishes ``payload`` as the event's JSON (e.g.
    ``GenerationRequested.json_with_members``); ``event`` still gives its id, topic and headers.
    """
    now = datetime.now(UTC)
    if isinstance(events, Event):
        rows = [_row(events, key, now)]
    else:
        rows = [_row(*item, now) if len(item) == 2 else _row(item[0], item[1], now, item[2]) for item in events]
    if not rows:
        return
    if _copy_worthwhile(session, rows):
        await _copy_rows(session, tables, rows)
    else:
        await session.execute(insert(tables.outbox), rows)
    sync_session = session.sync_session
    if not sa_event.contains(sync_session, "after_commit", _wake_all):
        sa_event.listen(sync_session, "after_commit", _wake_all, once=True)


_COPY_BYTES = 64 * 1024


def _copy_worthwhile(session: AsyncSession, rows: list[dict[str, object]]) -> bool:
    """On PostgreSQL, many rows or a large payload go in with COPY: an INSERT of a batch's
    generation requests (tens of megabytes) took seven times longer."""
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return False
    return len(rows) > 1 or any(len(row["payload"]) > _COPY_BYTES for row in rows)  # type: ignore[arg-type]


async def _copy_rows(session: AsyncSession, tables: MessagingTables, rows: list[dict[str, object]]) -> None:
    connection = await session.connection()
    await connection.exec_driver_sql("SELECT 1")  # through SQLAlchemy: its driver adapter begins the transaction
    driver: Any = (await connection.get_raw_connection()).driver_connection
    columns = list(rows[0])
    await driver.copy_records_to_table(
        tables.outbox.name, records=[tuple(row[c] for c in columns) for row in rows], columns=columns
    )


class OutboxRelay:
    """Publishes staged events to Kafka and marks them published."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        bootstrap_servers: str,
        *,
        poll_seconds: float = 0.2,
        batch_size: int = 500,
        client_id: str = "outbox-relay",
        compression: str = "zstd",
    ) -> None:
        self._sessions = session_factory
        self._tables = tables
        self._bootstrap = bootstrap_servers
        self._poll = poll_seconds
        self._batch_size = batch_size
        self._compression = None if compression == "none" else compression
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None
        self._wakeup = OutboxWakeup()
        self._stopping = False
        self.published_total = 0

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=2,
            max_request_size=MAX_MESSAGE_BYTES,
            partitioner=SpreadPartitioner(),
            compression_type=self._compression,
        )
        await self._producer.start()
        _wakeups.append(self._wakeup)
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        self._stopping = True
        self._wakeup.notify()
        if self._task:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
        if self._wakeup in _wakeups:
            _wakeups.remove(self._wakeup)
        if self._producer:
            await self._producer.stop()
            self._producer = None

    async def _run(self) -> None:
        backoff = self._poll
        while not self._stopping:
            try:
                published = await self.publish_pending()
                backoff = self._poll
            except Exception:  # keep relaying after a broker or database hiccup
                log.exception("outbox relay failed; retrying")
                published = 0
                backoff = min(backoff * 2, 5.0)
            if published >= self._batch_size:
                continue
            self._wakeup.event.clear()
            try:
                await asyncio.wait_for(self._wakeup.event.wait(), timeout=backoff)
            except TimeoutError:
                pass

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished rows; answer how many were published."""
        assert self._producer is not None, "relay not started"
        t = self._tables.outbox
        async with self._sessions() as session, session.begin():
            query = (
                select(t.c.id, t.c.topic, t.c.key, t.c.payload, t.c.headers)
                .where(t.c.published_at.is_(None))
                .order_by(t.c.id)
                .limit(self._batch_size)
            )
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = (await session.execute(query)).all()
            if not rows:
                return 0
            futures = []
            for row in rows:
                headers = [(k, str(v).encode()) for k, v in json.loads(row.headers or "{}").items()]
                futures.append(
                    await self._producer.send(
                        row.topic,
                        value=row.payload,
                        key=row.key.encode() if row.key else None,
                        headers=headers,
                    )
                )
            await asyncio.gather(*futures)
            await session.execute(
                update(t).where(t.c.id.in_([r.id for r in rows])).values(published_at=datetime.now(UTC))
            )
        self.published_total += len(rows)
        return len(rows)
