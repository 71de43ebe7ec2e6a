"""The one place that wires the delivery service: settings, runtime, routes, consumers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from delivery.adapters.orm import metadata
from delivery.config import Settings
from servicekit.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    return ServiceRuntime(settings, metadata, migrations_dir=MIGRATIONS)


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = build_runtime(settings)
    return runtime.http_app(title="delivery")
