"""The one place that wires the assemblies service: settings, runtime, clock, routes, consumers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from assemblies.adapters.orm import metadata
from assemblies.config import Settings
from assemblies.entrypoints import consumers
from assemblies.entrypoints.http import AppContext, install_error_handlers, internal, public
from servicekit.clock import Clock, SystemClock
from servicekit.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, metadata, migrations_dir=MIGRATIONS)
    if runtime.broker is not None:
        consumers.register(runtime.broker, runtime)
    return runtime


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime(settings)
    app = runtime.http_app(title="assemblies", routers=[public, internal])
    app.state.assemblies = AppContext(sessions=runtime.sessions, clock=clock or SystemClock(), settings=settings)
    install_error_handlers(app)
    return app
