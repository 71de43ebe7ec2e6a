"""The assemblies service on a real database (TEST_DB=postgres|sqlite) and the real Kafka broker.

One app per test session, with a fixed clock; each test module loads its own generated
organizations (fresh ids), and tests that change data make their own organization.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from assemblies.bootstrap import create_app
from assemblies.config import Settings
from assemblies.demo import DemoData, generate
from assemblies.demo.loader import load_demo
from servicekit.clock import FixedClock
from servicekit.identity import HEADER, issue_identity_token
from tests.conftest import KAFKA_BOOTSTRAP, PG_BASE_URL, TEST_DB

os.environ.setdefault("KAFKA_NAMESPACE", f"t{uuid.uuid4().hex[:8]}.")

SECRET = "assemblies-test-secret-0123456789"
TODAY = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DB == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('assemblies')}/assemblies.db"
    return f"{PG_BASE_URL}/test_assemblies"


@pytest.fixture(scope="session")
def clock() -> FixedClock:
    return FixedClock(TODAY)


@pytest.fixture(scope="session")
async def app(database_url: str, clock: FixedClock) -> AsyncIterator[FastAPI]:
    settings = Settings(
        database_url=database_url, kafka_bootstrap_servers=KAFKA_BOOTSTRAP, identity_secret=SECRET, log_json=False
    )
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


def token_headers(org_id: UUID, role: str = "org_admin") -> dict[str, str]:
    return {HEADER: issue_identity_token(SECRET, org_id=org_id, role=role, user_id=uuid.uuid4(), ttl_seconds=600)}


@pytest.fixture(scope="session")
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://assemblies.test") as client:
        yield client


@dataclass
class Utility:
    """A generated organization loaded into the service, and a client signed in to it."""

    org_id: UUID
    data: DemoData
    client: httpx.AsyncClient
    headers: dict[str, str]

    async def get(self, path: str, **kwargs: object) -> httpx.Response:
        return await self.client.get(path, headers=self.headers, **kwargs)

    async def post(self, path: str, **kwargs: object) -> httpx.Response:
        return await self.client.post(path, headers=self.headers, **kwargs)


async def load_utility(app: FastAPI, http: httpx.AsyncClient, n: int, seed: int) -> Utility:
    org_id = uuid.uuid4()
    today = app.state.assemblies.clock.today()
    await load_demo(app.state.assemblies.sessions, org_id, n, seed, today)
    return Utility(org_id, generate(org_id, n, seed, today), http, token_headers(org_id))


@pytest.fixture(scope="module")
async def utility(app: FastAPI, http: httpx.AsyncClient) -> Utility:
    """The organization the module's tests read (1,200 assemblies)."""
    return await load_utility(app, http, 1200, seed=11)


@pytest.fixture(scope="module")
async def other_utility(app: FastAPI, http: httpx.AsyncClient) -> Utility:
    """A second organization whose records must never show to the first."""
    return await load_utility(app, http, 300, seed=12)
