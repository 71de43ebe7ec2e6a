"""Real processes and real Kafka for the delivery tests (also used by bench/delivery_bench.py).

- ``MailCatcher``: ``python -m mailcatcher`` on free ports with a store folder (so a
  restart keeps what it received), read through its HTTP API.
- ``DeliveryProcess``: ``python -m delivery`` with the test's database and namespace.
- ``RequestProducer``: publishes ``DeliveryRequested`` to the namespaced topic, keyed by
  communication id, as the batches service's outbox relay does.
- ``ReportCollector``: reads ``DeliveryReported`` from Kafka in the background.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts.events import BatchClosed, DeliveryReported, DeliveryRequested
from servicekit.kafka import delete_namespace_topics
from servicekit.naming import topic_name

ROOT = Path(__file__).resolve().parents[3]
KAFKA_BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
IDENTITY_SECRET = "delivery-tests-identity-secret-0123456789"
PARTITIONS = 3
"""Partitions per topic in the tests' namespaces: several, to spread a batch, but few, to spare the shared broker."""
PG_BASE_URL = os.environ.get(
    "TEST_PG_BASE_URL", f"postgresql+asyncpg://postgres@127.0.0.1:{os.environ.get('PGPORT', '5433')}"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def reset_postgres_database(name: str) -> str:
    """An empty ``name`` database (its public schema recreated); answers its SQLAlchemy URL."""
    conn = await asyncpg.connect(PG_BASE_URL.replace("postgresql+asyncpg", "postgresql") + "/postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    conn = await asyncpg.connect(PG_BASE_URL.replace("postgresql+asyncpg", "postgresql") + f"/{name}")
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()
    return f"{PG_BASE_URL}/{name}"


def prepare_topics(timeout: float = 60) -> None:
    """Create the namespace's topics and wait until the broker serves their metadata.

    Done before a delivery process starts, so its consumers never race the broker's
    propagation of freshly created topics (slow on a loaded machine).
    """
    from aiokafka import AIOKafkaClient

    from contracts import topics
    from servicekit.kafka import ensure_topics

    async def run() -> None:
        await ensure_topics(KAFKA_BOOTSTRAP, PARTITIONS)
        client = AIOKafkaClient(bootstrap_servers=KAFKA_BOOTSTRAP)
        await client.bootstrap()
        try:
            deadline = time.monotonic() + timeout
            wanted = {topic_name(t) for t in topics.ALL}
            while True:
                await client.force_metadata_update()
                ready = {t for t in wanted if client.cluster.partitions_for_topic(t)}
                if ready == wanted:
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"topics not ready: {sorted(wanted - ready)}")
                await asyncio.sleep(0.2)
        finally:
            await client.close()

    # callable from sync code and from inside a running event loop alike
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def drop_topics(namespace: str) -> None:
    """Delete every topic of ``namespace`` (a finished test's), to spare the shared broker."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, delete_namespace_topics(KAFKA_BOOTSTRAP, namespace)).result()


def _die_with_parent() -> None:
    """In the child: be killed when the test process dies, so no server outlives its test run."""
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _spawn(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", module],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float, what: str, log: Path) -> None:
    """Wait until ``url`` answers 200; a process that never gets there is killed, not left behind."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"{what} not ready after {timeout}s: {log.read_text()[-3000:]}")


class MailCatcher:
    def __init__(self, workdir: Path, *, keep_on_disk: bool = True, **env: str) -> None:
        self.smtp_port = free_port()
        self.http_port = free_port()
        self.store = workdir / "mailcatcher-store"
        self.log = workdir / "mailcatcher.log"
        self.env = {
            **os.environ,
            "MAILCATCHER_SMTP_PORT": str(self.smtp_port),
            "MAILCATCHER_HTTP_PORT": str(self.http_port),
            **({"MAILCATCHER_STORE_DIR": str(self.store)} if keep_on_disk else {}),
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.http_port}", timeout=30)

    def start(self) -> MailCatcher:
        self.proc = _spawn("mailcatcher", self.env, self.log)
        _wait_http(f"http://127.0.0.1:{self.http_port}/healthz", self.proc, 30, "mail catcher", self.log)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self) -> None:
        self.stop()
        self.http.close()

    def count(self) -> int:
        return self.http.get("/stats").json()["count"]

    def messages(self, **params: str) -> list[dict[str, Any]]:
        return self.http.get("/messages", params=params).json()["items"]

    def message(self, message_id: str) -> dict[str, Any]:
        return self.http.get(f"/messages/{message_id}").json()

    def faults(self, **faults: Any) -> None:
        self.http.post("/faults", json=faults).raise_for_status()


