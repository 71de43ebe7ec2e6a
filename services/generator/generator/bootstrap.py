"""The one place that wires the generator service: settings, runtime, routes, consumers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from contracts.events import CommunicationsGenerated
from generator.adapters.assemblies_client import AssembliesClient
from generator.adapters.orm import metadata
from generator.config import Settings
from generator.entrypoints.consumers import register_consumers
from generator.entrypoints.http import install_error_handlers, router
from generator.service_layer.catalog import Catalog, MemberSource
from generator.service_layer.generation import CompiledTemplates
from servicekit.clock import Clock
from servicekit.runtime import ServiceRuntime
from servicekit.service_client import service_http_client

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def build_runtime(settings: Settings | None = None, *, uses_kafka: bool = True) -> ServiceRuntime:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, metadata, migrations_dir=MIGRATIONS, uses_kafka=uses_kafka)
    if runtime.broker is not None:
        runtime.declare_publishes(CommunicationsGenerated)
    return runtime


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    members: MemberSource | None = None,
    uses_kafka: bool = True,
) -> FastAPI:
    """The HTTP app; its lifespan runs migrations, the outbox relay and the consumer (without Kafka: HTTP only)."""
    settings = settings or Settings()
    runtime = build_runtime(settings, uses_kafka=uses_kafka)
    templates = CompiledTemplates(settings.compiled_templates_cache)
    if runtime.broker is not None:
        register_consumers(runtime.broker, runtime, templates, settings.instance_name)

    http = None
    if members is None:
        http = service_http_client(settings.assemblies_url)
        members = AssembliesClient(http)

    async def close_http(_runtime: ServiceRuntime) -> None:
        if http is not None:
            await http.aclose()

    runtime.on_stop.append(close_http)
    app = runtime.http_app(title="generator", routers=[router])
    app.state.catalog = Catalog(runtime.sessions, clock=clock, members=members)
    app.state.compiled_templates = templates
    install_error_handlers(app)
    return app
