"""The mail catcher stores what it receives, answers the faults it is told to, and keeps its folder."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
from fastapi.testclient import TestClient

from mailcatcher.app import create_app
from mailcatcher.config import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Catcher:
    def __init__(self, store_dir: Path | None = None, **settings: object) -> None:
        self.smtp_port = _free_port()
        self.settings = Settings(smtp_port=self.smtp_port, http_port=0, store_dir=store_dir, **settings)
        self.client = TestClient(create_app(self.settings))

    def __enter__(self) -> Catcher:
        self.client.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.__exit__(*exc)


@pytest.fixture
def catcher() -> Iterator[Catcher]:
    with Catcher() as c:
        yield c


def _letter(subject: str = "Backflow test due", message_id: str = "<c1@utility.example>") -> EmailMessage:
    m = EmailMessage()
    m["From"] = "Riverbend Water <ccc@riverbend.example>"
    m["To"] = "owner@customer.example"
    m["Cc"] = "manager@customer.example"
    m["Subject"] = subject
    m["Message-ID"] = message_id
    m.set_content("Your assembly is due for testing.")
    m.add_alternative("<p>Your assembly is due for testing.</p>", subtype="html")
    m.add_attachment(b"%PDF-1.4 letter", maintype="application", subtype="pdf", filename="letter.pdf")
    return m


async def _send(port: int, message: EmailMessage, recipients: list[str]) -> None:
    await aiosmtplib.send(message, hostname="127.0.0.1", port=port, recipients=recipients)


async def test_a_received_message_lists_with_its_envelope_parts_and_attachment(catcher: Catcher) -> None:
    rcpts = ["owner@customer.example", "manager@customer.example", "audit@utility.example"]
    await _send(catcher.smtp_port, _letter(), rcpts)

    listed = catcher.client.get("/messages", params={"to": "audit@utility.example"}).json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert item["rcpt_tos"] == rcpts
    assert item["to"] == ["owner@customer.example"]
    assert item["cc"] == ["manager@customer.example"]
    assert item["subject"] == "Backflow test due"
    assert item["attachments"] == [{"filename": "letter.pdf", "content_type": "application/pdf", "size": 15}]

    detail = catcher.client.get(f"/messages/{item['id']}").json()
    assert detail["text"].strip() == "Your assembly is due for testing."
    assert detail["html"].strip() == "<p>Your assembly is due for testing.</p>"
    assert "audit@utility.example" not in detail["raw"]  # the Bcc is only in the envelope
    raw = catcher.client.get(f"/messages/{item['id']}/raw")
    assert raw.headers["content-type"].startswith("message/rfc822")
    assert b"Subject: Backflow test due" in raw.content


async def test_messages_filter_by_message_id_and_clear(catcher: Catcher) -> None:
    await _send(catcher.smtp_port, _letter(message_id="<one@u.example>"), ["a@customer.example"])
    await _send(catcher.smtp_port, _letter(message_id="<two@u.example>"), ["b@customer.example"])
    found = catcher.client.get("/messages", params={"message_id": "two@u.example"}).json()
    assert [i["rcpt_tos"] for i in found["items"]] == [["b@customer.example"]]
    assert catcher.client.get("/stats").json()["count"] == 2
    assert catcher.client.delete("/messages").json() == {"removed": 2}
    assert catcher.client.get("/messages").json()["total"] == 0
    assert catcher.client.get("/messages/nope").status_code == 404


async def test_a_recipient_matching_the_reject_pattern_gets_550(catcher: Catcher) -> None:
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await _send(catcher.smtp_port, _letter(), ["bounce-me@customer.example"])
    assert refused.value.recipients[0].code == 550
    assert "mailbox unavailable" in refused.value.recipients[0].message
    assert catcher.client.get("/stats").json()["count"] == 0


async def test_tempfail_next_refuses_exactly_n_messages_with_451(catcher: Catcher) -> None:
    assert catcher.client.post("/faults", json={"tempfail_next": 2}).json()["tempfail_next"] == 2
    codes = []
    for _ in range(3):
        try:
            await _send(catcher.smtp_port, _letter(), ["owner@customer.example"])
            codes.append(250)
        except aiosmtplib.SMTPResponseException as exc:
            codes.append(exc.code)
    assert codes == [451, 451, 250]
    assert catcher.client.get("/stats").json()["count"] == 1


def test_bad_fault_settings_are_refused_with_the_field(catcher: Catcher) -> None:
    answer = catcher.client.post("/faults", json={"reject_pattern": "("})
    assert answer.status_code == 422
    assert "reject_pattern" in answer.text
    assert catcher.client.post("/faults", json={"tempfail_next": -1}).status_code == 422
    assert catcher.client.get("/faults").json()["reject_pattern"] == "bounce"


async def test_a_restarted_catcher_keeps_the_messages_of_its_folder(tmp_path: Path) -> None:
    with Catcher(store_dir=tmp_path) as first:
        await _send(first.smtp_port, _letter(message_id="<kept@u.example>"), ["owner@customer.example"])
    with Catcher(store_dir=tmp_path) as second:
        items = second.client.get("/messages").json()["items"]
        assert [i["message_id"] for i in items] == ["<kept@u.example>"]
        await _send(second.smtp_port, _letter(message_id="<new@u.example>"), ["owner@customer.example"])
        assert second.client.get("/stats").json()["count"] == 2


async def test_auth_is_required_when_configured() -> None:
    with Catcher(auth_username="relay", auth_password="s3cret") as c:
        with pytest.raises(aiosmtplib.SMTPException):
            await _send(c.smtp_port, _letter(), ["owner@customer.example"])
        await aiosmtplib.send(
            _letter(),
            hostname="127.0.0.1",
            port=c.smtp_port,
            username="relay",
            password="s3cret",
            start_tls=False,
            recipients=["owner@customer.example"],
        )
        assert c.client.get("/stats").json()["count"] == 1
