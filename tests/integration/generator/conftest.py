"""The generator on real PostgreSQL (or SQLite with TEST_DB=sqlite) and real Kafka.

In-process: the HTTP app with its runtime started (migrations, relay, consumer).
Out of process: ``python -m generator`` copies in one consumer group, fed GenerationRequested
events straight into the namespaced topic and read back from the results topic.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts.events import CommunicationsGenerated, GenerationRequested
from generator.bootstrap import MIGRATIONS, create_app
from generator.config import Settings
from servicekit.db import create_engine, create_session_factory
from servicekit.identity import HEADER, issue_identity_token
from servicekit.kafka import ensure_topics
from servicekit.migrations import upgrade
from servicekit.naming import topic_name
from tests.conftest import KAFKA_BOOTSTRAP, PG_BASE_URL, TEST_DB

ROOT = Path(__file__).resolve().parents[3]
SECRET = "generator-test-identity-secret-0123"


@pytest.fixture(scope="session")
def generator_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DB == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('generator')}/generator.db"
    else:

        async def create() -> None:
            conn = await asyncpg.connect(PG_BASE_URL.replace("postgresql+asyncpg", "postgresql") + "/postgres")
            try:
                if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = 'test_generator'"):
                    await conn.execute("CREATE DATABASE test_generator")
            finally:
                await conn.close()

        asyncio.run(create())
        url = f"{PG_BASE_URL}/test_generator"
    upgrade(url, MIGRATIONS)
    return url


@pytest.fixture
def namespace(monkeypatch: pytest.MonkeyPatch) -> str:
    ns = f"g{uuid.uuid4().hex[:8]}."
    monkeypatch.setenv("KAFKA_NAMESPACE", ns)
    return ns


@pytest.fixture
async def sessions(generator_database_url: str) -> AsyncIterator[Any]:
    engine = create_engine(generator_database_url)
    yield create_session_factory(engine)
    await engine.dispose()


def token(org_id: UUID, role: str = "org_admin") -> dict[str, str]:
    return {HEADER: issue_identity_token(SECRET, org_id=org_id, role=role, user_id=uuid.uuid4())}


@pytest.fixture
async def api(generator_database_url: str, namespace: str) -> AsyncIterator[httpx.AsyncClient]:
    """The generator's HTTP app, its runtime started (database, relay, consumer)."""
    settings = Settings(
        database_url=generator_database_url,
        kafka_bootstrap_servers=KAFKA_BOOTSTRAP,
        identity_secret=SECRET,
        run_migrations=False,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://generator.test") as client:
            yield client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GeneratorProcess:
    """``python -m generator`` as a child process, its log in a file."""

    def __init__(self, database_url: str, namespace: str, instance: str, log_dir: Path) -> None:
        self.instance = instance
        self.port = free_port()
        self.log_path = log_dir / f"{instance}.log"
        self.env = {
            **os.environ,
            "GENERATOR_DATABASE_URL": database_url,
            "GENERATOR_KAFKA_BOOTSTRAP_SERVERS": KAFKA_BOOTSTRAP,
            "GENERATOR_HTTP_PORT": str(self.port),
            "GENERATOR_IDENTITY_SECRET": SECRET,
            "GENERATOR_INSTANCE_NAME": instance,
            "KAFKA_NAMESPACE": namespace,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> GeneratorProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "generator"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.instance} exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.instance} not ready: {self.log_path.read_text()[-3000:]}")

    def chunks_generated(self, batch_id: UUID) -> set[int]:
        """Chunk indexes of ``batch_id`` this process logged as generated."""
        found = set()
        for line in self.log_path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("batch_id") == str(batch_id) and "chunk_index" in record:
                found.add(int(record["chunk_index"]))
        return found

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def generator_processes(generator_database_url: str, namespace: str, tmp_path: Path) -> Iterator[Any]:
    started: list[GeneratorProcess] = []

    def start(instance: str) -> GeneratorProcess:
        p = GeneratorProcess(generator_database_url, namespace, instance, tmp_path).start()
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()


class Bus:
    """The test's side of Kafka: publishes generation requests, reads chunk results."""

    def __init__(self) -> None:
        self.producer = AIOKafkaProducer(
            bootstrap_servers=KAFKA_BOOTSTRAP, enable_idempotence=True, acks="all", max_request_size=10 * 1024 * 1024
        )
        self.consumer = AIOKafkaConsumer(
            topic_name(CommunicationsGenerated.TOPIC),
            bootstrap_servers=KAFKA_BOOTSTRAP,
            group_id=f"{topic_name('test-reader')}-{uuid.uuid4().hex[:6]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            fetch_max_bytes=50 * 1024 * 1024,
            max_partition_fetch_bytes=10 * 1024 * 1024,
        )
        self.results: list[CommunicationsGenerated] = []

    async def start(self) -> None:
        await ensure_topics(KAFKA_BOOTSTRAP, 6)
        await self.producer.start()
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()
        await self.producer.stop()

    async def request(self, events: list[GenerationRequested]) -> None:
        futures = [
            await self.producer.send(
                topic_name(GenerationRequested.TOPIC),
                value=e.to_json_bytes(),
                key=f"{e.batch_id}:{e.chunk_index}".encode(),
            )
            for e in events
        ]
        await asyncio.gather(*futures)

    async def collect(self, batch_id: UUID, chunk_count: int, timeout: float = 90) -> list[CommunicationsGenerated]:
        """Read results until every chunk of ``batch_id`` has answered at least once."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.chunks_answered(batch_id) >= set(range(chunk_count)):
                return [r for r in self.results if r.batch_id == batch_id]
            await self.poll()
        raise AssertionError(
            f"chunks never answered: {sorted(set(range(chunk_count)) - self.chunks_answered(batch_id))[:20]}"
        )

    async def poll(self, timeout_ms: int = 500) -> None:
        batches = await self.consumer.getmany(timeout_ms=timeout_ms)
        for records in batches.values():
            self.results.extend(CommunicationsGenerated.from_json_bytes(r.value) for r in records)

    def chunks_answered(self, batch_id: UUID) -> set[int]:
        return {r.chunk_index for r in self.results if r.batch_id == batch_id}


@pytest.fixture
async def bus(namespace: str) -> AsyncIterator[Bus]:
    b = Bus()
    await b.start()
    yield b
    await b.stop()
