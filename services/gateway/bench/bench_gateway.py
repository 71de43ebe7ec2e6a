"""Figures of the gateway: login cost, how slow guessing becomes, and what the proxy adds.

    .venv/bin/python services/gateway/bench/bench_gateway.py

Runs the gateway (SQLite in a temporary folder) and a stub service on free ports of
127.0.0.1, and prints: the time of one login (Argon2id), how many password guesses one
email+address pair gets in an hour under the default throttle, the latency of a small GET
directly and through the gateway, and the throughput of a 64 MiB download and upload
through the gateway.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from gateway.bootstrap import create_app  # noqa: E402
from gateway.config import Settings  # noqa: E402
from gateway.domain.login_throttle import ThrottlePolicy  # noqa: E402
from tests.integration.gateway.conftest import SECRET, LiveServer  # noqa: E402
from tests.integration.gateway.stub_services import make_stub  # noqa: E402

MIB = 1024 * 1024


def guesses_per_hour(policy: ThrottlePolicy) -> int:
    elapsed, failures = 0.0, 0
    while True:
        wait = policy.delay_after(failures)
        if elapsed + wait > 3600:
            return failures
        elapsed += wait
        failures += 1


async def timed(client: httpx.AsyncClient, url: str, n: int = 200, **kw) -> float:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        answer = await client.get(url, **kw)
        answer.raise_for_status()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


async def main() -> None:
    print(f"password guesses per hour for one email from one address: {guesses_per_hour(ThrottlePolicy())}")
    with tempfile.TemporaryDirectory() as tmp:
        stub = await LiveServer(make_stub("batches", SECRET)).start()
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp}/gateway.db",
            identity_secret=SECRET,
            batches_url=stub.url,
            assemblies_url=stub.url,
            documents_url=stub.url,
            generator_url=stub.url,
            log_level="WARNING",
        )
        gateway = await LiveServer(create_app(settings)).start()
        try:
            auth = gateway.app.state.gateway.auth
            email = f"bench-{uuid.uuid4().hex[:6]}@example.test"
            await auth.save_user(org_id=uuid.uuid4(), email=email, name="Bench", role="org_admin", password="pw")
            async with httpx.AsyncClient(base_url=gateway.url, timeout=60) as client:
                samples = []
                for _ in range(10):
                    started = time.perf_counter()
                    answer = await client.post("/api/auth/login", json={"email": email, "password": "pw"})
                    answer.raise_for_status()
                    samples.append(time.perf_counter() - started)
                print(f"login (Argon2id verify + session), median of 10: {statistics.median(samples) * 1000:.1f} ms")
                token = answer.json()["token"]
                bearer = {"Authorization": f"Bearer {token}"}
                from servicekit.identity import issue_identity_token

                identity = {"X-Identity-Token": issue_identity_token(SECRET, org_id=uuid.uuid4(), role="org_admin")}
                direct = await timed(client, f"{stub.url}/batches/b1", headers=identity)
                proxied = await timed(client, "/api/batches/b1", headers=bearer)
                print(f"small GET, median of 200: direct {direct:.2f} ms, through the gateway {proxied:.2f} ms")

                started = time.perf_counter()
                size = 0
                async with client.stream("GET", "/api/documents/big-64.pdf") as answer:
                    async for chunk in answer.aiter_raw():
                        size += len(chunk)
                seconds = time.perf_counter() - started
                print(f"64 MiB download through the gateway: {seconds:.2f} s ({size / MIB / seconds:.0f} MiB/s)")

                body = b"x" * (64 * MIB)
                csrf_free = {**bearer, "Content-Type": "text/csv"}
                started = time.perf_counter()
                answer = await client.post("/api/assemblies/import", content=body, headers=csrf_free)
                seconds = time.perf_counter() - started
                assert answer.json()["body_size"] == len(body)
                print(f"64 MiB upload through the gateway: {seconds:.2f} s ({64 / seconds:.0f} MiB/s)")
        finally:
            await gateway.stop()
            await stub.stop()


if __name__ == "__main__":
    asyncio.run(main())
