"""Sending over SMTP through a pool of reused aiosmtplib connections.

``size`` connections at most; each is opened on first use (with STARTTLS and login
when configured), reused for the following emails, and dropped after any error so the
next use reconnects. Every aiosmtplib error is translated into the domain's
``Failure`` (transient, bounced or rejected) so the service layer never sees SMTP
library types.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from datetime import UTC, datetime

import aiosmtplib
from aiosmtplib.typing import SMTPStatus

from delivery.adapters.mime import render
from delivery.domain.ledger import Failure, FailureKind, classify_smtp_reply
from delivery.domain.outgoing_email import OutgoingEmail
from delivery.service_layer.ports import SendFailed

log = logging.getLogger(__name__)


class SmtpPool:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        size: int = 4,
        timeout: float = 30.0,
        starttls: bool = False,
        use_tls: bool = False,
        validate_certs: bool = True,
        username: str = "",
        password: str = "",
        local_hostname: str | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if size < 1:
            raise ValueError("smtp pool size must be at least 1")
        self.host = host
        self.port = port
        self.size = size
        self.timeout = timeout
        self.starttls = starttls
        self.use_tls = use_tls
        self.validate_certs = validate_certs
        self.username = username
        self.password = password
        self.local_hostname = local_hostname
        self._now = now
        self._idle: asyncio.LifoQueue[aiosmtplib.SMTP | None] = asyncio.LifoQueue()
        for _ in range(size):
            self._idle.put_nowait(None)
        self.connections_opened = 0

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            timeout=self.timeout,
            use_tls=self.use_tls,
            start_tls=self.starttls,
            validate_certs=self.validate_certs,
            local_hostname=self.local_hostname,
        )
        await client.connect()
        try:
            if self.username:
                await client.login(self.username, self.password)
        except BaseException:
            await _close(client)
            raise
        self.connections_opened += 1
        return client

    async def send(self, email: OutgoingEmail) -> None:
        """Send one email; raises ``SendFailed`` with the classified failure."""
        message = render(email, self._now())
        recipients = email.envelope_recipients
        client = await self._idle.get()
        try:
            reused = client is not None and client.is_connected
            if not reused:
                client = await self._connect()
            assert client is not None
            try:
                errors = await self._transmit(client, message, email, recipients)
            except (aiosmtplib.SMTPServerDisconnected, ConnectionError):
                if not reused:
                    raise
                # the server closed this pooled connection while it was idle: one fresh try
                await _close(client)
                client = None
                client = await self._connect()
                errors = await self._transmit(client, message, email, recipients)
        except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused) as exc:
            # a refusal: aiosmtplib has reset the envelope, the connection stays usable
            self._release(client)
            raise SendFailed(_classify(exc, email)) from exc
        except Exception as exc:
            await self._discard(client)
            raise SendFailed(_classify(exc, email)) from exc
        except BaseException:  # cancelled mid-conversation: the connection's state is unknown
            await self._discard(client)
            raise
        self._release(client)
        refused_to = errors.get(email.to.addr_spec) or errors.get(email.to.addr_spec.lower())
        if refused_to is not None:
            # the copies went out, but the recipient refused it
            raise SendFailed(classify_smtp_reply(refused_to.code, refused_to.message, for_recipient=True))
        if errors:
            log.warning("copies refused for %s: %s", email.message_id, {k: str(v) for k, v in errors.items()})

    @staticmethod
    async def _transmit(
        client: aiosmtplib.SMTP, message: bytes, email: OutgoingEmail, recipients: list[str]
    ) -> dict[str, aiosmtplib.SMTPResponse]:
        """One mail transaction: what ``SMTP.sendmail`` does, without re-parsing our addresses.

        ``sendmail`` runs every address through ``email.utils.parseaddr`` and measures the
        message once more for SIZE, a sixth of the CPU of a send. Our addresses are already
        validated plain ASCII ``local@domain`` (``domain.outgoing_email``) and the message is
        CRLF throughout, so the commands are written directly; aiosmtplib still refuses any
        control character in a command and does the DATA transfer (dot-stuffing). Same
        outcomes as ``sendmail``: a refused sender or message raises, refused recipients are
        answered, all refused raises ``SMTPRecipientsRefused``; the envelope is reset after
        a refusal so the connection stays usable.
        """
        if client.is_ehlo_or_helo_needed:
            await _greet(client)
        options = (b"SIZE=%d" % len(message),) if client.supports_extension("size") else ()
        try:
            sender = email.envelope_sender
            reply = await client.execute_command(b"MAIL", b"FROM:<" + sender.encode("ascii") + b">", *options)
            if reply.code != SMTPStatus.completed:
                raise aiosmtplib.SMTPSenderRefused(reply.code, reply.message, sender)
            refused: list[aiosmtplib.SMTPRecipientRefused] = []
            for recipient in recipients:
                reply = await client.execute_command(b"RCPT", b"TO:<" + recipient.encode("ascii") + b">")
                if reply.code not in (SMTPStatus.completed, SMTPStatus.will_forward):
                    refused.append(aiosmtplib.SMTPRecipientRefused(reply.code, reply.message, recipient))
            if len(refused) == len(recipients):
                raise aiosmtplib.SMTPRecipientsRefused(refused)
            await client.data(message)
        except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
            try:
                await client.rset()
            except (ConnectionError, aiosmtplib.SMTPResponseException):
                pass
            raise
        return {r.recipient: aiosmtplib.SMTPResponse(r.code, r.message) for r in refused}

    def _release(self, client: aiosmtplib.SMTP | None) -> None:
        self._idle.put_nowait(client if client is not None and client.is_connected else None)

    async def _discard(self, client: aiosmtplib.SMTP | None) -> None:
        self._idle.put_nowait(None)
        if client is not None:
            await _close(client)

    async def close(self) -> None:
        clients = []
        while not self._idle.empty():
            clients.append(self._idle.get_nowait())
        for c in clients:
            if c is not None:
                await _close(c)
        for _ in clients:
            self._idle.put_nowait(None)


async def _close(client: aiosmtplib.SMTP) -> None:
    try:
        if client.is_connected:
            await asyncio.wait_for(client.quit(), timeout=2)
    except Exception:
        client.close()


async def _greet(client: aiosmtplib.SMTP) -> None:
    """EHLO, or HELO for a server that does not speak ESMTP."""
    try:
        await client.ehlo()
    except aiosmtplib.SMTPHeloError:
        if not client.is_connected:
            raise
        await client.helo()


def _transient(exc: BaseException) -> Failure:
    return Failure(FailureKind.TRANSIENT, f"{type(exc).__name__}: {exc}".strip()[:500])


def _classify(exc: BaseException, email: OutgoingEmail) -> Failure:
    """A domain failure from an aiosmtplib (or socket) error."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = {r.recipient.lower(): r for r in exc.recipients}
        mine = refused.get(email.to.addr_spec.lower()) or (exc.recipients[0] if exc.recipients else None)
        if mine is None:
            return _transient(exc)
        return classify_smtp_reply(mine.code, mine.message, for_recipient=True)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        return classify_smtp_reply(exc.code, exc.message, for_recipient=True)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPConnectResponseError):
        # our configuration or the relay's state, not this email: try again later
        return Failure(FailureKind.TRANSIENT, f"{exc.code} {exc.message}", exc.code)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return classify_smtp_reply(exc.code, exc.message, for_recipient=False)
    if isinstance(exc, ssl.SSLError | aiosmtplib.SMTPNotSupported):
        return _transient(exc)
    return _transient(exc)
