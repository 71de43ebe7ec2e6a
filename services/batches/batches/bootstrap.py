"""The one place that wires the batches service: settings, runtime, routes, consumers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from batches.adapters.orm import metadata
from batches.config import Settings
from servicekit.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    return ServiceRuntime(settings, metadata, migrations_dir=MIGRATIONS)


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = build_runtime(settings)
    return runtime.http_app(title="batches")
