"""The delivery use cases with a fake mailer and a SQLite file: ledger, reports, retries, closed batches."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import select

from contracts.events import BatchClosed, DeliveryReported, DeliveryRequested
from delivery.adapters.orm import deliveries, metadata
from delivery.domain.ledger import Failure, FailureKind, RetryPolicy
from delivery.domain.outgoing_email import OutgoingEmail
from delivery.service_layer.delivery import DeliveryService
from delivery.service_layer.ports import DocumentUnavailable, SendFailed
from servicekit.clock import FixedClock
from servicekit.db import create_engine, create_session_factory
from servicekit.messaging_tables import add_messaging_tables

ORG = uuid.uuid4()


class FakeMailer:
    size = 2

    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []
        self.failures: dict[str, list[Failure]] = {}
        self.gate: asyncio.Event | None = None
        self.delay = 0.0
        """Seconds each conversation takes."""
        self.calls = 0

    async def send(self, email: OutgoingEmail) -> None:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        planned = self.failures.get(email.to.addr_spec)
        if planned:
            raise SendFailed(planned.pop(0))
        self.sent.append(email)

    async def close(self) -> None:
        pass


class NoDocuments:
    async def letter_pdf(self, org_id: uuid.UUID, document_id: uuid.UUID) -> bytes:
        raise DocumentUnavailable("not rendered yet")

    async def close(self) -> None:
        pass


class FakePublisher:
    """Reports published straight to 'Kafka'; ``fail`` makes the next publications raise."""

    def __init__(self) -> None:
        self.published: list[DeliveryReported] = []
        self.fail = 0
        self.gate: asyncio.Event | None = None

    async def publish(self, reports: Sequence[DeliveryReported]) -> None:
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            self.fail -= 1
            raise ConnectionError("broker unreachable")
        self.published.extend(reports)


class World:
    def __init__(self, tmp: Path, publisher: FakePublisher | None = None) -> None:
        self.publisher = publisher
        self.engine = create_engine(f"sqlite+aiosqlite:///{tmp}/delivery.db")
        self.sessions = create_session_factory(self.engine)
        self.tables = add_messaging_tables(metadata)
        self.mailer = FakeMailer()
        self.clock = FixedClock()
        self.service = DeliveryService(
            self.sessions,
            self.tables,
            self.mailer,
            NoDocuments(),
            publisher=publisher,
            retry_policy=RetryPolicy(max_attempts=3, base_seconds=10, max_seconds=60),
            clock=self.clock,
            rng=random.Random(1),
            begin_chunk=3,
        )

    async def outbox(self) -> list[dict]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(self.tables.outbox.c.payload).order_by(self.tables.outbox.c.id))).all()
        return [json.loads(r.payload) for r in rows]

    async def reports(self) -> list[dict]:
        """Every report, whichever way it goes out: published directly, then staged in the outbox."""
        published = [json.loads(r.to_json_bytes()) for r in self.publisher.published] if self.publisher else []
        return published + await self.outbox()

    async def ledger(self, cid: uuid.UUID) -> dict:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(deliveries).where(deliveries.c.communication_id == cid))).one()
        return dict(row._mapping)


@pytest.fixture(params=["outbox", "direct"])
async def world(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[World]:
    """Every test runs with reports through the outbox only, and with Kafka requests' reports published directly."""
    w = World(tmp_path, FakePublisher() if request.param == "direct" else None)
    async with w.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await w.service.start()
    yield w
    await w.service.stop()
    await w.engine.dispose()


def request(to: str = "", batch_id: uuid.UUID | None = None, seq: int = 1, **fields: object) -> DeliveryRequested:
    cid = fields.pop("communication_id", None) or uuid.uuid4()
    return DeliveryRequested(
        org_id=ORG,
        communication_id=cid,
        batch_id=batch_id,
        contact_id=uuid.uuid4(),
        to_email=to or f"c{uuid.uuid4().hex[:8]}@customer.example",
        from_email="ccc@riverbend.example",
        subject="Test due",
        body_text="Due.",
        message_id=f"<{cid}@riverbend.example>",
        request_seq=seq,
        **fields,
    )


