"""Fixtures of the delivery integration tests: real Kafka, real database, real processes."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_DB
from tests.integration.delivery.harness import (
    DeliveryProcess,
    MailCatcher,
    ReportCollector,
    RequestProducer,
    drop_topics,
    reset_postgres_database,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def postgres_url() -> str | None:
    if TEST_DB != "postgres":
        return None
    return asyncio.run(reset_postgres_database("test_delivery"))


@pytest.fixture
def database_url(postgres_url: str | None, tmp_path: Path) -> str:
    return postgres_url or f"sqlite+aiosqlite:///{tmp_path}/delivery.db"


@pytest.fixture(autouse=True)
def namespace(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test its own topics and consumer group: its delivery process sees only its events.

    The topics are deleted afterwards: the broker is shared and every namespace costs it memory.
    """
    ns = f"d{uuid.uuid4().hex[:8]}."
    monkeypatch.setenv("KAFKA_NAMESPACE", ns)
    yield ns
    try:
        drop_topics(ns)
    except Exception as exc:  # cleanup only: never hide the test's own result
        print(f"could not delete the topics of {ns}: {exc!r}")


@pytest.fixture
def org_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def catcher(tmp_path: Path) -> Iterator[MailCatcher]:
    c = MailCatcher(tmp_path).start()
    yield c
    c.close()


@pytest.fixture
def start_delivery(tmp_path: Path, database_url: str, catcher: MailCatcher) -> Iterator[Callable[..., DeliveryProcess]]:
    started: list[DeliveryProcess] = []

    def start(**env: str) -> DeliveryProcess:
        p = DeliveryProcess(tmp_path, database_url, catcher, **env).start()
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()
    if os.environ.get("DELIVERY_TEST_DEBUG"):
        print((tmp_path / "delivery.log").read_text()[-20000:])


@pytest.fixture
async def producer() -> AsyncIterator[RequestProducer]:
    async with RequestProducer() as p:
        yield p


@pytest.fixture
async def reports(org_id: uuid.UUID) -> AsyncIterator[ReportCollector]:
    async with ReportCollector(org_id) as r:
        yield r
