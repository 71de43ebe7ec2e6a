"""Benchmark: a 10,000-assembly batch generated over Kafka by generator processes, against a plain baseline.

    .venv/bin/python bench/generation_generator.py [--members 10000] [--chunk-size 250] [--processes 2] [--repeat 3]

Needs Kafka (127.0.0.1:9092) and PostgreSQL (127.0.0.1:5433, database ``test_generator``), as
started by ``make infra-up``. It starts ``--processes`` copies of ``python -m generator`` in one
consumer group (a fresh KAFKA_NAMESPACE), warms them up, then publishes the batch's
GenerationRequested chunks (serialized beforehand, as batches' outbox holds them) and measures
from the first publish until every chunk's CommunicationsGenerated has been read back and parsed.
In the same run it measures the plain baseline (``plain_process_baseline``): one process
rendering the same communications with Jinja2 and inserting them with one bulk insert.

Prints, per round and as the median of the rounds, communications per second end to end,
the baseline's time, and the ratio (end-to-end time / baseline time).
Targets: >= 3,000 communications/s and a ratio <= 3.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from uuid import UUID

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jinja2  # noqa: E402
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # noqa: E402
from sqlalchemy import Column, MetaData, String, Table, Text, Uuid, insert  # noqa: E402

from contracts.events import CommunicationsGenerated, GenerationRequested  # noqa: E402
from contracts.snapshots import MemberSnapshot, OrganizationSnapshot  # noqa: E402
from generator.bootstrap import MIGRATIONS  # noqa: E402
from generator.domain.contact_rules import communication_id  # noqa: E402
from generator.service_layer.catalog import Catalog  # noqa: E402
from servicekit.db import create_engine, create_session_factory  # noqa: E402
from servicekit.kafka import ensure_topics  # noqa: E402
from servicekit.migrations import upgrade  # noqa: E402
from servicekit.naming import topic_name  # noqa: E402
from tests.unit.generator.builders import a_contact, a_location, an_org, members_at  # noqa: E402

KAFKA = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5433/test_generator")

SUBJECT = "Annual backflow test due {{ batch.due_date }} – {{ location.address }}"
TEXT = """Dear {{ contact.first_name }},

Our records show that backflow assembly {{ assembly.serial_number }} ({{ assembly.assembly_type }} {{ assembly.size }})
at {{ location.address }} (account {{ location.account_number }}) must be tested by {{ batch.due_date }}.

Please have a certified tester test it and send us the results before the due date.

