"""The platform's delivery guarantees, on the real Kafka broker and the real database."""

from __future__ import annotations

import asyncio
import time
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import func, select

from contracts.topics import dlq
from servicekit import outbox
from servicekit.naming import topic_name
from tests.conftest import KAFKA_BOOTSTRAP
from tests.integration.platform.probe_service import PROBE_TOPIC, ThingHappened, effects, seen

pytestmark = pytest.mark.integration

ORG = uuid4()


async def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(interval)
    return await predicate()


async def count(runtime, table, event_id) -> int:  # type: ignore[no-untyped-def]
    async with runtime.sessions() as session:
        return (
            await session.execute(select(func.count()).select_from(table).where(table.c.event_id == str(event_id)))
        ).scalar_one()


async def stage(session, publisher, events: list[ThingHappened], key: str) -> None:  # type: ignore[no-untyped-def]
    """One event alone (an INSERT), or several at once (a COPY on PostgreSQL)."""
    if len(events) == 1:
        await outbox.stage(session, publisher.tables, events[0], key=key)
    else:
        await outbox.stage(session, publisher.tables, [(e, key) for e in events])


@pytest.mark.parametrize("staged", [1, 3], ids=["one event", "several events"])
async def test_an_event_reaches_consumers_only_after_its_transaction_commits(publisher, probe_process, staged):  # type: ignore[no-untyped-def]
    probe_process()
    committed = [ThingHappened(org_id=ORG, value=f"committed {i}") for i in range(staged)]
    async with publisher.sessions() as session:
        await session.begin()
        await stage(session, publisher, committed, "a")
        await asyncio.sleep(2.0)  # the relay polls meanwhile: nothing may leave before the commit
        assert [await count(publisher, seen, e.event_id) for e in committed] == [0] * staged
        await session.commit()
    for event in committed:
        assert await wait_for(lambda e=event: count(publisher, effects, e.event_id)) == 1


@pytest.mark.parametrize("staged", [1, 3], ids=["one event", "several events"])
async def test_an_event_of_a_rolled_back_transaction_is_never_published(publisher, probe_process, staged):  # type: ignore[no-untyped-def]
    probe_process()
    rolled_back = [ThingHappened(org_id=ORG, value=f"rolled back {i}") for i in range(staged)]
    later = ThingHappened(org_id=ORG, value="later")
    async with publisher.sessions() as session:
        await session.begin()
        await stage(session, publisher, rolled_back, "same-partition")
        await session.rollback()
    async with publisher.sessions.begin() as session:
        await outbox.stage(session, publisher.tables, later, key="same-partition")
    # same key, same partition: once `later` is handled, `rolled_back` would have been too
    assert await wait_for(lambda: count(publisher, effects, later.event_id)) == 1
    assert [await count(publisher, seen, e.event_id) for e in rolled_back] == [0] * staged


@pytest.mark.parametrize("crash", ["after_commit", "before_commit"])
async def test_a_consumer_killed_before_committing_gets_the_event_again_and_the_effect_happens_once(
    publisher, probe_process, crash
):
    doomed = probe_process(PROBE_CRASH=crash)
    event = ThingHappened(org_id=ORG, value=f"crash {crash}")
    async with publisher.sessions.begin() as session:
        await outbox.stage(session, publisher.tables, event, key="k")
    # wait in a thread: the relay that publishes the event runs on this event loop
    assert await asyncio.to_thread(doomed.wait_exit) != 0, "the probe should have been killed while handling the event"
    assert await count(publisher, seen, event.event_id) == 1
    assert await count(publisher, effects, event.event_id) == (1 if crash == "after_commit" else 0)

    probe_process()  # a new copy of the consumer, same group

    async def delivered_again() -> bool:
        return await count(publisher, seen, event.event_id) >= 2

    assert await wait_for(delivered_again, timeout=60), "the event was not delivered again"
    await asyncio.sleep(1.0)
    assert await count(publisher, effects, event.event_id) == 1


async def read_dead_letters(namespace_topic: str, expected: int, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    consumer = AIOKafkaConsumer(
        dlq(namespace_topic), bootstrap_servers=KAFKA_BOOTSTRAP, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    found = []
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(found) < expected:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                found.extend(records)
    finally:
        await consumer.stop()
    return found


async def test_poison_messages_go_to_the_dead_letter_topic_with_their_error_and_consumption_goes_on(
    publisher, probe_process
):
    probe_process(PROBE_CONSUMER_MAX_ATTEMPTS="3")
    poison = ThingHappened(org_id=ORG, value="poison pill")
    flaky = ThingHappened(org_id=ORG, value="flaky forever")
    good = ThingHappened(org_id=ORG, value="good")
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA_BOOTSTRAP)
    await producer.start()
    try:
        await producer.send_and_wait(topic_name(PROBE_TOPIC), b"{not json", key=b"k")
    finally:
        await producer.stop()
    async with publisher.sessions.begin() as session:
        await outbox.stage(session, publisher.tables, [(poison, "k"), (flaky, "k"), (good, "k")])

    assert await wait_for(lambda: count(publisher, effects, good.event_id)) == 1
    letters = await read_dead_letters(topic_name(PROBE_TOPIC), expected=3)
    errors = {r.value: dict((k, v.decode()) for k, v in r.headers)["dlq_error"] for r in letters}
    assert len(letters) == 3
    assert "ValidationError" in errors[b"{not json"] or "JSON" in errors[b"{not json"]
    assert any("cannot handle 'poison pill'" in e for e in errors.values())
    assert any("always failing" in e for e in errors.values())
    headers = dict((k, v.decode()) for k, v in letters[0].headers)
    assert headers["dlq_topic"] == topic_name(PROBE_TOPIC)
