"""Fault tests: the delivery process killed, the SMTP server gone, the batch closed, all mid-send."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import pytest
from sqlalchemy import select

from delivery.adapters.orm import deliveries
from servicekit.db import create_engine
from tests.integration.delivery.harness import MailCatcher, ReportCollector, RequestProducer, make_request

pytestmark = pytest.mark.slow


async def _wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def _arrivals(catcher: MailCatcher) -> Counter[str]:
    return Counter(m["message_id"] for m in catcher.messages())


async def test_delivery_killed_mid_send_of_2000_emails_and_restarted_sends_every_email(
    start_delivery,
    catcher: MailCatcher,
    producer: RequestProducer,
    reports: ReportCollector,
    org_id: uuid.UUID,
    database_url: str,
) -> None:
    delivery = start_delivery()
    batch_id = uuid.uuid4()
    requests = [make_request(org_id, batch_id=batch_id) for _ in range(2000)]
    await producer.send(requests)
    await _wait_until(lambda: catcher.count() >= 400, 120, "400 emails to arrive")
    delivery.kill()
    arrived_at_kill = catcher.count()

    engine = create_engine(database_url)
    async with engine.connect() as conn:
        in_flight = set(
            (
                await conn.execute(
                    select(deliveries.c.message_id).where(
                        deliveries.c.org_id == org_id, deliveries.c.status == "sending"
                    )
                )
            ).scalars()
        )
    await engine.dispose()
    assert 0 < arrived_at_kill < 2000, "the kill must land in the middle of the send"

    start_delivery()
    settled = await reports.wait_settled([r.communication_id for r in requests], timeout=240)
    assert {r.status for r in settled.values()} == {"sent"}

    arrivals = _arrivals(catcher)
    assert set(arrivals) == {r.message_id for r in requests}, "every email arrives"
    duplicates = {mid for mid, n in arrivals.items() if n > 1}
    assert duplicates <= in_flight, "only emails left `sending` by the killed process may arrive twice"
    assert all(n <= 2 for n in arrivals.values())
    print(
        f"\nkilled after {arrived_at_kill} arrivals; {len(in_flight)} left `sending`; "
        f"{len(duplicates)} duplicate(s), each with its own Message-ID"
    )


async def test_the_mail_server_gone_for_30_seconds_mid_send_loses_nothing(
    start_delivery, catcher: MailCatcher, producer: RequestProducer, reports: ReportCollector, org_id: uuid.UUID
) -> None:
    start_delivery()
    catcher.faults(delay_ms=10)  # so that the stop lands mid-send
    requests = [make_request(org_id) for _ in range(600)]
    await producer.send(requests)
    await _wait_until(lambda: catcher.count() >= 100, 120, "100 emails to arrive")
    catcher.stop()
    stopped_at = time.monotonic()
    await asyncio.sleep(30)
    catcher.start()  # same ports, same store folder: what it received before is still there
    settled = await reports.wait_settled([r.communication_id for r in requests], timeout=180)
    finished_after = time.monotonic() - stopped_at

    assert {r.status for r in settled.values()} == {"sent"}
    arrivals = _arrivals(catcher)
    assert set(arrivals) == {r.message_id for r in requests}, "nothing lost"
    assert max(r.attempts for r in settled.values()) > 1, "some emails waited for the server to return"
    duplicates = [mid for mid, n in arrivals.items() if n > 1]
    # only an email the server stored just as it went down (reply lost) may arrive twice
    assert len(duplicates) <= 8
    assert finished_after >= 30
    print(f"\nall 600 sent {finished_after:.1f}s after the stop; {len(duplicates)} duplicate(s)")


async def test_closing_the_batch_mid_send_drops_everything_still_queued(
    start_delivery, catcher: MailCatcher, producer: RequestProducer, reports: ReportCollector, org_id: uuid.UUID
) -> None:
    delivery = start_delivery()
    catcher.faults(delay_ms=20)
    batch_id = uuid.uuid4()
    other_batch = uuid.uuid4()
    requests = [make_request(org_id, batch_id=batch_id) for _ in range(400)]
    others = [make_request(org_id, batch_id=other_batch) for _ in range(10)]
    await producer.send(requests)
    await _wait_until(lambda: catcher.count() >= 40, 120, "40 emails to arrive")
    await producer.close_batch(org_id, batch_id)

    def ledger_counts(b: uuid.UUID) -> dict[str, int]:
        return delivery.get(f"/internal/batches/{b}/deliveries", org_id).json()["counts"]

    await _wait_until(lambda: ledger_counts(batch_id).get("dropped", 0) > 0, 60, "the batch to be closed")
    # requests of the closed batch that arrive after the close, and another batch's
    late = [make_request(org_id, batch_id=batch_id) for _ in range(20)]
    await producer.send(late + others)
    await reports.wait_settled([r.communication_id for r in others], timeout=60)
    await _wait_until(
        lambda: sum(ledger_counts(batch_id).values()) == 420 and "sending" not in ledger_counts(batch_id),
        60,
        "every request of the closed batch to be settled",
    )

    counts = ledger_counts(batch_id)
    arrived = {m["message_id"] for m in catcher.messages()}
    sent_reports = {cid for cid, r in reports.settled(r.communication_id for r in requests + late).items()}
    sent_ids = {r.message_id for r in requests if r.communication_id in sent_reports}
    assert set(counts) == {"sent", "dropped"}
    assert counts["sent"] < 400, "the close must land mid-send"
    assert counts["dropped"] == 420 - counts["sent"]
    assert sent_ids == arrived & {r.message_id for r in requests}, "what arrived is exactly what was reported sent"
    assert not arrived & {r.message_id for r in late}, "nothing requested after the close is sent"
    assert {r.message_id for r in others} <= arrived, "other batches go on"
    for r in requests + late:
        if r.message_id not in arrived:
            assert [x.status for x in reports.reports.get(r.communication_id, []) if x.status != "sending"] == []
    print(f"\nclosed after {counts['sent']} of 400 sent; {counts['dropped']} dropped")