async def test_each_email_is_sent_and_reported_sent_once(world: World) -> None:
    requests = [request() for _ in range(7)]
    await world.service.handle_delivery_requests(requests)
    assert sorted(e.to.addr_spec for e in world.mailer.sent) == sorted(r.to_email for r in requests)
    reports = await world.reports()
    assert [r["status"] for r in reports] == ["sent"] * 7
    assert {r["message_id"] for r in reports} == {r.message_id for r in requests}
    assert (await world.ledger(requests[0].communication_id))["status"] == "sent"


async def test_a_redelivered_request_is_reported_again_not_sent_again(world: World) -> None:
    r = request()
    await world.service.handle_delivery_requests([r])
    await world.service.handle_delivery_requests([r, r])
    assert len(world.mailer.sent) == 1
    assert [x["status"] for x in await world.reports()] == ["sent", "sent"]


async def test_a_transient_failure_is_retried_later_and_then_sent(world: World) -> None:
    r = request(to="slow@customer.example")
    world.mailer.failures["slow@customer.example"] = [Failure(FailureKind.TRANSIENT, "451 try later", 451)]
    await world.service.handle_delivery_requests([r])
    entry = await world.ledger(r.communication_id)
    assert entry["status"] == "queued" and entry["last_error"] == "451 try later"
    assert await world.reports() == []

    assert await world.service.retry_due() == 0, "not due yet"
    world.clock.advance(seconds=11)
    assert await world.service.retry_due() == 1
    assert (await world.ledger(r.communication_id))["status"] == "sent"
    [report] = await world.reports()
    assert report["status"] == "sent" and report["attempts"] == 2


async def test_a_closed_batch_stops_what_has_not_reached_the_server(world: World) -> None:
    batch = uuid.uuid4()
    requests = [request(batch_id=batch) for _ in range(6)]
    world.mailer.gate = asyncio.Event()
    sending = asyncio.create_task(world.service.handle_delivery_requests(requests))
    for _ in range(100):
        if world.mailer.calls == world.mailer.size:
            break
        await asyncio.sleep(0.01)
    await world.service.handle_batch_closed(BatchClosed(org_id=ORG, batch_id=batch, state="complete"))
    world.mailer.gate.set()
    await sending

    assert len(world.mailer.sent) == world.mailer.size, "only the ones already talking to the server"
    statuses = [(await world.ledger(r.communication_id))["status"] for r in requests]
    assert sorted(statuses) == ["dropped"] * 4 + ["sent"] * 2
    assert [r["status"] for r in await world.reports()] == ["sent", "sent"]
    await world.service.handle_delivery_requests([request(batch_id=batch)])
    assert len(world.mailer.sent) == 2


async def test_the_server_not_answering_makes_the_others_wait_in_the_queue_not_on_the_timeout(
    world: World,
) -> None:
    down = [request(to=f"d{i}@customer.example") for i in range(6)]
    for r in down:
        world.mailer.failures[r.to_email] = [Failure(FailureKind.TRANSIENT, "ConnectionRefusedError")]
    await world.service.handle_delivery_requests(down)
    assert world.mailer.calls < 6, "after the first refusals the rest fail fast"
    for r in down:
        entry = await world.ledger(r.communication_id)
        assert entry["status"] == "queued"
        assert entry["next_attempt_at"] is not None


async def test_an_attachment_that_cannot_be_fetched_is_retried_then_fails(world: World) -> None:
    r = request(attachment_document_id=uuid.uuid4())
    await world.service.handle_delivery_requests([r])
    for _ in range(3):
        world.clock.advance(seconds=120)
        await world.service.retry_due()
    entry = await world.ledger(r.communication_id)
    assert entry["status"] == "failed" and entry["attempts"] == 3
    [report] = await world.reports()
    assert report["status"] == "failed" and "attachment unavailable" in report["error"]
    assert report["permanent"] is False
    assert world.mailer.sent == []


