"""The one place that wires the batches service: settings, runtime, clients, routes, consumers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from batches.adapters.http_clients import AssembliesClient, DocumentsClient, GeneratorClient
from batches.adapters.orm import metadata
from batches.config import Settings
from batches.entrypoints.consumers import register_consumers
from batches.entrypoints.http import install_error_handlers, router
from batches.entrypoints.queue_http import router as queue_router
from batches.entrypoints.scheduler import AutoScheduler
from batches.service_layer.handlers import Dependencies
from contracts.events import BatchClosed, DeliveryRequested, GenerationRequested
from servicekit.clock import Clock, SystemClock
from servicekit.runtime import ServiceRuntime
from servicekit.service_client import service_http_client

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, metadata, migrations_dir=MIGRATIONS)
    runtime.declare_publishes(GenerationRequested, DeliveryRequested, BatchClosed)
    return runtime


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime(settings)
    http_clients = [
        service_http_client(settings.assemblies_url),
        service_http_client(settings.generator_url),
        service_http_client(settings.documents_url),
    ]
    deps = Dependencies(
        sessions=runtime.sessions,
        tables=runtime.tables,
        assemblies=AssembliesClient(http_clients[0]),
        templates=GeneratorClient(http_clients[1]),
        documents=DocumentsClient(http_clients[2]),
        clock=clock or SystemClock(),
        chunk_size=settings.chunk_size,
        partitions=settings.kafka_topic_partitions,
        snapshot_page_size=settings.snapshot_page_size,
        snapshot_concurrency=settings.snapshot_concurrency,
    )
    if runtime.broker is not None:
        register_consumers(runtime.broker, deps, results_consumers=settings.results_consumers)

    async def close_clients(_runtime: ServiceRuntime) -> None:
        for client in http_clients:
            await client.aclose()

    scheduler = AutoScheduler(
        deps,
        runtime.engine,
        settings.identity_secret,
        interval_seconds=settings.auto_run_interval_seconds,
        run_at=settings.auto_run_at,
    )
    if settings.auto_run_enabled:
        runtime.on_start.append(scheduler.start)
        runtime.on_stop.append(scheduler.stop)
    runtime.on_stop.append(close_clients)
    app = runtime.http_app(title="batches", routers=[router, queue_router])
    app.state.deps = deps
    app.state.auto_scheduler = scheduler
    install_error_handlers(app)
    return app
