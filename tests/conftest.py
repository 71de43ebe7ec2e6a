"""Settings shared by every test: the database backend and the Kafka broker `make test` started."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from servicekit.kafka import delete_namespace_topics

TEST_DB = os.environ.get("TEST_DB", "postgres")
PG_BASE_URL = os.environ.get(
    "TEST_PG_BASE_URL", f"postgresql+asyncpg://postgres@127.0.0.1:{os.environ.get('PGPORT', '5433')}"
)
KAFKA_BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")

# One Kafka namespace per test session, so a test run never consumes another run's events.
os.environ.setdefault("KAFKA_NAMESPACE", f"t{uuid.uuid4().hex[:8]}.")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return KAFKA_BOOTSTRAP


@contextmanager
def own_kafka_namespace(prefix: str) -> Iterator[str]:
    """A Kafka namespace of one's own for a test package; restored and its topics dropped after."""
    previous = os.environ.get("KAFKA_NAMESPACE")
    namespace = f"{prefix}{uuid.uuid4().hex[:8]}."
    os.environ["KAFKA_NAMESPACE"] = namespace
    try:
        yield namespace
    finally:
        if previous is None:
            os.environ.pop("KAFKA_NAMESPACE", None)
        else:
            os.environ["KAFKA_NAMESPACE"] = previous
        try:
            asyncio.run(delete_namespace_topics(KAFKA_BOOTSTRAP, namespace))
        except Exception as exc:  # a broker that is gone has nothing left to clean
            print(f"could not delete the topics of {namespace}: {exc}")


@pytest.fixture(scope="session", autouse=True)
def _drop_the_session_topics() -> Iterator[None]:
    """Each run leaves a broker as it found it: its namespace's topics are deleted at the end."""
    namespace = os.environ["KAFKA_NAMESPACE"]
    yield
    try:
        asyncio.run(delete_namespace_topics(KAFKA_BOOTSTRAP, namespace))
    except Exception as exc:  # a broker that is gone has nothing left to clean
        print(f"could not delete the topics of {namespace}: {exc}")
