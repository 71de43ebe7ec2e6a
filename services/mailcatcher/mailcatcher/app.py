"""Runs the SMTP server and the HTTP API together in one process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from mailcatcher.config import Settings
from mailcatcher.faults import Faults
from mailcatcher.http import create_http_app
from mailcatcher.smtp import smtp_controller
from mailcatcher.store import Mailbox

log = logging.getLogger("mailcatcher")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The HTTP app; its lifespan starts and stops the SMTP server."""
    settings = settings or Settings()
    mailbox = Mailbox(settings.store_dir)
    faults = Faults(
        reject_pattern=settings.reject_pattern, tempfail_next=settings.tempfail_next, delay_ms=settings.delay_ms
    )
    controller = smtp_controller(
        mailbox,
        faults,
        host=settings.host,
        port=settings.smtp_port,
        auth_username=settings.auth_username,
        auth_password=settings.auth_password,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        controller.start()
        log.warning(
            "mail catcher: SMTP on %s:%s, HTTP on %s:%s, %s message(s) loaded",
            settings.host,
            settings.smtp_port,
            settings.host,
            settings.http_port,
            mailbox.count(),
        )
        try:
            yield
        finally:
            controller.stop()

    return create_http_app(mailbox, faults, lifespan=lifespan)


def main() -> None:
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.http_port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )
