"""One whole system per test session, as processes: the mail catcher and every service.

Kafka and PostgreSQL are started by `make test`. The stack runs on other ports than
`make run` (offset 1000) and in its own Kafka namespace, so both can run at once.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from devstack import Stack, StackConfig


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(StackConfig.for_tests(tmp_path_factory.mktemp("stack")))
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def gateway_url(stack: Stack) -> str:
    return stack.config.url("gateway")


@pytest.fixture(scope="session")
def mailcatcher_url(stack: Stack) -> str:
    return stack.config.url("mailcatcher")


def login(gateway_url: str, email: str, password: str) -> httpx.Client:
    """A client logged in with a bearer token, as a script would be."""
    client = httpx.Client(base_url=gateway_url, timeout=30)
    r = client.post("/api/auth/login", json={"email": email, "password": password})
    r.raise_for_status()
    client.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return client


@pytest.fixture(scope="session")
def admin(gateway_url: str) -> Iterator[httpx.Client]:
    client = login(gateway_url, "admin@riverbend-water.example", "riverbend-admin")
    yield client
    client.close()


@pytest.fixture(scope="session")
def viewer(gateway_url: str) -> Iterator[httpx.Client]:
    client = login(gateway_url, "viewer@riverbend-water.example", "riverbend-viewer")
    yield client
    client.close()


@pytest.fixture(scope="session")
def other_admin(gateway_url: str) -> Iterator[httpx.Client]:
    client = login(gateway_url, "admin@lakeside-water.example", "lakeside-admin")
    yield client
    client.close()
