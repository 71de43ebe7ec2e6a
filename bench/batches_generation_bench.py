"""Benchmark of issue 4: a 10,000-assembly batch generated end to end on real Kafka + PostgreSQL.

Runs assemblies, generator and batches as processes (tools/devstack) on their own PostgreSQL
databases (``bench_batches_<service>``) and Kafka namespace, loads the demo utility with N assemblies,
creates a published template, creates a batch of every assembly and generates it. Prints:

- the pipeline: communications per second from ``POST /generate`` to state ``generated``;
- the plain process: the time one process needs to render the same communications with
  Jinja2 (sandbox, same template texts) and insert them with one bulk insert;
- the ratio pipeline time / plain time. Targets: >= 3,000 communications/s, ratio <= 3.

    .venv/bin/python bench/batches_generation_bench.py [--assemblies 10000] [--chunk-size 1000]
        [--generators 2] [--warmup 1]

The measured batch is the second one the stack generates (``--warmup 0``: the first), so it
meets a running system's warm connection pools and caches, as an admin's batch does.

Also prints the CPU seconds each service process used during the pipeline, and how busy the
whole machine was (other work on a shared machine slows every figure down).

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
from servicekit.kafka import delete_namespace_topics  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5433"
PREFIX = "bench_batches_"
"""Databases of this benchmark only: bench_batches_assemblies, bench_batches_generator, bench_batches_batches."""
SERVICES = ("assemblies", "generator", "batches")
POLL_SECONDS = 0.1
"""How often the batch page is read while the measured batch generates: the figure includes up
to this much (plus one page read) after the batch became generated."""

SUBJECT = "Backflow test due for {{ assembly.serial_number }} at {{ location.address_line1 }}"
BODY = (
    "Dear {{ contact.name }},\n\nOur records show that the {{ assembly.assembly_type }} backflow assembly "
    "{{ assembly.serial_number }} ({{ assembly.size }}) at {{ location.address_line1 }}, {{ location.city }} "
    "must be tested by {{ batch.due_date }}. Please send the test report to {{ org.name }}.\n"
)
LETTER = BODY


async def ensure_databases() -> None:
    """The assemblies database is kept (seeding it again is a no-op); batches and generator start
    empty, so every run inserts into tables of the same size (past runs' batches would otherwise
    pile up in the ledger and its indexes)."""
    conn = await asyncpg.connect(f"{PG}/postgres")
    try:
        for service in SERVICES:
            name = f"{PREFIX}{service}"
            if service != "assemblies":
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def ports_free(config: StackConfig) -> None:
    """Refuse to start on a port another stack already serves (its readiness would look like ours)."""
    for service in SERVICES:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a past run's TIME_WAIT is no listener
            try:
                s.bind(("127.0.0.1", config.port(service)))
            except OSError as exc:
                raise SystemExit(
                    f"port {config.port(service)} ({service}) is in use; pass another --port-offset"
                ) from exc


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def infrastructure_cpu_seconds() -> tuple[float, float]:
    """CPU seconds so far of every PostgreSQL process, and of the Kafka broker (all of this machine's)."""
    pg = kafka = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        if name == "postgres" or b"kafka.Kafka" in cmdline:
            fields = text.rsplit(")", 1)[1].split()
            seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            if name == "postgres":
                pg += seconds
            else:
                kafka += seconds
    return pg, kafka


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores (Linux /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    tick = os.sysconf("SC_CLK_TCK")
    return (total - idle) / tick, total / tick


class ExtraGenerators:
    """More copies of the generator in its consumer group, beside the stack's one."""

    def __init__(self, stack: Stack, count: int) -> None:
        self.stack, self.count = stack, count
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        for i in range(self.count):
            port = self.stack.config.port("generator") + 50 + i
            env = {
                **self.stack.env(),
                "GENERATOR_HTTP_PORT": str(port),
                "GENERATOR_RUN_MIGRATIONS": "false",
                "GENERATOR_INSTANCE_NAME": f"bench-generator-{i + 2}",
            }
            log = open(self.stack.log_dir / f"generator-{i + 2}.log", "ab")
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "generator"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or self.processes[-1].poll() is not None:
                    raise SystemExit(f"extra generator {i + 2} did not start; see its log")
                time.sleep(0.25)

    def stop(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.processes:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def wait_group_settled(stack: Stack, generators: int, timeout: float = 60.0) -> None:
    """Wait until every generator copy got its partitions, so no rebalance happens during the run."""
    logs = [stack.log_dir / "generator.log"] + [stack.log_dir / f"generator-{i + 2}.log" for i in range(generators - 1)]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = [p.read_text(errors="replace").count("generation-requested.v1', partition=") for p in logs]
        if all(counts):
            time.sleep(4.0)  # the group's last rebalance reaches every member
            return
        time.sleep(0.5)
    print("warning: generator copies not all assigned after the wait")


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


def create_batch(batches: httpx.Client, name: str, template_id: str) -> tuple[str, int]:
    """A batch of every assembly: (its id, its member count)."""
    body = {"name": name, "template_id": template_id, "due_date": "2026-06-30", "filter": {}}
    created = batches.post("/batches", json=body)
    if created.status_code != 201:
        raise SystemExit(f"POST /batches answered {created.status_code}: {created.text[:500]}")
    return created.json()["id"], created.json()["member_count"]


def wait_generated(batches: httpx.Client, batch_id: str, started: float) -> dict[str, Any]:
    """Read the batch page every ``POLL_SECONDS`` until it is generated; its last reading."""
    while True:
        detail: dict[str, Any] = batches.get(f"/batches/{batch_id}").json()
        if detail["state"] == "generated":
            return detail
        if time.perf_counter() - started > 900:
            raise SystemExit(f"not generated after 900 s: {detail['progress']}")
        time.sleep(POLL_SECONDS)


def warm_up(stack: Stack, headers: dict[str, str], template_id: str) -> None:
    """Generate one batch before the measured one, as a running system has: connection pools
    filled (a new PostgreSQL backend's first query loads its catalog caches), prepared
    statements, template caches, Kafka connections. Without it the measured batch paid those
    once-only costs (the first member-snapshot pages took 165 ms instead of 50)."""
    with httpx.Client(base_url=stack.config.url("batches"), headers=headers, timeout=300) as batches:
        batch_id, _ = create_batch(batches, "Warm-up batch", template_id)
        started = time.perf_counter()
        batches.post(f"/batches/{batch_id}/generate").raise_for_status()
        wait_generated(batches, batch_id, started)


def run_pipeline(
    stack: Stack, headers: dict[str, str], template_id: str, pids: dict[str, int]
) -> tuple[str, int, int, float]:
    with httpx.Client(base_url=stack.config.url("batches"), headers=headers, timeout=300) as batches:
        batch_id, members = create_batch(batches, "Bench batch", template_id)
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        busy_before = machine_busy_seconds()
        infrastructure_before = infrastructure_cpu_seconds()
        started = time.perf_counter()
        g = batches.post(f"/batches/{batch_id}/generate")
        g.raise_for_status()
        accepted = time.perf_counter() - started
        detail = wait_generated(batches, batch_id, started)
        elapsed = time.perf_counter() - started
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        busy_after = machine_busy_seconds()
        pg_after, kafka_after = infrastructure_cpu_seconds()
        pg, kafka = pg_after - infrastructure_before[0], kafka_after - infrastructure_before[1]
        infrastructure = pg + kafka
        total = detail["progress"]["generated"]
        print(f"batch {batch_id}: {members} members, {detail['progress']['chunks_total']} chunks")
        print(f"  POST /generate answered 202 in {accepted:.2f} s (member snapshots + chunked outbox)")
        print(f"  counts: {detail['counts']['by_method']}, skipped members {detail['counts']['skipped_members']}")
        if detail["errors"]:
            print(f"  chunk errors: {detail['errors'][:3]}")
        print("  CPU seconds during the pipeline: " + ", ".join(f"{n} {v:.2f}" for n, v in cpu.items()))
        busy = busy_after[0] - busy_before[0]
        print(
            f"  machine: {busy:.1f} CPU seconds busy of {busy_after[1] - busy_before[1]:.1f} "
            f"({os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}), ours {sum(cpu.values()):.1f}"
        )
        print(
            f"  services + PostgreSQL + Kafka: {sum(cpu.values()) + infrastructure:.2f} CPU seconds"
            f" (PostgreSQL {pg:.2f}, Kafka {kafka:.2f}), {(sum(cpu.values()) + infrastructure) / total * 1e6:.0f} µs"
            " per communication"
        )
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
    # like the pipeline's services, the plain process is measured warm: connected, its table made
    conn = await asyncpg.connect(f"{PG}/{PREFIX}batches")
    try:
        await conn.execute(
            "CREATE TEMP TABLE plain_communications (id uuid primary key, method text, subject text,"
            " body_text text, letter_body text)"
        )
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
        await conn.copy_records_to_table("plain_communications", records=rendered)
        total_s = time.perf_counter() - started
    finally:
        await conn.close()
    return len(rendered), render_s, total_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assemblies", type=int, default=10_000)
    parser.add_argument("--chunk-size", type=int, default=1000, help="BATCHES_CHUNK_SIZE (the service default)")
    parser.add_argument("--generators", type=int, default=2, help="generator processes in their consumer group")
    parser.add_argument(
        "--warmup", type=int, default=1, help="batches generated before the measured one (0: a cold system)"
    )
    parser.add_argument("--port-offset", type=int, default=5300, help="service ports = usual ports + this offset")
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
        python=os.environ.get("BENCH_PYTHON", sys.executable),  # e.g. a wrapper that profiles one service
        extra_env={"BATCHES_CHUNK_SIZE": str(args.chunk_size), "BATCHES_LOG_LEVEL": "INFO"},
    )
    stack = Stack(config)
    ports_free(config)
    for old in stack.log_dir.glob("*.log"):  # this run's logs only
        old.unlink()
    seed_assemblies(stack, args.assemblies)
    token = issue_identity_token(
        config.identity_secret, org_id=DEMO_ORG_ID, role="org_admin", user_id=uuid.uuid4(), ttl_seconds=3600
    )
    headers = {HEADER: token}
    stack.start()
    extra = ExtraGenerators(stack, args.generators - 1)
    try:
        extra.start()
        wait_group_settled(stack, args.generators)
        pids = {name: proc.pid for name, proc in stack.processes.items()}
        pids.update({f"generator-{i + 2}": p.pid for i, p in enumerate(extra.processes)})
        template_id = publish_template(stack, headers)
        for _ in range(args.warmup):
            warm_up(stack, headers, template_id)
        batch_id, _members, total, elapsed = run_pipeline(stack, headers, template_id, pids)
        rate = total / elapsed if elapsed else 0.0
        plain_n, render_s, plain_s = asyncio.run(plain_process(stack, headers, batch_id))
    finally:
        extra.stop()
        stack.stop()
        asyncio.run(delete_namespace_topics(config.kafka_bootstrap, config.kafka_namespace))
    print(f"pipeline: {total} communications in {elapsed:.2f} s = {rate:,.0f} communications/s (target >= 3,000)")
    print(f"plain process: {plain_n} rendered in {render_s:.2f} s, + one bulk insert = {plain_s:.2f} s")
    print(f"ratio pipeline / plain: {elapsed / plain_s:.2f} (target <= 3)")
    print(
        f"(cpus: {os.cpu_count()}, chunk size {args.chunk_size}, {args.generators} generator processes,"
        f" {args.warmup} warm-up batch(es) before,"
        f" logs in {stack.log_dir})"
    )


if __name__ == "__main__":
    main()
