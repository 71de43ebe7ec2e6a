"""A tiny service built only from the common library, to prove the platform's guarantees on
the real broker and database: outbox publishing after commit, inbox de-duplication, dead letters.

Run as a process: ``python -m tests.integration.platform.probe_service`` with
PROBE_DATABASE_URL, PROBE_KAFKA_BOOTSTRAP_SERVERS, KAFKA_NAMESPACE and, for the crash tests,
PROBE_CRASH=before_commit|after_commit (the process dies at that point of its first event).
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic_settings import SettingsConfigDict
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert, select

from contracts.envelope import Event
from servicekit import inbox
from servicekit.kafka import PoisonMessage, ensure_topics, subscriber, with_correlation
from servicekit.runtime import ServiceRuntime
from servicekit.settings import ServiceSettings

PROBE_TOPIC = "probe.thing-happened.v1"

metadata = MetaData()
effects = Table(
    "probe_effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("value", String(200), nullable=False),
    Column("process", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
seen = Table(
    "probe_seen",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("process", Integer, nullable=False),
)


class ThingHappened(Event):
    TOPIC: ClassVar[str] = PROBE_TOPIC
    event_type: Literal["thing_happened"] = "thing_happened"
    value: str


class ProbeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROBE_", extra="ignore")
    service_name: str = "probe"
    crash: str = ""


def build(settings: ProbeSettings) -> ServiceRuntime:
    runtime = ServiceRuntime(settings, metadata, migrations_dir=None)
    assert runtime.broker is not None

    @subscriber(runtime.broker, ThingHappened, group_id="probe")
    async def handle_thing_happened(event: ThingHappened) -> None:
        with_correlation(event)
        if event.value.startswith("poison"):
            raise PoisonMessage(f"cannot handle {event.value!r}")
        if event.value.startswith("flaky"):
            raise RuntimeError("always failing")
        async with runtime.sessions.begin() as session:
            await session.execute(insert(seen).values(event_id=str(event.event_id), process=os.getpid()))
        async with runtime.sessions() as session, session.begin():
            if await inbox.first_delivery(session, runtime.tables, "probe", event.event_id):
                await session.execute(
                    insert(effects).values(
                        event_id=str(event.event_id), value=event.value, process=os.getpid(), at=datetime.now(UTC)
                    )
                )
            if settings.crash == "before_commit":
                os.kill(os.getpid(), signal.SIGKILL)
        if settings.crash == "after_commit":
            # work committed, Kafka offset not yet committed
            os.kill(os.getpid(), signal.SIGKILL)

    return runtime


async def effects_for(runtime: ServiceRuntime, event_id: UUID) -> list[tuple[str, int]]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(effects.c.value, effects.c.process).where(effects.c.event_id == str(event_id))
        )
        return [tuple(r) for r in rows]


async def _main() -> None:
    from servicekit.logs import configure_logging

    settings = ProbeSettings()
    configure_logging("probe", "INFO", json_logs=False)
    runtime = build(settings)
    # services get their topics from ensure_topics at start; the probe's own topic must exist
    # before it subscribes, or the consumer only notices it at its next metadata refresh
    await ensure_topics(settings.kafka_bootstrap_servers, 6, names=(PROBE_TOPIC,))
    await runtime.start()
    print("probe ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runtime.stop()


if __name__ == "__main__":
    asyncio.run(_main())
