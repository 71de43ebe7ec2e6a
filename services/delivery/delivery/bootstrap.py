"""The one place that wires the delivery service: settings, runtime, SMTP pool, routes, consumers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from contracts.events import DeliveryReported
from delivery.adapters.documents_client import DocumentsClient
from delivery.adapters.orm import metadata
from delivery.adapters.report_publisher import KafkaReportPublisher
from delivery.adapters.smtp_pool import SmtpPool
from delivery.config import Settings
from delivery.domain.ledger import RetryPolicy
from delivery.entrypoints.consumers import register_consumers
from delivery.entrypoints.http import router
from delivery.service_layer.delivery import DeliveryService
from servicekit.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger(__name__)


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, metadata, migrations_dir=MIGRATIONS)
    runtime.declare_publishes(DeliveryReported)
    return runtime


def build_service(
    settings: Settings, runtime: ServiceRuntime, publisher: KafkaReportPublisher | None = None
) -> DeliveryService:
    mailer = SmtpPool(
        settings.smtp_host,
        settings.smtp_port,
        size=settings.smtp_pool_size,
        timeout=settings.smtp_timeout_seconds,
        starttls=settings.smtp_starttls,
        use_tls=settings.smtp_use_tls,
        validate_certs=settings.smtp_validate_certs,
        username=settings.smtp_username,
        password=settings.smtp_password,
        local_hostname=settings.smtp_local_hostname,
    )
    documents = DocumentsClient(settings.documents_url, settings.identity_secret)
    return DeliveryService(
        runtime.sessions,
        runtime.tables,
        mailer,
        documents,
        publisher=publisher,
        retry_policy=RetryPolicy(settings.retry_max_attempts, settings.retry_base_seconds, settings.retry_max_seconds),
        report_sending=settings.report_sending,
        stale_sending_after=timedelta(seconds=settings.stale_sending_seconds),
        circuit_seconds=settings.circuit_seconds,
        begin_chunk=settings.begin_chunk_size,
        max_begin_chunk=settings.max_begin_chunk_size,
    )


async def _retry_loop(service: DeliveryService, settings: Settings) -> None:
    while True:
        try:
            attempted = await service.retry_due(settings.retry_batch_size)
        except Exception:  # keep retrying after a database hiccup
            log.exception("retry pass failed")
            attempted = 0
        if attempted == 0:
            await asyncio.sleep(settings.retry_poll_seconds)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime(settings)
    publisher = (
        KafkaReportPublisher(settings.kafka_bootstrap_servers, client_id=f"{settings.service_name}-reports")
        if settings.report_directly
        else None
    )
    service = build_service(settings, runtime, publisher)
    assert runtime.broker is not None
    register_consumers(
        runtime.broker,
        service,
        batch_size=settings.consumer_batch_size,
        batch_timeout_ms=settings.consumer_batch_timeout_ms,
    )
    tasks: list[asyncio.Task[None]] = []

    async def start(_runtime: ServiceRuntime) -> None:
        if publisher is not None:
            await publisher.start()
        await service.start()
        tasks.append(asyncio.create_task(_retry_loop(service, settings), name="delivery-retry-loop"))

    async def stop(rt: ServiceRuntime) -> None:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # consumers first, so no handler is left waiting on the recorder we stop next
        if rt.broker is not None:
            await rt.broker.stop()
        await service.stop()
        await service.close_adapters()
        if publisher is not None:
            await publisher.close()

    runtime.on_start.append(start)
    runtime.on_stop.append(stop)
    app = runtime.http_app(title="delivery", routers=[router])
    app.state.delivery = service
    return app
