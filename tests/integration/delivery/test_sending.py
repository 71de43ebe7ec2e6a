"""Emails requested through Kafka arrive at a real SMTP server once, complete and safe."""

from __future__ import annotations

import asyncio
import time
import uuid

from tests.integration.delivery.harness import MailCatcher, ReportCollector, RequestProducer, make_request


async def test_requested_emails_arrive_once_with_recipient_subject_bodies_and_copies(
    start_delivery, catcher: MailCatcher, producer: RequestProducer, reports: ReportCollector, org_id: uuid.UUID
) -> None:
    delivery = start_delivery(DELIVERY_REPORT_SENDING="true")
    batch_id = uuid.uuid4()
    requests = [
        make_request(
            org_id,
            batch_id=batch_id,
            subject=f"Annual backflow test due #{i}",
            cc=["manager@customer.example"],
            bcc=["records@riverbend.example"],
        )
        for i in range(20)
    ]
    await producer.send(requests)
    settled = await reports.wait_settled([r.communication_id for r in requests], timeout=60)

    assert {r.status for r in settled.values()} == {"sent"}
    for r in requests:
        received = catcher.messages(message_id=r.message_id)
        assert len(received) == 1, f"{r.message_id} arrived {len(received)} times"
        m = catcher.message(received[0]["id"])
        assert m["to"] == [r.to_email]
        assert m["cc"] == ["manager@customer.example"]
        assert m["rcpt_tos"] == [r.to_email, "manager@customer.example", "records@riverbend.example"]
        assert not any(name.lower() == "bcc" for name, _ in m["headers"])
        assert "records@riverbend.example" not in m["raw"]
        assert m["from"] == ["ccc@riverbend.example"]
        assert m["reply_to"] == ["backflow@riverbend.example"]
        assert m["subject"] == r.subject
        assert m["text"].strip() == r.body_text
        assert m["html"].strip() == r.body_html
        assert m["message_id"] == r.message_id
        assert settled[r.communication_id].message_id == r.message_id
        assert [x.status for x in reports.reports[r.communication_id]] == ["sending", "sent"]
    assert catcher.count() == 20

    counts = delivery.get(f"/internal/batches/{batch_id}/deliveries", org_id).json()
    assert counts["counts"] == {"sent": 20}
    # another organization's token sees nothing of it
    assert delivery.get(f"/internal/batches/{batch_id}/deliveries", uuid.uuid4()).json()["total"] == 0
    one = requests[0].communication_id
    assert delivery.get(f"/internal/deliveries/{one}", uuid.uuid4()).status_code == 404


async def test_a_header_injection_attempt_stays_inside_the_subject(
    start_delivery, catcher: MailCatcher, producer: RequestProducer, reports: ReportCollector, org_id: uuid.UUID
) -> None:
    start_delivery()
    attack = make_request(
        org_id,
        subject="Test due\r\nBcc: evil@attacker.example\r\nX-Injected: yes",
        to_name="Pat\r\nBcc: evil2@attacker.example",
    )
    await producer.send([attack])
    settled = await reports.wait_settled([attack.communication_id], timeout=60)
    assert settled[attack.communication_id].status == "sent"

    [received] = catcher.messages(message_id=attack.message_id)
    m = catcher.message(received["id"])
    assert m["rcpt_tos"] == [attack.to_email]
    header_names = [name.lower() for name, _ in m["headers"]]
    assert "bcc" not in header_names and "x-injected" not in header_names
    assert m["subject"] == "Test due Bcc: evil@attacker.example X-Injected: yes"
    assert catcher.messages(to="evil@attacker.example") == []
    assert catcher.messages(to="evil2@attacker.example") == []


async def test_a_request_already_sent_is_not_sent_again_but_reported_again(
    start_delivery, catcher: MailCatcher, producer: RequestProducer, reports: ReportCollector, org_id: uuid.UUID
) -> None:
    start_delivery()
    request = make_request(org_id)
    await producer.send([request])
    await reports.wait_settled([request.communication_id], timeout=60)
    # the same request redelivered, then an explicit later send of the same communication
    await producer.send([request])
    await _wait_for_sent_reports(reports, request.communication_id, 2)
    await producer.send([request.model_copy(update={"request_seq": 2, "event_id": uuid.uuid4()})])
    await _wait_for_sent_reports(reports, request.communication_id, 3)
    assert reports.reports[request.communication_id][-1].request_seq == 2
    assert len(catcher.messages(message_id=request.message_id)) == 1


async def _wait_for_sent_reports(reports: ReportCollector, cid: uuid.UUID, n: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while [r.status for r in reports.reports[cid]].count("sent") < n:
        assert time.monotonic() < deadline, reports.reports[cid]
        await asyncio.sleep(0.2)
