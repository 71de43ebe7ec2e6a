"""The documents service running for real: its HTTP app on 127.0.0.1, its consumers on the
test broker, PostgreSQL (or SQLite with TEST_DB=sqlite), a folder for the files, and a
clock the tests move."""

from __future__ import annotations

import asyncio
import json
import socket
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts.events import CommunicationsGenerated, GeneratedCommunication, LetterRendered
from documents.bootstrap import create_app
from documents.config import Settings
from servicekit.clock import FixedClock
from servicekit.identity import HEADER, issue_identity_token
from servicekit.kafka import ensure_topics
from servicekit.naming import topic_name
from tests.conftest import KAFKA_BOOTSTRAP, PG_BASE_URL, TEST_DB
from tests.unit.documents import factories

IDENTITY_SECRET = "documents-integration-identity-secret"
LINK_KEYS = {"k2": "integration-link-key-two-0123456789", "k1": "integration-link-key-one-0123456789"}
START = datetime.now(UTC).replace(microsecond=0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RenderCounter:
    """Wraps the real renderer to count how many letters it draws."""

    def __init__(self, render: Any) -> None:
        self.render = render
        self.calls = 0

    def __call__(self, letter: Any) -> Any:
        self.calls += 1
        return self.render(letter)


class Documents:
    """The running service, as the tests drive it."""

    def __init__(self, app: Any, base_url: str, clock: FixedClock, storage_dir: Path) -> None:
        self.app = app
        self.service = app.state.documents
        self.http = httpx.AsyncClient(base_url=base_url, timeout=120)
        self.clock = clock
        self.storage_dir = storage_dir
        self.renders = RenderCounter(self.service.render)
        self.service.render = self.renders
        self.rendered: dict[UUID, list[LetterRendered]] = defaultdict(list)
        self.producer: AIOKafkaProducer | None = None
        self.consumer: AIOKafkaConsumer | None = None
        self._collector: asyncio.Task[None] | None = None

    def headers(self, org_id: UUID, role: str = "org_admin") -> dict[str, str]:
        return {HEADER: issue_identity_token(IDENTITY_SECRET, org_id=org_id, role=role, ttl_seconds=600)}

    async def start_kafka(self) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=KAFKA_BOOTSTRAP, enable_idempotence=True)
        await self.producer.start()
        self.consumer = AIOKafkaConsumer(
            topic_name(LetterRendered.TOPIC), bootstrap_servers=KAFKA_BOOTSTRAP, auto_offset_reset="earliest"
        )
        await self.consumer.start()
        self._collector = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        assert self.consumer is not None
        async for msg in self.consumer:
            event = LetterRendered.from_json_bytes(msg.value)
            self.rendered[event.communication_id].append(event)

    async def stop_kafka(self) -> None:
        if self._collector:
            self._collector.cancel()
        if self.consumer:
            await self.consumer.stop()
        if self.producer:
            await self.producer.stop()
        await self.http.aclose()

    async def publish(self, event: CommunicationsGenerated) -> None:
        assert self.producer is not None
        await self.producer.send_and_wait(
            topic_name(event.TOPIC), event.to_json_bytes(), key=str(event.batch_id).encode()
        )

    async def wait_rendered(self, ids: list[UUID], timeout: float = 60) -> dict[UUID, LetterRendered]:
        deadline = asyncio.get_running_loop().time() + timeout
        while not all(self.rendered.get(i) for i in ids):
            if asyncio.get_running_loop().time() > deadline:
                missing = [i for i in ids if not self.rendered.get(i)]
                raise AssertionError(f"{len(missing)} letters never announced as rendered")
            await asyncio.sleep(0.1)
        return {i: self.rendered[i][0] for i in ids}

    async def generate(
        self, org_id: UUID, comms: list[GeneratedCommunication], batch_id: UUID | None = None
    ) -> CommunicationsGenerated:
        """Publish one generated chunk and wait until every letter of it is rendered."""
        event = generated(org_id, comms, batch_id)
        await self.publish(event)
        await self.wait_rendered(
            [c.communication_id for c in comms if c.method == "letter" and c.status == "generated"]
        )
        return event


def generated(
    org_id: UUID, comms: list[GeneratedCommunication], batch_id: UUID | None = None
) -> CommunicationsGenerated:
    return CommunicationsGenerated(
        org_id=org_id,
        batch_id=batch_id or uuid4(),
        chunk_index=0,
        chunk_count=1,
        template_id=uuid4(),
        template_version=1,
        organization=factories.organization(org_id),
        communications=comms,
    )


async def topics_ready(partitions: int, timeout: float = 120) -> None:
    """Create this run's topics and wait until a (busy) broker serves their metadata."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            await ensure_topics(KAFKA_BOOTSTRAP, partitions)
            producer = AIOKafkaProducer(bootstrap_servers=KAFKA_BOOTSTRAP)
            await producer.start()
            try:
                for event in (CommunicationsGenerated, LetterRendered):
                    if not await producer.partitions_for(topic_name(event.TOPIC)):
                        raise RuntimeError("no partitions yet")
            finally:
                await producer.stop()
            return
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(2)


@pytest.fixture(scope="session")
def documents_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DB == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('documents-db')}/documents.db"
    return f"{PG_BASE_URL}/test_documents"


@pytest.fixture(scope="session")
async def documents(documents_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Documents]:
    storage_dir = tmp_path_factory.mktemp("documents-files")
    port = free_port()
    settings = Settings(
        database_url=documents_database_url,
        kafka_bootstrap_servers=KAFKA_BOOTSTRAP,
        identity_secret=IDENTITY_SECRET,
        http_host="127.0.0.1",
        http_port=port,
        storage_dir=str(storage_dir),
        link_keys=json.loads(json.dumps(LINK_KEYS)),
        link_active_key="k2",
        log_json=False,
    )
    await topics_ready(settings.kafka_topic_partitions)
    clock = FixedClock(START)
    app = create_app(settings, clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.05)
    docs = Documents(app, f"http://127.0.0.1:{port}", clock, storage_dir)
    await docs.start_kafka()
    try:
        yield docs
    finally:
        await docs.stop_kafka()
        server.should_exit = True
        await serving


@pytest.fixture
def svc(documents: Documents) -> Iterator[Documents]:
    """The service, with its clock put back where the test found it."""
    before = documents.clock.current
    yield documents
    documents.clock.current = before


@pytest.fixture
def org_id() -> UUID:
    return uuid4()
