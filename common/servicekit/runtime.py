"""One service process: database, outbox relay, Kafka broker and HTTP app, started together.

``ServiceRuntime`` is what a service's bootstrap builds; ``http_app`` gives the FastAPI
app whose lifespan starts and stops everything; ``serve`` runs it with uvicorn.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from faststream.specification import AsyncAPI
from sqlalchemy import MetaData, text

from contracts.envelope import Event
from servicekit.db import create_engine, create_session_factory
from servicekit.health import Check, health_router
from servicekit.identity import IdentityVerifier
from servicekit.kafka import DeadLetterPolicy, create_broker, ensure_topics
from servicekit.logs import configure_logging, set_correlation_id
from servicekit.messaging_tables import MessagingTables, add_messaging_tables
from servicekit.migrations import upgrade
from servicekit.naming import topic_name
from servicekit.outbox import OutboxRelay
from servicekit.settings import ServiceSettings

log = logging.getLogger(__name__)

Hook = Callable[["ServiceRuntime"], Awaitable[None]]


class ServiceRuntime:
    def __init__(
        self,
        settings: ServiceSettings,
        metadata: MetaData,
        *,
        migrations_dir: Path | None,
        uses_kafka: bool = True,
        relay_outbox: bool = True,
    ) -> None:
        self.settings = settings
        self.metadata = metadata
        self.tables: MessagingTables = add_messaging_tables(metadata)
        self.migrations_dir = migrations_dir
        self.engine = create_engine(settings.database_url)
        self.sessions = create_session_factory(self.engine)
        self.uses_kafka = uses_kafka
        self.dead_letters = DeadLetterPolicy(max_attempts=settings.consumer_max_attempts)
        self.broker = (
            create_broker(
                settings.kafka_bootstrap_servers,
                client_id=settings.service_name,
                dead_letters=self.dead_letters,
                compression=settings.kafka_compression,
            )
            if uses_kafka
            else None
        )
        self.relay = (
            OutboxRelay(
                self.sessions,
                self.tables,
                settings.kafka_bootstrap_servers,
                poll_seconds=settings.outbox_poll_seconds,
                client_id=f"{settings.service_name}-outbox",
                compression=settings.kafka_compression,
            )
            if uses_kafka and relay_outbox
            else None
        )
        self.on_start: list[Hook] = []
        self.on_stop: list[Hook] = []
        self.started = False

    def declare_publishes(self, *event_types: type[Event]) -> None:
        """Name the events this service stages in its outbox, so its AsyncAPI document lists them."""
        assert self.broker is not None
        for event_type in event_types:
            self.broker.publisher(
                topic_name(event_type.TOPIC),
                schema=event_type,
                title=f"{self.settings.service_name}:{event_type.TOPIC}",
                description=(event_type.__doc__ or "").strip(),
            )

    def asyncapi(self) -> dict[str, Any]:
        """The AsyncAPI document of this worker: the events it consumes and publishes."""
        assert self.broker is not None
        spec = AsyncAPI(self.broker, title=f"{self.settings.service_name} events", version="1")
        return json.loads(spec.to_specification().to_json())

    async def check_database(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def check_kafka(self) -> bool:
        assert self.broker is not None
        return await self.broker.ping(timeout=2.0)

    def readiness_checks(self) -> dict[str, Check]:
        checks: dict[str, Check] = {"database": self.check_database}
        if self.broker is not None:
            checks["kafka"] = self.check_kafka
        return checks

    async def migrate(self) -> None:
        if self.migrations_dir is not None:
            await asyncio.to_thread(upgrade, self.settings.database_url, self.migrations_dir)

    async def start(self) -> None:
        if self.settings.run_migrations:
            await self.migrate()
        if self.broker is not None:
            await self._ensure_topics_when_kafka_answers()
            if self.relay is not None:
                await self.relay.start()
            await self.broker.start()
        for hook in self.on_start:
            await hook(self)
        self.started = True
        settle_garbage_collector(self.settings.gc_young_threshold)

    async def _ensure_topics_when_kafka_answers(self) -> None:
        # a service may start before the broker (a restart of both, a slow broker): wait a while
        deadline = time.monotonic() + self.settings.kafka_startup_timeout_seconds
        while True:
            try:
                await ensure_topics(self.settings.kafka_bootstrap_servers, self.settings.kafka_topic_partitions)
                return
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise
                log.warning("Kafka not reachable yet (%s); retrying", exc)
                await asyncio.sleep(2.0)

    async def stop(self) -> None:
        for hook in reversed(self.on_stop):
            try:
                await hook(self)
            except Exception:
                log.exception("stop hook failed")
        if self.broker is not None:
            await self.broker.stop()
        if self.relay is not None:
            await self.relay.stop()
        await self.engine.dispose()
        self.started = False

    def http_app(
        self, *, title: str, routers: Sequence[APIRouter] = (), version: str = "0.1.0", **kwargs: Any
    ) -> FastAPI:
        runtime = self

        @asynccontextmanager
        async def lifespan(_app: FastAPI):  # type: ignore[no-untyped-def]
            await runtime.start()
            try:
                yield
            finally:
                await runtime.stop()

        app = FastAPI(title=title, version=version, lifespan=lifespan, **kwargs)
        app.state.runtime = self
        app.state.identity_verifier = IdentityVerifier(self.settings.identity_secret, self.settings.identity_issuer)
        app.include_router(health_router(self.readiness_checks()))
        for router in routers:
            app.include_router(router)
        if self.broker is not None:

            @app.get("/asyncapi.json", include_in_schema=False)
            async def asyncapi_document() -> dict[str, Any]:
                return runtime.asyncapi()

        @app.middleware("http")
        async def correlation(request: Request, call_next):  # type: ignore[no-untyped-def]
            cid = set_correlation_id(request.headers.get("X-Correlation-ID"))
            started = time.perf_counter()
            response = await call_next(request)
            response.headers["X-Correlation-ID"] = cid
            if request.url.path not in ("/healthz", "/readyz"):
                log.info(
                    "%s %s -> %s in %.1f ms",
                    request.method,
                    request.url.path,
                    response.status_code,
                    (time.perf_counter() - started) * 1000,
                )
            return response

        @app.exception_handler(Exception)
        async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
            log.exception("unhandled error")
            return JSONResponse({"detail": "internal error; see the service log"}, status_code=500)

        return app


def settle_garbage_collector(young_threshold: int) -> None:
    """Keep the garbage collector off what lives as long as the process.

    A started service holds hundreds of thousands of objects (modules, schemas, compiled
    statements, templates) that never become garbage. Every full collection walked them all,
    and a chunk of a batch (thousands of snapshots, rendered texts and rows, alive until the
    chunk is done) set off many collections: about a third of the generator's and of batches'
    CPU in a generation (bench/batches_generation_bench.py). ``gc.freeze`` moves the objects
    alive now out of the collector's sight, and a higher first threshold lets a chunk's
    short-lived objects go by reference counting before a collection looks at them. Cycles are
    still collected, only less often.
    """
    if young_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(young_threshold, older, oldest)


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run the service's HTTP app (and with it its consumers and relay) until stopped."""
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
