"""Failures at the SMTP server, the documents service or in the input: bounded, reported, never blocking."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import uuid
from collections.abc import AsyncIterator

import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response

from contracts import topics
from contracts.events import DeliveryRequested
from servicekit.identity import HEADER, verify_identity_token
from servicekit.naming import topic_name
from tests.integration.delivery.harness import (
    IDENTITY_SECRET,
    KAFKA_BOOTSTRAP,
    MailCatcher,
    ReportCollector,
    RequestProducer,
    make_request,
)


async def test_a_recipient_the_server_rejects_with_550_fails_with_the_reason_and_the_rest_are_sent(
    start_delivery, catcher: MailCatcher, producer: RequestProducer, reports: ReportCollector, org_id: uuid.UUID
) -> None:
    delivery = start_delivery()
    good = [make_request(org_id) for _ in range(8)]
    bounced = [make_request(org_id, to_email=f"bounce-{i}@customer.example") for i in range(2)]
    await producer.send([*good[:4], *bounced, *good[4:]])
    settled = await reports.wait_settled([r.communication_id for r in good + bounced], timeout=60)

    for r in good:
        assert settled[r.communication_id].status == "sent"
        assert len(catcher.messages(message_id=r.message_id)) == 1
    for r in bounced:
        report = settled[r.communication_id]
        assert report.status == "failed"
        assert report.permanent is True
        assert "550" in report.error and "mailbox unavailable" in report.error
        assert report.attempts == 1
        assert catcher.messages(to=r.to_email) == []
        entry = delivery.get(f"/internal/deliveries/{r.communication_id}", org_id).json()
        assert entry["status"] == "failed" and entry["permanent"] is True and "550" in entry["last_error"]


async def test_temporary_451_answers_are_retried_until_every_email_is_sent_once(
    start_delivery, catcher: MailCatcher, producer: RequestProducer, reports: ReportCollector, org_id: uuid.UUID
) -> None:
    start_delivery()
    catcher.faults(tempfail_next=6)
    requests = [make_request(org_id) for _ in range(5)]
    await producer.send(requests)
    settled = await reports.wait_settled([r.communication_id for r in requests], timeout=90)

    assert {r.status for r in settled.values()} == {"sent"}
    assert max(r.attempts for r in settled.values()) > 1
    for r in requests:
        assert len(catcher.messages(message_id=r.message_id)) == 1
    assert catcher.http.get("/faults").json()["tempfailed"] == 6


async def test_transient_failures_give_up_after_the_attempt_limit_without_a_bounce(
    start_delivery, catcher: MailCatcher, producer: RequestProducer, reports: ReportCollector, org_id: uuid.UUID
) -> None:
    start_delivery(DELIVERY_RETRY_MAX_ATTEMPTS="3", DELIVERY_RETRY_BASE_SECONDS="0.2", DELIVERY_REPORT_SENDING="true")
    catcher.faults(tempfail_next=1000)
    request = make_request(org_id)
    await producer.send([request])
    report = (await reports.wait_settled([request.communication_id], timeout=60))[request.communication_id]
    assert report.status == "failed"
    assert report.permanent is False
    assert report.attempts == 3
    assert "gave up after 3 attempts" in report.error and "451" in report.error
    assert [r.attempts for r in reports.reports[request.communication_id] if r.status == "sending"] == [1, 2, 3]


async def test_invalid_addresses_fail_that_email_with_the_field_named(
    start_delivery, catcher: MailCatcher, producer: RequestProducer, reports: ReportCollector, org_id: uuid.UUID
) -> None:
    start_delivery()
    bad_to = make_request(org_id, to_email="owner@customer.example, thief@attacker.example")
    bad_cc = make_request(org_id, cc=["not an address"])
    fine = make_request(org_id)
    await producer.send([bad_to, bad_cc, fine])
    settled = await reports.wait_settled([bad_to.communication_id, bad_cc.communication_id, fine.communication_id], 60)

    assert settled[bad_to.communication_id].status == "failed"
    assert settled[bad_to.communication_id].permanent is True
    assert "to_email" in settled[bad_to.communication_id].error
    assert settled[bad_cc.communication_id].status == "failed"
    assert settled[bad_cc.communication_id].permanent is False
    assert "cc" in settled[bad_cc.communication_id].error
    assert settled[fine.communication_id].status == "sent"
    assert catcher.messages(to="thief@attacker.example") == []
    assert catcher.count() == 1


async def test_an_undecodable_request_goes_to_dead_letters_and_the_others_are_sent(
    start_delivery, catcher: MailCatcher, producer: RequestProducer, reports: ReportCollector, org_id: uuid.UUID
) -> None:
    start_delivery()
    dlq = AIOKafkaConsumer(
        topic_name(topics.dlq(DeliveryRequested.TOPIC)), bootstrap_servers=KAFKA_BOOTSTRAP, auto_offset_reset="earliest"
    )
    await dlq.start()
    try:
        before, after = make_request(org_id), make_request(org_id)
        await producer.send([before])
        await producer.send_raw(DeliveryRequested.TOPIC, b'{"event_type": "delivery_requested", "oops": 1}', b"bad")
        await producer.send([after])
        settled = await reports.wait_settled([before.communication_id, after.communication_id], timeout=60)
        assert {r.status for r in settled.values()} == {"sent"}
        record = await asyncio.wait_for(dlq.getone(), timeout=30)
        assert b"oops" in record.value
        assert "ValidationError" in dict(record.headers)["dlq_error"].decode()
    finally:
        await dlq.stop()


# ---------------------------------------------------------------------- attachments
PDF = b"%PDF-1.4\n% letter for the test\n" + bytes(range(256)) * 20 + b"\n%%EOF\n"


@pytest.fixture
async def documents_stub() -> AsyncIterator[tuple[str, dict[uuid.UUID, tuple[uuid.UUID, bytes]]]]:
    """A stand-in for the documents service's internal endpoint (that service is built separately).

    It honours the agreed contract: ``GET /internal/documents/{id}`` with a service token
    of the document's organization answers the PDF, anything else 404.
    """
    documents: dict[uuid.UUID, tuple[uuid.UUID, bytes]] = {}
    app = FastAPI()

    @app.get("/internal/documents/{document_id}")
    async def document(document_id: uuid.UUID, request: Request) -> Response:
        identity = verify_identity_token(request.headers.get(HEADER, ""), IDENTITY_SECRET)
        found = documents.get(document_id)
        if found is None or found[0] != identity.org_id:
            raise HTTPException(status_code=404)
        return Response(found[1], media_type="application/pdf")

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}", documents
    server.should_exit = True
    await task
    sock.close()


async def test_the_letter_pdf_is_attached_when_requested_and_a_missing_one_fails_after_retries(
    start_delivery,
    catcher: MailCatcher,
    producer: RequestProducer,
    reports: ReportCollector,
    org_id: uuid.UUID,
    documents_stub,
) -> None:
    url, documents = documents_stub
    start_delivery(DELIVERY_DOCUMENTS_URL=url, DELIVERY_RETRY_MAX_ATTEMPTS="3", DELIVERY_RETRY_BASE_SECONDS="0.2")
    document_id = uuid.uuid4()
    documents[document_id] = (org_id, PDF)
    with_pdf = make_request(org_id, attachment_document_id=document_id, attachment_filename="Letter 1042.pdf")
    other_orgs = uuid.uuid4()
    documents[other_orgs] = (uuid.uuid4(), PDF)
    missing = make_request(org_id, attachment_document_id=other_orgs)
    await producer.send([with_pdf, missing])
    settled = await reports.wait_settled([with_pdf.communication_id, missing.communication_id], timeout=60)

    assert settled[with_pdf.communication_id].status == "sent"
    [received] = catcher.messages(message_id=with_pdf.message_id)
    assert received["attachments"] == [
        {"filename": "Letter 1042.pdf", "content_type": "application/pdf", "size": len(PDF)}
    ]
    raw = catcher.http.get(f"/messages/{received['id']}/raw").content
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_content() == PDF
    assert parsed.get_body(("plain",)).get_content().strip() == with_pdf.body_text

    assert settled[missing.communication_id].status == "failed"
    assert "attachment unavailable" in settled[missing.communication_id].error
    assert catcher.messages(message_id=missing.message_id) == []