class DeliveryProcess:
    def __init__(self, workdir: Path, database_url: str, catcher: MailCatcher, **env: str) -> None:
        self.http_port = free_port()
        self.log = workdir / "delivery.log"
        self.env = {
            **os.environ,
            "DELIVERY_DATABASE_URL": database_url,
            "DELIVERY_KAFKA_BOOTSTRAP_SERVERS": KAFKA_BOOTSTRAP,
            "DELIVERY_HTTP_PORT": str(self.http_port),
            "DELIVERY_IDENTITY_SECRET": IDENTITY_SECRET,
            "DELIVERY_KAFKA_TOPIC_PARTITIONS": str(PARTITIONS),
            "DELIVERY_SMTP_PORT": str(catcher.smtp_port),
            "DELIVERY_LOG_JSON": "false",
            "DELIVERY_RETRY_BASE_SECONDS": "0.5",
            "DELIVERY_RETRY_MAX_SECONDS": "4",
            "DELIVERY_RETRY_MAX_ATTEMPTS": "20",
            "DELIVERY_RETRY_POLL_SECONDS": "0.2",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> DeliveryProcess:
        prepare_topics()
        self.proc = _spawn("delivery", self.env, self.log)
        _wait_http(f"http://127.0.0.1:{self.http_port}/readyz", self.proc, 90, "delivery", self.log)
        return self

    def kill(self) -> None:
        """SIGKILL: no chance to finish anything."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def get(self, path: str, org_id: uuid.UUID) -> httpx.Response:
        from servicekit.service_client import identity_headers

        return httpx.get(
            f"http://127.0.0.1:{self.http_port}{path}",
            headers=identity_headers(secret=self.env["DELIVERY_IDENTITY_SECRET"], org_id=org_id),
        )


def make_request(
    org_id: uuid.UUID,
    *,
    batch_id: uuid.UUID | None = None,
    to_email: str | None = None,
    seq: int = 1,
    **fields: Any,
) -> DeliveryRequested:
    cid = fields.pop("communication_id", None) or uuid.uuid4()
    values: dict[str, Any] = {
        "org_id": org_id,
        "communication_id": cid,
        "batch_id": batch_id,
        "contact_id": uuid.uuid4(),
        "to_email": to_email or f"owner-{cid.hex[:12]}@customer.example",
        "to_name": "Pat Owner",
        "from_email": "ccc@riverbend.example",
        "from_name": "Riverbend Water Utility",
        "reply_to": "backflow@riverbend.example",
        "subject": "Annual backflow test due",
        "body_text": f"Your backflow assembly is due for its annual test. ({cid})",
        "body_html": f"<p>Your backflow assembly is due for its annual test. ({cid})</p>",
        "message_id": f"<{cid}@riverbend.example>",
        "request_seq": seq,
        **fields,
    }
    return DeliveryRequested(**values)


class RequestProducer:
    def __init__(self) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=KAFKA_BOOTSTRAP, enable_idempotence=True, linger_ms=5)

    async def __aenter__(self) -> RequestProducer:
        await self.producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()

    async def send(self, requests: Iterable[DeliveryRequested]) -> None:
        futures = [
            await self.producer.send(
                topic_name(r.TOPIC),
                value=r.to_json_bytes(),
                key=str(r.communication_id).encode(),
                headers=[("event_type", r.event_type.encode())],
            )
            for r in requests
        ]
        await asyncio.gather(*futures)

    async def close_batch(self, org_id: uuid.UUID, batch_id: uuid.UUID) -> None:
        event = BatchClosed(org_id=org_id, batch_id=batch_id, state="complete")
        await (
            await self.producer.send(topic_name(event.TOPIC), value=event.to_json_bytes(), key=str(batch_id).encode())
        )

    async def send_raw(self, topic: str, value: bytes, key: bytes) -> None:
        await (await self.producer.send(topic_name(topic), value=value, key=key))


class ReportCollector:
    """Every ``DeliveryReported`` of one organization, by communication id, in arrival order."""

    def __init__(self, org_id: uuid.UUID) -> None:
        self.org_id = org_id
        self.reports: dict[uuid.UUID, list[DeliveryReported]] = defaultdict(list)
        self._task: asyncio.Task[None] | None = None
        self._consumer = AIOKafkaConsumer(
            topic_name(DeliveryReported.TOPIC),
            bootstrap_servers=KAFKA_BOOTSTRAP,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )

    async def __aenter__(self) -> ReportCollector:
        await self._consumer.start()
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        await self._consumer.stop()

    async def _run(self) -> None:
        async for record in self._consumer:
            report = DeliveryReported.from_json_bytes(record.value)
            if report.org_id == self.org_id:
                self.reports[report.communication_id].append(report)

    def final(self, communication_id: uuid.UUID) -> DeliveryReported | None:
        """The last ``sent`` or ``failed`` report of a communication."""
        settled = [r for r in self.reports.get(communication_id, []) if r.status != "sending"]
        return settled[-1] if settled else None

    def settled(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, DeliveryReported]:
        out = {}
        for cid in ids:
            r = self.final(cid)
            if r is not None:
                out[cid] = r
        return out

    async def wait_settled(self, ids: Iterable[uuid.UUID], timeout: float) -> dict[uuid.UUID, DeliveryReported]:
        wanted = list(ids)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.settled(wanted)
            if len(done) == len(wanted):
                return done
            await asyncio.sleep(0.25)
        done = self.settled(wanted)
        raise AssertionError(f"{len(wanted) - len(done)} of {len(wanted)} not settled after {timeout}s")
