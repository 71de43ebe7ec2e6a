"""The one place that wires the documents service: settings, runtime, storage, routes, consumers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from pathlib import Path

from fastapi import FastAPI

from contracts.events import LetterRendered
from documents.adapters.orm import metadata
from documents.adapters.pdf_concat import ConcatenationResult, concatenate
from documents.adapters.pdf_letter import render_letter
from documents.adapters.storage import DocumentStorage, FolderStorage
from documents.config import Settings
from documents.entrypoints import consumers
from documents.entrypoints.http import router
from documents.service_layer.handlers import DocumentsService
from servicekit.clock import Clock, SystemClock
from servicekit.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

log = logging.getLogger(__name__)


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, metadata, migrations_dir=MIGRATIONS)
    runtime.declare_publishes(LetterRendered)
    return runtime


def build_service(
    runtime: ServiceRuntime, settings: Settings, *, clock: Clock | None = None, storage: DocumentStorage | None = None
) -> DocumentsService:
    return DocumentsService(
        sessions=runtime.sessions,
        tables=runtime.tables,
        storage=storage or FolderStorage(settings.storage_dir),
        render=render_letter,
        concatenate=concatenate,
        new_page_counter=ConcatenationResult,
        keyring=settings.keyring(),
        clock=clock or SystemClock(),
        link_lifetime=settings.link_lifetime,
        retention_days=settings.retention_days,
        combined_wait_seconds=settings.combined_wait_seconds,
        download_wait_seconds=settings.download_wait_seconds,
    )


def _schedule_purge(runtime: ServiceRuntime, service: DocumentsService, interval: float) -> None:
    task: asyncio.Task[None] | None = None

    async def loop() -> None:
        while True:
            try:
                await service.purge_expired()
            except Exception:  # the next round tries again
                log.exception("purge of old documents failed")
            await asyncio.sleep(interval)

    async def start(_runtime: ServiceRuntime) -> None:
        nonlocal task
        task = asyncio.create_task(loop(), name="documents-purge")

    async def stop(_runtime: ServiceRuntime) -> None:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    runtime.on_start.append(start)
    runtime.on_stop.append(stop)


async def _freeze_startup_objects(_runtime: ServiceRuntime) -> None:
    # rendering allocates many short-lived objects; keep the collector's full passes off the
    # long-lived modules and framework objects loaded at start
    gc.collect()
    gc.freeze()


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, storage: DocumentStorage | None = None
) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime(settings)
    service = build_service(runtime, settings, clock=clock, storage=storage)
    assert runtime.broker is not None
    consumers.register(runtime.broker, service)
    runtime.on_start.append(_freeze_startup_objects)
    _schedule_purge(runtime, service, settings.purge_interval_seconds)
    app = runtime.http_app(title="documents", routers=[router])
    app.state.documents = service
    return app
