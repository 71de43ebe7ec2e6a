"""Benchmark of delivery: N emails through Kafka → delivery → the mail catcher, against a plain loop.

    .venv/bin/python bench/delivery_bench.py [--emails 5000] [--pool 4] [--db postgres|sqlite]

Starts a mail catcher (``python -m mailcatcher``) and, in the same run:

1. **plain loop**: ``--pool`` aiosmtplib connections, each sending its share of the same
   emails (text + HTML) as fast as it can, straight to the catcher;
2. **delivery**: ``python -m delivery`` with ``DELIVERY_SMTP_POOL_SIZE=--pool`` on the
   dedicated database ``bench_delivery`` (schema reset first); the bench publishes
   ``--emails`` ``DeliveryRequested`` events to Kafka and times until the catcher has
   them all (and until every ``sent`` report is back on Kafka);
3. the plain loop once more (the machine is shared: the ratio uses the mean of both).

Prints emails per second for each and the ratio, the CPU each side used per email (the
delivery process, the plain loop's process, the mail catcher) and the load average before
and after (the machine is shared: read the figures with it). Target: delivery ≥ 80 % of
the plain loop.
Needs Kafka (127.0.0.1:9092) and, for ``--db postgres``, PostgreSQL (127.0.0.1:5433).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KAFKA_NAMESPACE", f"dbench{uuid.uuid4().hex[:6]}.")

from tests.integration.delivery.harness import (  # noqa: E402
    DeliveryProcess,
    MailCatcher,
    ReportCollector,
    RequestProducer,
    drop_topics,
    make_request,
    reset_postgres_database,
)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _plain_message(i: int) -> EmailMessage:
    m = EmailMessage()
    m["From"] = "Riverbend Water Utility <ccc@riverbend.example>"
    m["To"] = f"Pat Owner <owner-{i}@customer.example>"
    m["Reply-To"] = "backflow@riverbend.example"
    m["Subject"] = "Annual backflow test due"
    m["Message-ID"] = f"<plain-{i}-{uuid.uuid4().hex}@riverbend.example>"
    m.set_content(f"Your backflow assembly is due for its annual test. ({i})")
    m.add_alternative(f"<p>Your backflow assembly is due for its annual test. ({i})</p>", subtype="html")
    return m


async def plain_loop(port: int, emails: int, pool: int) -> tuple[float, float]:
    """Emails per second of ``pool`` connections sending ``emails`` messages, and its CPU seconds.

    The messages are built before the clock starts; ``send_message`` flattens each one
    (as aiosmtplib users do) inside the timed loop.
    """
    messages = [_plain_message(i) for i in range(emails)]

    async def worker(share: list[EmailMessage]) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        for m in share:
            await client.send_message(m)
        await client.quit()

    cpu = _cpu_seconds(os.getpid())
    started = time.perf_counter()
    await asyncio.gather(*(worker(messages[k::pool]) for k in range(pool)))
    return emails / (time.perf_counter() - started), _cpu_seconds(os.getpid()) - cpu


async def through_delivery(catcher: MailCatcher, database_url: str, workdir: Path, emails: int, pool: int) -> dict:
    delivery = DeliveryProcess(
        workdir, database_url, catcher, DELIVERY_SMTP_POOL_SIZE=str(pool), DELIVERY_LOG_LEVEL="WARNING"
    ).start()
    org_id = uuid.uuid4()
    try:
        async with RequestProducer() as producer, ReportCollector(org_id) as reports:
            # warm-up: the consumer group is joined and the path is hot before timing
            warm = [make_request(org_id) for _ in range(20)]
            await producer.send(warm)
            await reports.wait_settled([r.communication_id for r in warm], timeout=120)
            base = catcher.count()

            requests = [make_request(org_id, batch_id=uuid.uuid4()) for _ in range(emails)]
            assert delivery.proc is not None and catcher.proc is not None
            cpu = _cpu_seconds(delivery.proc.pid)
            catcher_cpu = _cpu_seconds(catcher.proc.pid)
            started = time.perf_counter()
            await producer.send(requests)
            while True:
                if catcher.count() >= base + emails:
                    break
                await asyncio.sleep(0.05)
            arrived = time.perf_counter() - started
            cpu_used = _cpu_seconds(delivery.proc.pid) - cpu
            catcher_used = _cpu_seconds(catcher.proc.pid) - catcher_cpu
            await reports.wait_settled([r.communication_id for r in requests], timeout=300)
            reported = time.perf_counter() - started
        return {
            "arrived_per_s": emails / arrived,
            "reported_per_s": emails / reported,
            "seconds": arrived,
            "cpu_ms_per_email": cpu_used * 1000 / emails,
            "catcher_cpu_ms_per_email": catcher_used * 1000 / emails,
        }
    finally:
        delivery.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=5000)
    parser.add_argument("--pool", type=int, default=4)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    args = parser.parse_args()

    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
    with tempfile.TemporaryDirectory(prefix="delivery-bench-") as tmp:
        workdir = Path(os.environ.get("BENCH_WORKDIR", tmp))
        os.makedirs(workdir, exist_ok=True)
        if args.db == "postgres":
            database_url = await reset_postgres_database("bench_delivery")
        else:
            database_url = f"sqlite+aiosqlite:///{workdir}/delivery.db"
        catcher = MailCatcher(workdir, keep_on_disk=False, MAILCATCHER_REJECT_PATTERN="").start()
        try:
            plain_before, plain_cpu = await plain_loop(catcher.smtp_port, args.emails, args.pool)
            print(
                f"plain aiosmtplib loop ({args.pool} connections): {plain_before:8.0f} emails/s "
                f"({plain_cpu * 1000 / args.emails:.2f} ms CPU per email)",
                flush=True,
            )
            d = await through_delivery(catcher, database_url, workdir, args.emails, args.pool)
            print(
                f"kafka → delivery → catcher ({args.pool} connections, {args.db}): "
                f"{d['arrived_per_s']:8.0f} emails/s arrived ({d['seconds']:.1f} s), "
                f"{d['reported_per_s']:.0f} emails/s with every `sent` report back on Kafka "
                f"(delivery process: {d['cpu_ms_per_email']:.2f} ms CPU per email; "
                f"mail catcher: {d['catcher_cpu_ms_per_email']:.2f})",
                flush=True,
            )
            plain_after, _cpu = await plain_loop(catcher.smtp_port, args.emails, args.pool)
            print(f"plain aiosmtplib loop again:               {plain_after:8.0f} emails/s", flush=True)
            plain = (plain_before + plain_after) / 2
            print(
                f"ratio delivery / plain loop: {d['arrived_per_s'] / plain:.0%} "
                f"(arrivals; {d['reported_per_s'] / plain:.0%} counting the reports) — target ≥ 80 %"
            )
            print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
        finally:
            catcher.close()
            drop_topics(os.environ["KAFKA_NAMESPACE"])


if __name__ == "__main__":
    asyncio.run(main())
