"""Auto runs and Create Log on real Kafka and a real database, with the real generator.

In-process, in the test's event loop: the batches service (one or two copies on the same
database), the generator service (its own database, rendering through Kafka), and a small
assemblies stand-in whose due dates the test moves. A Kafka listener records what delivery
would receive and can answer with delivery reports.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI, HTTPException, Request

from batches.bootstrap import create_app as create_batches
from batches.config import Settings as BatchesSettings
from contracts.events import DeliveryRequested
from contracts.snapshots import MemberSnapshot, OrganizationSnapshot
from generator.bootstrap import create_app as create_generator
from generator.config import Settings as GeneratorSettings
from servicekit.clock import FixedClock
from servicekit.identity import HEADER, issue_identity_token, verify_identity_token
from servicekit.naming import group_name, topic_name
from tests.conftest import KAFKA_BOOTSTRAP, PG_BASE_URL, TEST_DB, own_kafka_namespace
from tests.integration.batches.batches_stubs import Server, snapshot_answer
from tests.unit.batches.batches_fakes import organization

SECRET = "auto-integration-identity-secret-0123456789"


@pytest.fixture(scope="package")
def auto_namespace() -> Iterator[str]:
    with own_kafka_namespace("ta") as namespace:
        yield namespace


async def database_url(name: str, tmp: Any) -> str:
    if TEST_DB == "sqlite":
        return f"sqlite+aiosqlite:///{tmp.mktemp(name)}/{name}.db"
    conn = await asyncpg.connect(PG_BASE_URL.replace("postgresql+asyncpg", "postgresql") + "/postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", f"test_{name}"):
            await conn.execute(f"CREATE DATABASE test_{name}")
    finally:
        await conn.close()
    return f"{PG_BASE_URL}/test_{name}"


class AssembliesStandIn:
    """The assemblies endpoints batches calls, over members the test controls (due dates, contacts)."""

    def __init__(self) -> None:
        self.organizations: dict[UUID, OrganizationSnapshot] = {}
        self.members: dict[UUID, dict[UUID, MemberSnapshot]] = defaultdict(dict)
        self.app = self._build()

    def _identity(self, request: Request) -> Any:
        try:
            return verify_identity_token(request.headers.get(HEADER, ""), SECRET)
        except Exception as exc:
            raise HTTPException(401, "invalid identity token") from exc

    def set_due(self, org_id: UUID, assembly_id: UUID, due: date) -> None:
        m = self.members[org_id][assembly_id]
        self.members[org_id][assembly_id] = m.model_copy(
            update={"assembly": m.assembly.model_copy(update={"next_test_due": due})}
        )

    def set_email(self, org_id: UUID, contact_id: UUID, email: str) -> None:
        for aid, m in self.members[org_id].items():
            contacts = [c.model_copy(update={"email": email}) if c.id == contact_id else c for c in m.contacts]
            self.members[org_id][aid] = m.model_copy(update={"contacts": contacts})

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.post("/internal/members/resolve")
        async def resolve(request: Request) -> dict[str, Any]:
            org = self._identity(request).org_id
            f = (await request.json()).get("filter", {})
            low = date.fromisoformat(f["due_from"]) if "due_from" in f else None
            high = date.fromisoformat(f["due_to"]) if "due_to" in f else None
            ids = []
            for aid, m in self.members[org].items():
                due = m.assembly.next_test_due
                if (low or high) and due is None:
                    continue
                if (low and due < low) or (high and due > high):
                    continue
                if f.get("assembly_active") is True and not m.assembly.active:
                    continue
                if f.get("location_active") is True and not m.location.active:
                    continue
                ids.append(str(aid))
            return {"assembly_ids": ids, "count": len(ids), "filter": f, "resolved_on": date.today().isoformat()}

        @app.post("/internal/members/snapshots")
        async def snapshots(request: Request) -> Any:
            org = self._identity(request).org_id
            ids = [UUID(i) for i in (await request.json())["assembly_ids"]]
            members = [self.members[org][i] for i in ids if i in self.members[org]]
            return snapshot_answer(request, self.organizations[org], members)

        @app.get("/organization")
        async def own_organization(request: Request) -> dict[str, Any]:
            o = self.organizations[self._identity(request).org_id]
            return {"id": str(o.id), "name": o.name, "timezone": o.timezone}

        @app.get("/internal/organizations")
        async def every_organization(request: Request) -> list[dict[str, Any]]:
            if self._identity(request).role != "service":
                raise HTTPException(403, "only services")
            return [{"id": str(o.id), "name": o.name, "timezone": o.timezone} for o in self.organizations.values()]

        @app.get("/internal/contacts/{contact_id}")
        async def contact(contact_id: UUID, request: Request) -> dict[str, Any]:
            org = self._identity(request).org_id
            at = [m for m in self.members[org].values() if any(c.id == contact_id for c in m.contacts)]
            if not at:
                raise HTTPException(404, "contact not found")
            person = next(c for c in at[0].contacts if c.id == contact_id)
            return {
                "organization": self.organizations[org].model_dump(mode="json"),
                "contact": person.model_dump(mode="json"),
                "location": at[0].location.model_dump(mode="json"),
                "assemblies": [m.assembly.model_dump(mode="json") for m in at],
            }

        @app.post("/internal/batches/{batch_id}/combined")
        async def combined(batch_id: UUID, request: Request) -> dict[str, Any]:
            raise HTTPException(409, "letters are not rendered in this test")

        return app


class DeliveryListener:
    """Records every DeliveryRequested (what delivery would send) and can publish reports."""

    def __init__(self) -> None:
        self.requested: list[DeliveryRequested] = []

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            topic_name(DeliveryRequested.TOPIC),
            bootstrap_servers=KAFKA_BOOTSTRAP,
            group_id=group_name("test-auto-delivery"),
            auto_offset_reset="earliest",
        )
        self.producer = AIOKafkaProducer(bootstrap_servers=KAFKA_BOOTSTRAP)
        await self.consumer.start()
        await self.producer.start()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for record in self.consumer:
            self.requested.append(DeliveryRequested.from_json_bytes(record.value))

    async def publish(self, event: Any, key: str) -> None:
        await self.producer.send_and_wait(topic_name(event.TOPIC), event.to_json_bytes(), key=key.encode())

    async def stop(self) -> None:
        self._task.cancel()
        await self.consumer.stop()
        await self.producer.stop()


class Stage:
    def __init__(
        self,
        batches: list[Server],
        generator: Server,
        assemblies: AssembliesStandIn,
        delivery: DeliveryListener,
        clock: FixedClock,
    ) -> None:
        self.batches = batches
        self.generator = generator
        self.assemblies = assemblies
        self.delivery = delivery
        self.clock = clock

    def new_org(self, members: list[MemberSnapshot]) -> UUID:
        org_id = uuid.uuid4()
        self.assemblies.organizations[org_id] = organization(org_id)
        for m in members:
            self.assemblies.members[org_id][m.assembly.id] = m
        return org_id

    @staticmethod
    def headers(org_id: UUID, role: str = "org_admin") -> dict[str, str]:
        return {HEADER: issue_identity_token(SECRET, org_id=org_id, role=role, user_id=uuid.uuid4(), ttl_seconds=900)}

    def client(self, org_id: UUID, copy: int = 0, role: str = "org_admin") -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.batches[copy].url, headers=self.headers(org_id, role), timeout=60)

    def generator_client(self, org_id: UUID) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.generator.url, headers=self.headers(org_id), timeout=60)

    def scheduler(self, copy: int) -> Any:
        return self.batches[copy].server.config.app.state.auto_scheduler

    @staticmethod
    async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 90, every: float = 0.2) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = await check()
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")
            await asyncio.sleep(every)


@pytest.fixture(scope="package")
async def stage(auto_namespace: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stage]:
    assemblies = AssembliesStandIn()
    stubs = Server(assemblies.app)
    await stubs.start()
    generator = Server(
        create_generator(
            GeneratorSettings(
                database_url=await database_url("generator", tmp_path_factory),
                kafka_bootstrap_servers=KAFKA_BOOTSTRAP,
                identity_secret=SECRET,
                assemblies_url=stubs.url,
                log_json=False,
                outbox_poll_seconds=0.1,
            )
        )
    )
    await generator.start()
    batches_url = await database_url("batches", tmp_path_factory)
    clock = FixedClock()
    copies = []
    # two copies of the batches service on one database (SQLite: one; it has a single writer)
    for _ in range(1 if TEST_DB == "sqlite" else 2):
        settings = BatchesSettings(
            database_url=batches_url,
            kafka_bootstrap_servers=KAFKA_BOOTSTRAP,
            identity_secret=SECRET,
            assemblies_url=stubs.url,
            generator_url=generator.url,
            documents_url=stubs.url,
            chunk_size=2,
            log_json=False,
            outbox_poll_seconds=0.1,
            auto_run_enabled=False,  # the tests call the scheduler's pass themselves
        )
        server = Server(create_batches(settings, clock=clock))
        await server.start()
        copies.append(server)
    delivery = DeliveryListener()
    await delivery.start()
    yield Stage(copies, generator, assemblies, delivery, clock)
    await delivery.stop()
    for server in copies:
        await server.stop()
    await generator.stop()
    await stubs.stop()
