"""The whole system starts, every service reports ready, and stopping it leaves nothing running."""

from __future__ import annotations

import httpx
import psutil
import pytest
from devstack import SERVICES, Stack, StackConfig

pytestmark = pytest.mark.e2e


def test_every_service_reports_ready_within_a_minute(stack: Stack) -> None:
    assert stack.ready_seconds is not None and stack.ready_seconds < 60
    for name in SERVICES:
        r = httpx.get(stack.config.url(name) + "/readyz", timeout=5)
        assert r.status_code == 200, (name, r.text)
        assert r.json()["status"] == "ready"


def test_a_service_that_loses_its_database_reports_not_ready(tmp_path) -> None:
    config = StackConfig.for_tests(tmp_path, services=("batches",), mailcatcher=False, seed=False, port_offset=2000)
    config.extra_env = {
        "BATCHES_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere",
        "BATCHES_RUN_MIGRATIONS": "false",
    }
    stack = Stack(config)
    stack._spawn("batches", "batches")
    try:
        stack.wait_http("batches", "/healthz", timeout=60)
        r = httpx.get(config.url("batches") + "/readyz", timeout=10)
        assert r.status_code == 503
        assert r.json()["checks"]["database"].startswith("failed")
        assert r.json()["checks"]["kafka"] == "ok"
    finally:
        stack.stop()


def test_stopping_the_stack_leaves_no_process_of_it_running(tmp_path) -> None:
    config = StackConfig.for_tests(tmp_path, services=("generator", "delivery"), seed=False, port_offset=3000)
    stack = Stack(config)
    stack.start()
    pids = [p.pid for p in stack.processes.values()]
    assert len(pids) == 3  # mail catcher, generator, delivery
    stack.stop()
    assert not [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
