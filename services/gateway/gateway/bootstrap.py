"""The one place that wires the gateway: settings, runtime, sessions, upstream services, routes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from uuid import UUID

from fastapi import FastAPI, Request

from gateway.adapters.orm import metadata
from gateway.adapters.upstream import Upstreams
from gateway.config import Settings
from gateway.domain.client_address import trusted_networks
from gateway.domain.login_throttle import ThrottlePolicy
from gateway.entrypoints import auth_http, proxy_http, ui
from gateway.entrypoints.deps import Gateway
from gateway.service_layer.auth import Authenticator
from gateway.service_layer.organizations import OrganizationNames
from servicekit.clock import Clock, SystemClock
from servicekit.identity import HEADER as IDENTITY_HEADER
from servicekit.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    return ServiceRuntime(settings, metadata, migrations_dir=MIGRATIONS, uses_kafka=False)


def build_authenticator(runtime: ServiceRuntime, settings: Settings, clock: Clock) -> Authenticator:
    return Authenticator(
        runtime.sessions,
        clock,
        policy=ThrottlePolicy(
            free_attempts=settings.login_free_attempts,
            base_delay_seconds=settings.login_base_delay_seconds,
            max_delay_seconds=settings.login_max_delay_seconds,
        ),
        session_ttl=timedelta(hours=settings.session_ttl_hours),
    )


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    clock = clock or SystemClock()
    runtime = build_runtime(settings)
    upstreams = Upstreams(
        {
            "assemblies": settings.assemblies_url,
            "batches": settings.batches_url,
            "generator": settings.generator_url,
            "documents": settings.documents_url,
        },
        connect_timeout=settings.upstream_connect_timeout_seconds,
        read_timeout=settings.upstream_read_timeout_seconds,
    )

    async def organization_name(org_id: UUID, token: str) -> str | None:
        answer = await upstreams.client.get(
            f"{upstreams.base_urls['assemblies']}/organization", headers={IDENTITY_HEADER: token}, timeout=3.0
        )
        if answer.status_code != 200:
            return None
        return answer.json().get("name")

    async def close_upstreams(_runtime: ServiceRuntime) -> None:
        await upstreams.close()

    runtime.on_stop.append(close_upstreams)

    app = runtime.http_app(
        title="gateway",
        routers=[auth_http.router, proxy_http.router, ui.ui_router()],
        docs_url=None,
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.gateway = Gateway(
        settings=settings,
        auth=build_authenticator(runtime, settings, clock),
        upstreams=upstreams,
        organizations=OrganizationNames(organization_name),
        trusted_proxies=trusted_networks(settings.trusted_proxies),
    )
    app.mount("/static", ui.static_files(), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
