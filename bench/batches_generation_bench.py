"""Benchmark of issue 4: a 10,000-assembly batch generated end to end on real Kafka + PostgreSQL.

Runs assemblies, generator and batches as processes (tools/devstack) on their own PostgreSQL
databases (``bench_batches_<service>``) and Kafka namespace, loads the demo utility with N assemblies,
creates a published template, creates a batch of every assembly and generates it. Prints:

- the pipeline: communications per second from ``POST /generate`` to state ``generated``;
- the plain process: the time one process needs to render the same communications with
  Jinja2 (sandbox, same template texts) and insert them with one bulk insert;
- the ratio pipeline time / plain time. Targets: >= 3,000 communications/s, ratio <= 3.

    .venv/bin/python bench/batches_generation_bench.py [--assemblies 10000] [--chunk-size 200]

Needs Kafka and PostgreSQL (``bash scripts/infra/kafka.sh start``, ``bash scripts/infra/postgres.sh start``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from jinja2.sandbox import SandboxedEnvironment

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "devstack"))

from devstack import Stack, StackConfig  # noqa: E402

from servicekit.demo import DEMO_ORG_ID  # noqa: E402
from servicekit.identity import HEADER, issue_identity_token  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5433"
PREFIX = "bench_batches_"
"""Databases of this benchmark only: bench_batches_assemblies, bench_batches_generator, bench_batches_batches."""
SERVICES = ("assemblies", "generator", "batches")

SUBJECT = "Backflow test due for {{ assembly.serial_number }} at {{ location.address_line1 }}"
BODY = (
    "Dear {{ contact.name }},\n\nOur records show that the {{ assembly.assembly_type }} backflow assembly "
    "{{ assembly.serial_number }} ({{ assembly.size }}) at {{ location.address_line1 }}, {{ location.city }} "
    "must be tested by {{ batch.due_date }}. Please send the test report to {{ org.name }}.\n"
)
LETTER = BODY


async def ensure_databases() -> None:
    conn = await asyncpg.connect(f"{PG}/postgres")
    try:
        for service in SERVICES:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", f"{PREFIX}{service}"):
                await conn.execute(f'CREATE DATABASE "{PREFIX}{service}"')
    finally:
        await conn.close()


def ports_free(config: StackConfig) -> None:
    """Refuse to start on a port another stack already serves (its readiness would look like ours)."""
    for service in SERVICES:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", config.port(service)))
            except OSError as exc:
                raise SystemExit(
                    f"port {config.port(service)} ({service}) is in use; pass another --port-offset"
                ) from exc


def seed_assemblies(stack: Stack, n: int) -> None:
    url = stack.config.database_url("assemblies")
    done = subprocess.run(
        [sys.executable, "-m", "assemblies.demo", "--org", "demo", "--assemblies", str(n), "--database-url", url],
        cwd=ROOT,
        env=stack.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"seeding assemblies failed:\n{done.stdout}\n{done.stderr}")
    print(done.stdout.strip())


def publish_template(stack: Stack, headers: dict[str, str]) -> str:
    with httpx.Client(base_url=stack.config.url("generator"), headers=headers, timeout=60) as gen:
        ct = gen.post("/communication-types", json={"name": f"Bench {uuid.uuid4().hex[:6]}", "trigger": "batch"})
        ct.raise_for_status()
        body = {
            "communication_type_id": ct.json()["id"],
            "name": "Annual test due (bench)",
            "settings": {"contact_types": ["owner"], "methods": ["email", "letter"]},
            "email_subject": SUBJECT,
            "email_body_text": BODY,
            "letter_body": LETTER,
        }
        t = gen.post("/templates", json=body)
        t.raise_for_status()
        published = gen.post(f"/templates/{t.json()['id']}/publish")
        published.raise_for_status()
        return t.json()["id"]


def run_pipeline(stack: Stack, headers: dict[str, str], template_id: str) -> tuple[str, int, int, float]:
    with httpx.Client(base_url=stack.config.url("batches"), headers=headers, timeout=300) as batches:
        body = {"name": "Bench batch", "template_id": template_id, "due_date": "2026-06-30", "filter": {}}
        created = batches.post("/batches", json=body)
        created.raise_for_status()
        batch_id, members = created.json()["id"], created.json()["member_count"]
        started = time.perf_counter()
        g = batches.post(f"/batches/{batch_id}/generate")
        g.raise_for_status()
        accepted = time.perf_counter() - started
        while True:
            detail = batches.get(f"/batches/{batch_id}").json()
            if detail["state"] == "generated":
                break
            if time.perf_counter() - started > 900:
                raise SystemExit(f"not generated after 900 s: {detail['progress']}")
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        total = detail["progress"]["generated"]
        print(f"batch {batch_id}: {members} members, {detail['progress']['chunks_total']} chunks")
        print(f"  POST /generate answered 202 in {accepted:.2f} s (member snapshots + chunked outbox)")
        print(f"  counts: {detail['counts']['by_method']}, skipped members {detail['counts']['skipped_members']}")
        if detail["errors"]:
            print(f"  chunk errors: {detail['errors'][:3]}")
        return batch_id, members, total, elapsed


async def plain_process(stack: Stack, headers: dict[str, str], batch_id: str) -> tuple[int, float, float]:
    """Render the batch's communications in one process with Jinja2 and insert them with one bulk insert."""
    conn = await asyncpg.connect(f"{PG}/{PREFIX}batches")
    rows = await conn.fetch(
        "SELECT id, contact_id, assembly_ids, method FROM communications WHERE batch_id = $1", uuid.UUID(batch_id)
    )
    await conn.close()
    assembly_ids = sorted({a for r in rows for a in json.loads(r["assembly_ids"])})
    snapshots: dict[str, Any] = {}
    organization: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=stack.config.url("assemblies"), headers=headers, timeout=120) as client:
        for i in range(0, len(assembly_ids), 1000):
            r = await client.post("/internal/members/snapshots", json={"assembly_ids": assembly_ids[i : i + 1000]})
            r.raise_for_status()
            organization = r.json()["organization"]
            for m in r.json()["members"]:
                snapshots[m["assembly"]["id"]] = m

    env = SandboxedEnvironment(autoescape=False)
    subject, body, letter = env.from_string(SUBJECT), env.from_string(BODY), env.from_string(LETTER)
    started = time.perf_counter()
    rendered: list[tuple[Any, ...]] = []
    for r in rows:
        m = snapshots[json.loads(r["assembly_ids"])[0]]
        contact = next((c for c in m["contacts"] if c["id"] == str(r["contact_id"])), m["contacts"][0])
        a, loc = m["assembly"], m["location"]
        ctx = {
            "org": organization,
            "contact": contact,
            "assembly": a,
            "location": {**loc, "address_line1": loc["address"]["line1"], "city": loc["address"]["city"]},
            "batch": {"name": "Bench batch", "due_date": "2026-06-30"},
        }
        if r["method"] == "email":
            rendered.append((uuid.uuid4(), r["method"], subject.render(ctx), body.render(ctx), ""))
        else:
            rendered.append((uuid.uuid4(), r["method"], "", "", letter.render(ctx)))
    render_s = time.perf_counter() - started
    conn = await asyncpg.connect(f"{PG}/{PREFIX}batches")
    try:
        await conn.execute(
            "CREATE TEMP TABLE plain_communications (id uuid primary key, method text, subject text,"
            " body_text text, letter_body text)"
        )
        await conn.copy_records_to_table("plain_communications", records=rendered)
    finally:
        await conn.close()
    total_s = time.perf_counter() - started
    return len(rendered), render_s, total_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assemblies", type=int, default=10_000)
    parser.add_argument("--chunk-size", type=int, default=200)
    parser.add_argument("--port-offset", type=int, default=4700, help="service ports = usual ports + this offset")
    args = parser.parse_args()

    asyncio.run(ensure_databases())
    config = StackConfig(
        data_dir=ROOT / ".data" / "bench-batches",
        database="postgres",
        pg_database_prefix=PREFIX,
        kafka_namespace=f"bench{uuid.uuid4().hex[:6]}.",
        port_offset=args.port_offset,
        seed=False,
        services=SERVICES,
        mailcatcher=False,
        extra_env={"BATCHES_CHUNK_SIZE": str(args.chunk_size), "BATCHES_LOG_LEVEL": "INFO"},
    )
    stack = Stack(config)
    ports_free(config)
    seed_assemblies(stack, args.assemblies)
    token = issue_identity_token(
        config.identity_secret, org_id=DEMO_ORG_ID, role="org_admin", user_id=uuid.uuid4(), ttl_seconds=3600
    )
    headers = {HEADER: token}
    stack.start()
    try:
        template_id = publish_template(stack, headers)
        batch_id, _members, total, elapsed = run_pipeline(stack, headers, template_id)
        rate = total / elapsed if elapsed else 0.0
        plain_n, render_s, plain_s = asyncio.run(plain_process(stack, headers, batch_id))
    finally:
        stack.stop()
    print(f"pipeline: {total} communications in {elapsed:.2f} s = {rate:,.0f} communications/s (target >= 3,000)")
    print(f"plain process: {plain_n} rendered in {render_s:.2f} s, + one bulk insert = {plain_s:.2f} s")
    print(f"ratio pipeline / plain: {elapsed / plain_s:.2f} (target <= 3)")
    print(f"(cpus: {os.cpu_count()}, chunk size {args.chunk_size}, logs in {stack.log_dir})")


if __name__ == "__main__":
    main()