Thank you,
{{ org.name }}
"""
HTML = """<p>Dear {{ contact.first_name }},</p>
<p>Our records show that backflow assembly <strong>{{ assembly.serial_number }}</strong>
({{ assembly.assembly_type }} {{ assembly.size }}) at {{ location.address }} (account {{ location.account_number }})
must be tested by <strong>{{ batch.due_date }}</strong>.</p>
<p>Thank you,<br>{{ org.name }}</p>
"""


def build_members(n: int) -> list[MemberSnapshot]:
    members = []
    for _ in range(n):
        loc = a_location()
        members.extend(members_at(loc, [a_contact(loc, "owner"), a_contact(loc, "tenant")]))
    return members


def _address(a) -> str:  # type: ignore[no-untyped-def]
    return f"{a.line1}, {a.city}, {a.state} {a.postal_code}"


async def plain_process_baseline(
    members: list[MemberSnapshot], org: OrganizationSnapshot, batch_id: UUID, database_url: str
) -> tuple[float, int]:
    """One plain process: render every member's owner email with Jinja2, insert all rows in one bulk insert.

    Answers (seconds, rows). The table is a scratch one, dropped afterwards.
    """
    engine = create_engine(database_url)
    md = MetaData()
    table = Table(
        f"bench_plain_{uuid.uuid4().hex[:8]}",
        md,
        Column("id", Uuid, primary_key=True),
        Column("contact_id", Uuid),
        Column("method", String(10)),
        Column("subject", Text),
        Column("body_text", Text),
        Column("body_html", Text),
    )
    async with engine.begin() as conn:
        await conn.run_sync(md.create_all)
    env = jinja2.Environment(autoescape=False)
    html_env = jinja2.Environment(autoescape=True)
    subject, text, html = env.from_string(SUBJECT), env.from_string(TEXT), html_env.from_string(HTML)
    org_ctx = {"name": org.name}
    try:
        started = time.perf_counter()
        rows = []
        for m in members:
            owner = next(c for c in m.contacts if c.contact_type == "owner")
            ctx = {
                "org": org_ctx,
                "location": {"address": _address(m.location.address), "account_number": m.location.account_number},
                "contact": {"first_name": owner.first_name, "name": owner.name},
                "assembly": {
                    "serial_number": m.assembly.serial_number,
                    "assembly_type": m.assembly.assembly_type,
                    "size": m.assembly.size,
                },
                "batch": {"name": "Bench", "due_date": "April 15, 2026"},
            }
            rows.append(
                {
                    "id": communication_id(batch_id, owner.id, "email", [m.assembly.id]),
                    "contact_id": owner.id,
                    "method": "email",
                    "subject": subject.render(ctx),
                    "body_text": text.render(ctx),
                    "body_html": html.render(ctx),
                }
            )
        async with engine.begin() as conn:
            await conn.execute(insert(table), rows)
        elapsed = time.perf_counter() - started
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(md.drop_all)
        await engine.dispose()
    return elapsed, len(rows)


async def seed_template(database_url: str, org_id: UUID) -> tuple[UUID, int]:
    await asyncio.to_thread(upgrade, database_url, MIGRATIONS)
    engine = create_engine(database_url)
    catalog = Catalog(create_session_factory(engine))
    ct = await catalog.create_type(org_id, {"name": "Bench notice"})
    t = await catalog.create_template(
        org_id,
        {
            "communication_type_id": ct.id,
            "name": "Bench",
            "settings": {"contact_types": ["owner"], "methods": ["email"]},
            "email_subject": SUBJECT,
            "email_body_text": TEXT,
            "email_body_html": HTML,
        },
    )
    await engine.dispose()
    return t.id, t.version


def requests(
    org: OrganizationSnapshot, template: tuple[UUID, int], batch_id: UUID, members: list[MemberSnapshot], size: int
) -> list[GenerationRequested]:
    chunks = [members[i : i + size] for i in range(0, len(members), size)]
    return [
        GenerationRequested(
            org_id=org.id,
            batch_id=batch_id,
            chunk_index=i,
            chunk_count=len(chunks),
            template_id=template[0],
            template_version=template[1],
            batch_name="Bench",
            due_date=date(2026, 4, 15),
            organization=org,
            members=chunk,
        )
        for i, chunk in enumerate(chunks)
    ]


class Generators:
    def __init__(self, count: int, namespace: str, log_dir: Path) -> None:
        self.count, self.namespace, self.log_dir = count, namespace, log_dir
        self.procs: list[asyncio.subprocess.Process] = []

    async def start(self) -> None:
        import socket

        for i in range(self.count):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            env = {
                **os.environ,
                "GENERATOR_DATABASE_URL": DATABASE_URL,
                "GENERATOR_KAFKA_BOOTSTRAP_SERVERS": KAFKA,
                "GENERATOR_HTTP_PORT": str(port),
                "GENERATOR_RUN_MIGRATIONS": "false",
                "GENERATOR_INSTANCE_NAME": f"bench-{i}",
                "KAFKA_NAMESPACE": self.namespace,
            }
            log = (self.log_dir / f"bench-{i}.log").open("wb")
            self.procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "generator", cwd=ROOT, env=env, stdout=log, stderr=log
                )
            )

    def cpu_seconds(self) -> float:
        """User + system CPU time the generator processes used so far (Linux /proc)."""
        total = 0.0
        for p in self.procs:
            fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    async def stop(self) -> None:
        for p in self.procs:
            if p.returncode is None:
                p.terminate()
        for p in self.procs:
            try:
                await asyncio.wait_for(p.wait(), 20)
            except TimeoutError:
                p.kill()
                await p.wait()


async def run_batch(
    producer: AIOKafkaProducer, consumer: AIOKafkaConsumer, events: list[GenerationRequested]
) -> tuple[float, set[str]]:
    """Publish a batch's chunks; answer the seconds until every chunk's result was read, and the ids."""
    batch_id = str(events[0].batch_id)
    # serialized before the clock starts: batches' outbox holds the requests already serialized
    payloads = [(e.to_json_bytes(), f"{e.batch_id}:{e.chunk_index}".encode()) for e in events]
    started = time.perf_counter()
    futures = [
        await producer.send(topic_name(GenerationRequested.TOPIC), value=value, key=key) for value, key in payloads
    ]
    await asyncio.gather(*futures)
    answered: set[int] = set()
    ids: set[str] = set()
    while len(answered) < len(events):
        if time.perf_counter() - started > 600:
            raise TimeoutError(f"only {len(answered)} of {len(events)} chunks answered")
        for records in (await consumer.getmany(timeout_ms=200)).values():
            for r in records:
                body = json.loads(r.value)
                if body["batch_id"] == batch_id:
                    answered.add(body["chunk_index"])
                    ids.update(c["communication_id"] for c in body["communications"])
    return time.perf_counter() - started, ids


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--chunk-size", type=int, default=250)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="measured rounds (the median is reported)")
    args = parser.parse_args()

    namespace = f"bench{uuid.uuid4().hex[:6]}."
    os.environ["KAFKA_NAMESPACE"] = namespace
    org = an_org()
    template = await seed_template(DATABASE_URL, org.id)
    print(f"building {args.members} member snapshots ...", flush=True)
    members = build_members(args.members)

    await ensure_topics(KAFKA, 6)
    log_dir = Path(tempfile.mkdtemp(prefix="bench-generator-"))
    generators = Generators(args.processes, namespace, log_dir)
    producer = AIOKafkaProducer(
        bootstrap_servers=KAFKA, enable_idempotence=True, acks="all", max_request_size=10 * 1024 * 1024, linger_ms=5
    )
    consumer = AIOKafkaConsumer(
        topic_name(CommunicationsGenerated.TOPIC),
        bootstrap_servers=KAFKA,
        group_id=f"{namespace}bench-reader",
        auto_offset_reset="earliest",
        fetch_max_bytes=50 * 1024 * 1024,
        max_partition_fetch_bytes=10 * 1024 * 1024,
    )
    await producer.start()
    await consumer.start()
    await generators.start()
    try:
        # warm up until the group has settled: every process compiled the template and rendered a chunk
        for _ in range(30):
            warm = requests(org, template, uuid.uuid4(), build_members(24), 2)
            await run_batch(producer, consumer, warm)
            logs = [(log_dir / f"bench-{i}.log").read_text() for i in range(args.processes)]
            if all(str(warm[0].batch_id) in text for text in logs):
                break
            await asyncio.sleep(1)
        else:
            print("warning: not every generator process took part in the warm-up", flush=True)

        rounds = []
        for round_no in range(1, args.repeat + 1):
            batch_id = uuid.uuid4()
            events = requests(org, template, batch_id, members, args.chunk_size)
            cpu_before = generators.cpu_seconds()
            elapsed, ids = await run_batch(producer, consumer, events)
            generator_cpu = generators.cpu_seconds() - cpu_before
            expected = {str(communication_id(batch_id, owner_of(m), "email", [m.assembly.id])) for m in members}
            assert ids == expected, f"got {len(ids)} distinct ids, expected {len(expected)}"
            baseline, rows = await plain_process_baseline(members, org, batch_id, DATABASE_URL)
            load = os.getloadavg()[0]
            rounds.append((elapsed, baseline))
            print(
                f"round {round_no}: end to end {len(ids)} communications in {elapsed:.2f} s "
                f"= {len(ids) / elapsed:,.0f}/s; plain process {rows} in {baseline:.2f} s "
                f"= {rows / baseline:,.0f}/s; ratio {elapsed / baseline:.2f}; load average {load:.1f}; "
                f"generator CPU {generator_cpu * 1e6 / len(ids):.0f} us per communication",
                flush=True,
            )
    finally:
        await generators.stop()
        await consumer.stop()
        await producer.stop()

    elapsed = statistics.median(r[0] for r in rounds)
    ratio = statistics.median(r[0] / r[1] for r in rounds)
    rate = args.members / elapsed
    print(
        f"median of {len(rounds)}: end to end ({args.processes} generator processes, chunks of {args.chunk_size}) "
        f"{rate:,.0f} communications/s (target >= 3,000: {'met' if rate >= 3000 else 'NOT met'}); "
        f"ratio end to end / plain {ratio:.2f} (target <= 3: {'met' if ratio <= 3 else 'NOT met'}); "
        f"{os.cpu_count()} cores shared with everything else running"
    )


def owner_of(member: MemberSnapshot) -> UUID:
    return next(c.id for c in member.contacts if c.contact_type == "owner")


if __name__ == "__main__":
    asyncio.run(main())
