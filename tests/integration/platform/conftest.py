from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from servicekit.kafka import delete_namespace_topics
from servicekit.runtime import ServiceRuntime
from tests.conftest import KAFKA_BOOTSTRAP, PG_BASE_URL, TEST_DB
from tests.integration.platform.probe_service import ProbeSettings, metadata

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def probe_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DB == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('probe')}/probe.db"

    async def create() -> None:
        conn = await asyncpg.connect(PG_BASE_URL.replace("postgresql+asyncpg", "postgresql") + "/postgres")
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = 'test_platform'")
            if not exists:
                await conn.execute("CREATE DATABASE test_platform")
        finally:
            await conn.close()

    asyncio.run(create())
    return f"{PG_BASE_URL}/test_platform"


@pytest.fixture
def namespace(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    ns = f"p{uuid.uuid4().hex[:8]}."
    monkeypatch.setenv("KAFKA_NAMESPACE", ns)
    yield ns
    asyncio.run(delete_namespace_topics(KAFKA_BOOTSTRAP, ns))


@pytest.fixture
async def publisher(probe_database_url: str, namespace: str) -> AsyncIterator[ServiceRuntime]:
    """The test's side: a runtime with an outbox and its relay, and no subscribers."""
    settings = ProbeSettings(database_url=probe_database_url, kafka_bootstrap_servers=KAFKA_BOOTSTRAP)
    runtime = ServiceRuntime(settings, metadata, migrations_dir=None)
    async with runtime.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await runtime.start()
    yield runtime
    await runtime.stop()


class ProbeProcess:
    def __init__(self, database_url: str, namespace: str, **env: str) -> None:
        self.env = {
            **os.environ,
            "PROBE_DATABASE_URL": database_url,
            "PROBE_KAFKA_BOOTSTRAP_SERVERS": KAFKA_BOOTSTRAP,
            "KAFKA_NAMESPACE": namespace,
            **env,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.platform.probe_service"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if "probe ready" in line:
                return
            if not line and self.proc.poll() is not None:
                break
        raise RuntimeError(f"probe did not start: {self.proc.stdout.read()}")

    def wait_exit(self, timeout: float = 120) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            if os.environ.get("PROBE_DEBUG"):
                print(self.proc.stdout.read() if self.proc.stdout else "")
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def probe_process(probe_database_url: str, namespace: str) -> Iterator[object]:
    started: list[ProbeProcess] = []

    def start(**env: str) -> ProbeProcess:
        p = ProbeProcess(probe_database_url, namespace, **env)
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()
