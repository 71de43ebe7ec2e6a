"""The SMTP pool against a real SMTP server (aiosmtpd in this process): envelope, refusals, login, STARTTLS."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from delivery.adapters.smtp_pool import SmtpPool
from delivery.domain.ledger import FailureKind
from delivery.domain.outgoing_email import EmailRequest, OutgoingEmail, build_email
from delivery.service_layer.ports import SendFailed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class Handler:
    """Stores what it accepts; refuses the addresses (or the message) it is told to, with the given reply."""

    received: list[Received] = field(default_factory=list)
    mail_options: list[list[str]] = field(default_factory=list)
    refuse_sender: dict[str, str] = field(default_factory=dict)
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    refuse_data: str = ""

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address in self.refuse_sender:
            return self.refuse_sender[address]
        envelope.mail_from = address
        self.mail_options.append(list(options))
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_data:
            return self.refuse_data
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"


class Server:
    def __init__(self, **kwargs: Any) -> None:
        self.port = _free_port()
        self.handler = Handler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> Server:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


@pytest.fixture
def server() -> Iterator[Server]:
    with Server() as s:
        yield s


def _email(to: str = "owner@customer.example", **changes: Any) -> OutgoingEmail:
    values: dict[str, Any] = {
        "message_id": f"<{to.split('@')[0]}-1@riverbend.example>",
        "from_email": "ccc@riverbend.example",
        "from_name": "Riverbend Water Utility",
        "to_email": to,
        "to_name": "Pat Owner",
        "subject": "Annual backflow test due",
        "body_text": "Your assembly is due.\n.\nA line with a lone dot above.",
        "body_html": "<p>Your assembly is due.</p>",
        "cc": ["Manager@Customer.example"],
        "bcc": ["records@riverbend.example"],
    }
    values.update(changes)
    return build_email(EmailRequest(**values))


async def test_one_transaction_per_email_on_a_reused_connection(server: Server) -> None:
    pool = SmtpPool("127.0.0.1", server.port, size=1)
    try:
        await pool.send(_email())
        await pool.send(_email("second@customer.example", cc=[], bcc=[]))
    finally:
        await pool.close()
    first, second = server.handler.received
    assert first.mail_from == "ccc@riverbend.example"
    assert first.rcpt_tos == ["owner@customer.example", "manager@customer.example", "records@riverbend.example"]
    msg = message_from_bytes(first.content, policy=email_policy.default)
    assert str(msg["Message-ID"]) == "<owner-1@riverbend.example>"
    assert msg["Bcc"] is None and b"records@riverbend.example" not in first.content
    text = msg.get_body(("plain",))
    assert text is not None
    body = text.get_content().replace("\r\n", "\n").rstrip("\n")
    assert body == "Your assembly is due.\n.\nA line with a lone dot above."
    assert second.rcpt_tos == ["second@customer.example"]
    assert pool.connections_opened == 1


async def test_the_recipient_refused_is_a_bounce_with_the_reply_and_the_connection_goes_on(server: Server) -> None:
    server.handler.refuse_rcpt["gone@customer.example"] = "550 5.1.1 mailbox unavailable"
    pool = SmtpPool("127.0.0.1", server.port, size=1)
    try:
        with pytest.raises(SendFailed) as refused:
            await pool.send(_email("gone@customer.example"))
        assert refused.value.failure.kind is FailureKind.BOUNCED
        assert refused.value.failure.reason == "550 5.1.1 mailbox unavailable"
        await pool.send(_email())
    finally:
        await pool.close()
    copies, second = server.handler.received
    assert copies.rcpt_tos == ["manager@customer.example", "records@riverbend.example"], "the copies still go out"
    assert second.rcpt_tos[0] == "owner@customer.example"
    assert pool.connections_opened == 1, "a refusal resets the envelope, it does not drop the connection"


async def test_every_recipient_refused_is_a_bounce_of_the_to_address(server: Server) -> None:
    for address in ("gone@customer.example", "manager@customer.example", "records@riverbend.example"):
        server.handler.refuse_rcpt[address] = "550 5.1.1 no such user"
    pool = SmtpPool("127.0.0.1", server.port, size=1)
    try:
        with pytest.raises(SendFailed) as refused:
            await pool.send(_email("gone@customer.example"))
    finally:
        await pool.close()
    assert refused.value.failure.kind is FailureKind.BOUNCED
    assert server.handler.received == []


async def test_a_refused_copy_does_not_fail_the_email(server: Server) -> None:
    server.handler.refuse_rcpt["manager@customer.example"] = "550 5.1.1 no such user"
    pool = SmtpPool("127.0.0.1", server.port, size=1)
    try:
        await pool.send(_email())
    finally:
        await pool.close()
    [received] = server.handler.received
    assert received.rcpt_tos == ["owner@customer.example", "records@riverbend.example"]


@pytest.mark.parametrize(
    ("reply", "kind"),
    [("553 5.7.1 sender not allowed", FailureKind.REJECTED), ("451 4.3.0 try later", FailureKind.TRANSIENT)],
)
async def test_a_refused_sender_fails_by_its_reply(server: Server, reply: str, kind: FailureKind) -> None:
    server.handler.refuse_sender["ccc@riverbend.example"] = reply
    pool = SmtpPool("127.0.0.1", server.port, size=1)
    try:
        with pytest.raises(SendFailed) as refused:
            await pool.send(_email())
    finally:
        await pool.close()
    assert refused.value.failure.kind is kind and refused.value.failure.reason == reply


async def test_a_refused_message_is_rejected_not_bounced(server: Server) -> None:
    server.handler.refuse_data = "554 5.7.1 looks like spam"
    pool = SmtpPool("127.0.0.1", server.port, size=1)
    try:
        with pytest.raises(SendFailed) as refused:
            await pool.send(_email())
        server.handler.refuse_data = ""
        await pool.send(_email())
    finally:
        await pool.close()
    assert refused.value.failure.kind is FailureKind.REJECTED
    assert refused.value.failure.reason == "554 5.7.1 looks like spam"
    assert len(server.handler.received) == 1


async def test_the_size_of_the_message_is_announced(server: Server) -> None:
    pool = SmtpPool("127.0.0.1", server.port, size=1)
    try:
        await pool.send(_email())
    finally:
        await pool.close()
    [received] = server.handler.received
    [options] = server.handler.mail_options
    assert options == [f"SIZE={len(received.content)}"]


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"relay", b"s3cret")
    return AuthResult(success=ok)


async def test_login_when_configured_and_a_wrong_password_is_transient() -> None:
    with Server(authenticator=_authenticator, auth_required=True, auth_require_tls=False) as server:
        pool = SmtpPool("127.0.0.1", server.port, size=1, username="relay", password="s3cret")
        # (aiosmtpd answers a wrong password late or not at all: a short timeout keeps the test quick)
        wrong = SmtpPool("127.0.0.1", server.port, size=1, username="relay", password="nope", timeout=2)
        anonymous = SmtpPool("127.0.0.1", server.port, size=1)
        try:
            await pool.send(_email())
            with pytest.raises(SendFailed) as refused:
                await wrong.send(_email())
            with pytest.raises(SendFailed):
                await anonymous.send(_email())
        finally:
            for p in (pool, wrong, anonymous):
                await p.close()
        assert len(server.handler.received) == 1
        assert refused.value.failure.kind is FailureKind.TRANSIENT, "our configuration, not the email: retry later"


@pytest.fixture
def tls_context(tmp_path: Path) -> ssl.SSLContext:
    # scripts/bootstrap.sh installs openssl (Debian's package) with the rest of the test tools
    assert shutil.which("openssl"), "openssl is needed to make a test certificate: run scripts/bootstrap.sh"
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    make_certificate = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subprocess.run(
        [*make_certificate, "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_starttls_and_login_when_configured(tls_context: ssl.SSLContext) -> None:
    with Server(
        tls_context=tls_context,
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
    ) as server:
        pool = SmtpPool(
            "127.0.0.1",
            server.port,
            size=1,
            starttls=True,
            validate_certs=False,
            username="relay",
            password="s3cret",
        )
        plain = SmtpPool("127.0.0.1", server.port, size=1)
        try:
            await pool.send(_email())
            await pool.send(_email("second@customer.example"))
            with pytest.raises(SendFailed):
                await plain.send(_email())  # the server refuses anything before STARTTLS
        finally:
            await pool.close()
            await plain.close()
        assert [r.rcpt_tos[0] for r in server.handler.received] == ["owner@customer.example", "second@customer.example"]
        assert pool.connections_opened == 1
