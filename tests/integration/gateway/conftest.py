"""The gateway as a real HTTP server on a free port, with stub services behind it."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
import uvicorn

from gateway.bootstrap import create_app
from gateway.config import Settings
from servicekit.clock import FixedClock
from tests.conftest import PG_BASE_URL, TEST_DB
from tests.integration.gateway.stub_services import make_stub

SECRET = "test-identity-secret-0123456789abcdef"


class LiveServer:
    """An ASGI app served by uvicorn on 127.0.0.1 in the test's event loop."""

    def __init__(self, app) -> None:
        self.app = app
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None, access_log=False, lifespan="on")
        )
        self.task: asyncio.Task | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> LiveServer:
        self.task = asyncio.create_task(self.server.serve())
        for _ in range(300):
            if self.server.started:
                return self
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.05)
        raise RuntimeError("server did not start")

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task:
            await self.task


def free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture(scope="session")
def gateway_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DB == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('gateway')}/gateway.db"

    async def create() -> None:
        conn = await asyncpg.connect(PG_BASE_URL.replace("postgresql+asyncpg", "postgresql") + "/postgres")
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = 'test_gateway'"):
                await conn.execute("CREATE DATABASE test_gateway")
        finally:
            await conn.close()

    asyncio.run(create())
    return f"{PG_BASE_URL}/test_gateway"


@dataclass
class Stack:
    gateway: LiveServer
    stubs: dict[str, LiveServer]
    clock: FixedClock
    down_port: int
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.gateway.url

    @property
    def auth(self):
        return self.gateway.app.state.gateway.auth

    def calls(self, service: str) -> list[tuple[str, str]]:
        return self.stubs[service].app.state.calls

    async def user(self, role: str = "org_admin", org_id: uuid.UUID | None = None, password: str = "pw-correct-horse"):
        email = f"{role}-{uuid.uuid4().hex[:10]}@example.test"
        user = await self.auth.save_user(
            org_id=org_id or uuid.uuid4(), email=email, name=f"Test {role}", role=role, password=password
        )
        return user, password

    async def signed_in(
        self, role: str = "org_admin", org_id: uuid.UUID | None = None
    ) -> tuple[httpx.AsyncClient, dict]:
        """A browser-like client with the session cookie, and the login answer."""
        user, password = await self.user(role, org_id)
        client = httpx.AsyncClient(base_url=self.url, timeout=30)
        self.clients.append(client)
        answer = await client.post("/api/auth/login", json={"email": user.email, "password": password})
        assert answer.status_code == 200, answer.text
        return client, answer.json()


@pytest.fixture(scope="session")
async def stack(gateway_database_url: str) -> AsyncIterator[Stack]:
    stubs = {
        name: await LiveServer(make_stub(name, SECRET)).start()
        for name in ("assemblies", "batches", "generator", "documents")
    }
    down_port = free_port()
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    settings = Settings(
        database_url=gateway_database_url,
        identity_secret=SECRET,
        assemblies_url=stubs["assemblies"].url,
        batches_url=stubs["batches"].url,
        generator_url=stubs["generator"].url,
        documents_url=stubs["documents"].url,
        log_json=False,
    )
    gateway = await LiveServer(create_app(settings, clock=clock)).start()
    stack = Stack(gateway=gateway, stubs=stubs, clock=clock, down_port=down_port)
    yield stack
    for client in stack.clients:
        await client.aclose()
    await gateway.stop()
    for stub in stubs.values():
        await stub.stop()
