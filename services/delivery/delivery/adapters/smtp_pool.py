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
        errors, _reply = await client.sendmail(email.envelope_sender, recipients, message)
        return errors

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


class ThreadedMailer:
    """Runs an ``SmtpPool`` on its own event loop in its own thread.

    The SMTP conversations are chains of small round trips; on the service's main loop
    each step waits behind whatever else is running there (database statements, the
    outbox relay, Kafka), which halves the throughput of the connections. On their own
    loop they are resumed as soon as their socket is ready (the GIL is released while
    waiting on sockets and the database).
    """

    def __init__(self, make_pool: Callable[[], SmtpPool], size: int) -> None:
        import sys
        import threading

        # hand the GIL over sooner, so a ready SMTP socket is served while the main loop computes
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        self.size = size
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="smtp-pool", daemon=True)
        self._thread.start()
        self._ready.wait()
        self._pool: SmtpPool = asyncio.run_coroutine_threadsafe(self._make(make_pool), self._loop).result()

    @staticmethod
    async def _make(make_pool: Callable[[], SmtpPool]) -> SmtpPool:
        return make_pool()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(self._ready.set)
        self._loop.run_forever()

    async def send(self, email: OutgoingEmail) -> None:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._pool.send(email), self._loop))

    async def close(self) -> None:
        if not self._loop.is_running():
            return
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._pool.close(), self._loop))
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join, 5)