async def test_a_stale_request_after_a_newer_one_changes_nothing(world: World) -> None:
    cid = uuid.uuid4()
    world.mailer.failures["x@customer.example"] = [Failure(FailureKind.REJECTED, "554 spam", 554)]
    await world.service.handle_delivery_requests([request(to="x@customer.example", seq=2, communication_id=cid)])
    await world.service.handle_delivery_requests([request(to="x@customer.example", seq=1, communication_id=cid)])
    assert world.mailer.calls == 1
    entry = await world.ledger(cid)
    assert (entry["status"], entry["request_seq"], entry["last_error"]) == ("failed", 2, "554 spam")
    world.clock.advance(hours=1)
    assert await world.service.retry_due() == 0


@pytest.fixture
async def direct_world(tmp_path: Path) -> AsyncIterator[World]:
    w = World(tmp_path, FakePublisher())
    async with w.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await w.service.start()
    yield w
    await w.service.stop()
    await w.engine.dispose()


async def test_kafka_requests_are_reported_directly_and_retries_through_the_outbox(direct_world: World) -> None:
    w = direct_world
    assert w.publisher is not None
    ok, slow = request(), request(to="slow@customer.example")
    w.mailer.failures["slow@customer.example"] = [Failure(FailureKind.TRANSIENT, "451 try later", 451)]
    await w.service.handle_delivery_requests([ok, slow])
    assert [(r.communication_id, r.status) for r in w.publisher.published] == [(ok.communication_id, "sent")]
    assert await w.outbox() == []

    w.clock.advance(seconds=11)
    assert await w.service.retry_due() == 1  # no Kafka offset holds this one back: the outbox carries it
    [staged] = await w.outbox()
    assert (staged["communication_id"], staged["status"]) == (str(slow.communication_id), "sent")
    assert len(w.publisher.published) == 1


async def test_the_handler_returns_only_after_the_reports_are_acknowledged(direct_world: World) -> None:
    w = direct_world
    assert w.publisher is not None
    w.publisher.gate = asyncio.Event()
    r = request()
    handling = asyncio.create_task(w.service.handle_delivery_requests([r]))
    for _ in range(200):
        if len(w.mailer.sent) == 1 and (await w.ledger(r.communication_id))["status"] == "sent":
            break
        await asyncio.sleep(0.01)
    assert (await w.ledger(r.communication_id))["status"] == "sent", "sent is committed before publishing"
    await asyncio.sleep(0.05)
    assert not handling.done(), "the offsets must wait for the acknowledgement"
    w.publisher.gate.set()
    await handling
    assert [x.status for x in w.publisher.published] == ["sent"]


async def test_a_publish_hiccup_is_retried(direct_world: World) -> None:
    w = direct_world
    assert w.publisher is not None
    w.publisher.fail = 1
    r = request()
    await w.service.handle_delivery_requests([r])
    assert [x.communication_id for x in w.publisher.published] == [r.communication_id]


async def test_reports_that_cannot_be_published_fail_the_poll_and_the_replay_reports_without_resending(
    direct_world: World,
) -> None:
    w = direct_world
    assert w.publisher is not None
    w.service.recorder.write_attempts = 1
    w.publisher.fail = 1
    requests = [request() for _ in range(3)]
    with pytest.raises(ConnectionError):
        await w.service.handle_delivery_requests(requests)  # the consumer does not commit the offsets
    assert len(w.mailer.sent) == 3 and w.publisher.published == []

    await w.service.handle_delivery_requests(requests)  # Kafka delivers the same requests again
    assert len(w.mailer.sent) == 3, "never sent twice"
    reported = {x["communication_id"]: x["status"] for x in await w.reports()}
    assert reported == {str(r.communication_id): "sent" for r in requests}


async def test_a_failed_report_lets_the_other_emails_of_the_poll_finish_before_failing_it(
    direct_world: World,
) -> None:
    w = direct_world
    assert w.publisher is not None
    w.service.recorder.write_attempts = 1
    w.publisher.fail = 1
    w.mailer.delay = 0.05  # the first outcomes' report fails while later emails are still on the wire
    requests = [request() for _ in range(8)]
    with pytest.raises(ConnectionError):
        await w.service.handle_delivery_requests(requests)
    statuses = [(await w.ledger(r.communication_id))["status"] for r in requests]
    assert statuses == ["sent"] * 8, "every email that went out is recorded, none left `sending`"
    assert len(w.mailer.sent) == 8
