"""The SMTP side: an aiosmtpd handler that stores messages and applies the faults."""

from __future__ import annotations

import asyncio
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from mailcatcher.faults import Faults
from mailcatcher.store import Mailbox

REJECTED = "550 5.1.1 mailbox unavailable"
TEMPFAIL = "451 4.3.0 temporary failure, try again later"


class CatcherHandler:
    def __init__(self, mailbox: Mailbox, faults: Faults) -> None:
        self.mailbox = mailbox
        self.faults = faults

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if self.faults.rejects(address):
            return REJECTED
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.faults.delay_ms:
            await asyncio.sleep(self.faults.delay_ms / 1000)
        if self.faults.take_tempfail():
            return TEMPFAIL
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        self.mailbox.add(envelope.mail_from or "", list(envelope.rcpt_tos), raw)
        return "250 Message accepted for delivery"


class _Authenticator:
    def __init__(self, username: str, password: str) -> None:
        self.username = username.encode()
        self.password = password.encode()

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.username
            and auth_data.password == self.password
        )
        return AuthResult(success=ok)


def smtp_controller(
    mailbox: Mailbox,
    faults: Faults,
    *,
    host: str,
    port: int,
    auth_username: str = "",
    auth_password: str = "",
) -> Controller:
    """An aiosmtpd Controller (its own thread and event loop) on ``host:port``; call ``start()``."""
    kwargs: dict[str, Any] = {"server_hostname": "mailcatcher", "data_size_limit": 50 * 1024 * 1024}
    if auth_username and auth_password:
        kwargs.update(
            authenticator=_Authenticator(auth_username, auth_password), auth_required=True, auth_require_tls=False
        )
    return Controller(CatcherHandler(mailbox, faults), hostname=host, port=port, **kwargs)
