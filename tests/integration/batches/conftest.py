"""The batches service in-process on real Kafka and a real database, with its neighbours stubbed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from batches.bootstrap import create_app
from batches.config import Settings
from servicekit.identity import HEADER, issue_identity_token
from tests.conftest import KAFKA_BOOTSTRAP, PG_BASE_URL, TEST_DB, own_kafka_namespace
from tests.integration.batches.batches_stubs import DeliveryListener, GeneratorPlayer, Neighbours, Server
from tests.unit.batches.batches_fakes import organization

SECRET = "batches-integration-identity-secret-0123456789"


@pytest.fixture(scope="package")
def batches_namespace() -> Iterator[str]:
    # our own namespace, only while the batches tests run: their stub generator and delivery
    # must not answer (or steal) other packages' events
    with own_kafka_namespace("tb") as namespace:
        yield namespace


@pytest.fixture(scope="session")
async def batches_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DB == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('batches')}/batches.db"
    conn = await asyncpg.connect(PG_BASE_URL.replace("postgresql+asyncpg", "postgresql") + "/postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = 'test_batches'"):
            await conn.execute("CREATE DATABASE test_batches")
    finally:
        await conn.close()
    return f"{PG_BASE_URL}/test_batches"


class Stage:
    """The running batches service, its stub neighbours and the Kafka players."""

    def __init__(self, batches: Server, neighbours: Neighbours, generator: GeneratorPlayer, delivery: DeliveryListener):
        self.batches = batches
        self.neighbours = neighbours
        self.generator = generator
        self.delivery = delivery

    def new_org(self, members: list[Any]) -> uuid.UUID:
        org_id = uuid.uuid4()
        self.neighbours.organizations[org_id] = organization(org_id)
        for m in members:
            self.neighbours.members[org_id][m.assembly.id] = m
        return org_id

    def client(self, org_id: uuid.UUID, role: str = "org_admin") -> httpx.AsyncClient:
        token = issue_identity_token(SECRET, org_id=org_id, role=role, user_id=uuid.uuid4(), ttl_seconds=600)
        return httpx.AsyncClient(base_url=self.batches.url, headers={HEADER: token}, timeout=30)

    @staticmethod
    async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 60, every: float = 0.2) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = await check()
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")
            await asyncio.sleep(every)


@pytest.fixture(scope="package")
async def stage(batches_namespace: str, batches_database_url: str) -> AsyncIterator[Stage]:
    neighbours = Neighbours(SECRET)
    stubs = Server(neighbours.app)
    await stubs.start()
    settings = Settings(
        database_url=batches_database_url,
        kafka_bootstrap_servers=KAFKA_BOOTSTRAP,
        identity_secret=SECRET,
        assemblies_url=stubs.url,
        generator_url=stubs.url,
        documents_url=stubs.url,
        chunk_size=3,
        log_json=False,
        outbox_poll_seconds=0.1,
        auto_run_enabled=False,
    )
    batches = Server(create_app(settings))
    await batches.start()
    generator = GeneratorPlayer(KAFKA_BOOTSTRAP)
    delivery = DeliveryListener(KAFKA_BOOTSTRAP)
    await generator.start()
    await delivery.start()
    yield Stage(batches, neighbours, generator, delivery)
    await generator.stop()
    await delivery.stop()
    await batches.stop()
    await stubs.stop()
