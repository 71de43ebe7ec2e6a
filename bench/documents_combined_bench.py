"""Bench: the combined letters PDF of a 10,000-letter batch.

Runs the documents service as a subprocess (real Kafka, SQLite by default or
``--database-url``), feeds it the batch as the generator would (CommunicationsGenerated
chunks of 100), waits for every LetterRendered, then asks for the combined PDF twice:

* warm: the letters' files exist (the normal case: they were rendered at generation);
* cold: every letter file was deleted (as after the retention purge), so the service
  renders each letter again and streams them into the combined file.

It compares with a plain reportlab loop rendering the same letters in this process (half
just before the cold build, half just after, while the service is idle), and
samples the service's resident memory (psutil) throughout. Prints the figures.

    .venv/bin/python bench/documents_combined_bench.py [--letters 10000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from uuid import uuid4

import httpx
import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaTimeoutError

from servicekit.kafka import delete_namespace_topics

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contracts.events import CommunicationsGenerated, GeneratedCommunication, LetterRendered  # noqa: E402
from contracts.snapshots import (  # noqa: E402
    AssemblySnapshot,
    LocationSnapshot,
    OrganizationSnapshot,
    PostalAddress,
    Recipient,
)
from documents.adapters.pdf_letter import render_letter  # noqa: E402
from documents.service_layer.letters import build_letter  # noqa: E402
from servicekit.identity import HEADER, issue_identity_token  # noqa: E402

SECRET = "bench-identity-secret-0123456789"
BODY = """Dear **{name}**,

Our records show that the backflow prevention assemblies at *{street}* are due for their
annual test by **March 1, 2026**. State rules require a certified tester to test each
assembly every year and to send us the results within ten days of the test.

[[assemblies_table]]

To stay compliant:
- Hire a *certified* backflow tester (a list is on our website)
- Make sure the tester sends us the report before the due date
- Keep a copy of the report for your records

If an assembly was removed or replaced, please call us so we can update our records.

Thank you for helping protect the public water supply."""
FIRST = ["Ann", "Bob", "Cara", "Dan", "Eve", "Finn", "Gia", "Hal", "Ida", "Jon", "Kim", "Lou"]
LAST = ["Adams", "Baker", "Chen", "Diaz", "Evans", "Fox", "Garcia", "Hill", "Ito", "Jones", "Khan", "Lopez"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_letters(n: int, org: OrganizationSnapshot, rnd: random.Random) -> list[GeneratedCommunication]:
    out = []
    for i in range(n):
        name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)} {i}"
        street = f"{rnd.randint(1, 9999)} {rnd.choice(LAST)} Street"
        addr = PostalAddress(line1=street, city="Riverbend", state="OR", postal_code=f"97{rnd.randint(0, 999):03d}")
        location_id = uuid4()
        # most letters cover 1-3 assemblies; one in ten a large site whose table runs over a page
        count = rnd.randint(1, 3) if rnd.random() > 0.1 else rnd.randint(25, 40)
        out.append(
            GeneratedCommunication(
                communication_id=uuid4(),
                location_id=location_id,
                contact_id=uuid4(),
                assembly_ids=[uuid4() for _ in range(count)],
                method="letter",
                recipient=Recipient(contact_id=uuid4(), name=name, address=addr),
                letter_body=BODY.format(name=name, street=street),
                location=LocationSnapshot(id=location_id, account_number=f"A{i}", address=addr),
                assemblies=[
                    AssemblySnapshot(
                        id=uuid4(),
                        location_id=location_id,
                        serial_number=f"SN{i:06d}{k:02d}",
                        assembly_type=rnd.choice(["RP", "DC", "PVB", "DCDA"]),
                        size=rnd.choice(['3/4"', '1"', '2"', '4"']),
                        placement="Meter pit",
                        next_test_due=date(2026, 3, 1),
                    )
                    for k in range(count)
                ],
            )
        )
    return out


class RssSampler:
    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak = 0
        self.phase_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rss = self.proc.memory_info().rss
            except psutil.Error:
                return
            self.peak = max(self.peak, rss)
            self.phase_peak = max(self.phase_peak, rss)
            time.sleep(0.05)

    def start(self) -> None:
        self._thread.start()

    def new_phase(self) -> None:
        self.phase_peak = self.proc.memory_info().rss

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def pdf_pages(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert not out.stderr.strip(), out.stderr
    return int(next(line.split()[-1] for line in out.stdout.splitlines() if line.startswith("Pages:")))


async def fetch_combined(client: httpx.AsyncClient, headers: dict, batch_id, ids, out: Path) -> tuple[float, int]:
    """Seconds from the request until the combined PDF starts downloading, and its page count."""
    started = time.perf_counter()
    answer = await client.post(
        f"/internal/batches/{batch_id}/combined",
        json={"communication_ids": [str(i) for i in ids]},
        headers=headers,
    )
    answer.raise_for_status()
    token = answer.json()["url"].removeprefix("/api/documents/")
    while True:  # a build longer than the request's wait goes on; its link answers 503 until done
        async with client.stream("GET", f"/documents/{token}") as response:
            if response.status_code == 503:
                continue
            response.raise_for_status()
            elapsed = time.perf_counter() - started
            with out.open("wb") as f:
                async for chunk in response.aiter_bytes():
                    f.write(chunk)
            break
    return elapsed, pdf_pages(out)


def plain_loop(letters: list[GeneratedCommunication], org: OrganizationSnapshot, folder: Path) -> tuple[int, float]:
    """The same letters with reportlab, one after the other, written to files: pages and seconds."""
    folder.mkdir(exist_ok=True)
    # this process holds the whole batch in memory: keep the garbage collector off it, so the
    # loop is as fast as a small process rendering letters (a stricter baseline)
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    pages = 0
    for comm in letters:
        rendered = render_letter(build_letter(comm, org, date(2026, 1, 5)))
        (folder / f"{comm.communication_id}.pdf").write_bytes(rendered.pdf)
        pages += rendered.pages
    elapsed = time.perf_counter() - started
    gc.unfreeze()
    return pages, elapsed


def start_service(work: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (work / "service.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "documents"], cwd=work, env=env, stdout=log, stderr=log)


async def delete_topics(bootstrap: str, namespace: str) -> None:
    """Leave the shared broker as it was: drop this run's topics."""
    try:
        await delete_namespace_topics(bootstrap, namespace)
    except Exception as exc:  # cleanup only
        print(f"could not delete the bench topics: {exc!r}")


def mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--letters", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (files, service log)")
    parser.add_argument("--kafka", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="documents-bench-"))
    namespace = f"bench{uuid4().hex[:8]}."
    port = free_port()
    database_url = args.database_url or f"sqlite+aiosqlite:///{work}/documents.db"
    storage = work / "files"
    env = {
        **os.environ,
        "KAFKA_NAMESPACE": namespace,
        "DOCUMENTS_DATABASE_URL": database_url,
        "DOCUMENTS_KAFKA_BOOTSTRAP_SERVERS": args.kafka,
        "DOCUMENTS_HTTP_PORT": str(port),
        "DOCUMENTS_STORAGE_DIR": str(storage),
        "DOCUMENTS_IDENTITY_SECRET": SECRET,
        "DOCUMENTS_LOG_LEVEL": "WARNING",
    }
    rnd = random.Random(6)
    org_id = uuid4()
    org = OrganizationSnapshot(
        id=org_id,
        name="Riverbend Water Utility",
        mailing_address=PostalAddress(line1="100 River Road", city="Riverbend", state="OR", postal_code="97000"),
        phone="(541) 555-0100",
        letterhead="Cross-Connection Control Program",
    )
    letters = make_letters(args.letters, org, rnd)
    batch_id = uuid4()
    print(f"documents bench: {len(letters)} letters, database {database_url.split(':')[0]}, work dir {work}")

    service = start_service(work, env)  # its log goes to work/service.log
    sampler = RssSampler(service.pid)
    sampler.start()
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=1800)
    producer = AIOKafkaProducer(
        bootstrap_servers=args.kafka,
        enable_idempotence=True,
        max_request_size=10 * 2**20,
        request_timeout_ms=120_000,  # a broker shared with other work may answer slowly
    )
    consumer = None
    try:
        for _ in range(300):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
        else:
            raise RuntimeError("documents service did not become ready")
        print(f"service ready, RSS {mb(sampler.proc.memory_info().rss)}")

        consumer = AIOKafkaConsumer(
            f"{namespace}{LetterRendered.TOPIC}", bootstrap_servers=args.kafka, auto_offset_reset="earliest"
        )
        await consumer.start()
        await producer.start()

        # 1. letters rendered as the generator publishes them
        sampler.new_phase()
        started = time.perf_counter()
        for index in range(0, len(letters), args.chunk):
            event = CommunicationsGenerated(
                org_id=org_id,
                batch_id=batch_id,
                chunk_index=index // args.chunk,
                chunk_count=(len(letters) + args.chunk - 1) // args.chunk,
                template_id=batch_id,
                template_version=1,
                organization=org,
                communications=letters[index : index + args.chunk],
            )
            for attempt in range(5):
                try:
                    await producer.send(
                        f"{namespace}{event.TOPIC}", event.to_json_bytes(), key=f"{batch_id}:{index}".encode()
                    )
                    break
                except KafkaTimeoutError:
                    if attempt == 4:
                        raise
                    await asyncio.sleep(2)
        await producer.flush()
        seen: set = set()
        rendered_pages = 0
        while len(seen) < len(letters):
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    ev = LetterRendered.from_json_bytes(record.value)
                    if ev.communication_id not in seen:
                        seen.add(ev.communication_id)
                        rendered_pages += ev.pages
        ingest = time.perf_counter() - started
        print(
            f"[from events] {len(seen)} letters ({rendered_pages} pages) rendered and announced in {ingest:.1f}s: "
            f"{len(seen) / ingest * 60:,.0f} letters/min, {rendered_pages / ingest:.0f} pages/s; "
            f"peak RSS {mb(sampler.phase_peak)}"
        )

        headers = {HEADER: issue_identity_token(SECRET, org_id=org_id, role="service", ttl_seconds=3600)}
        ids = [c.communication_id for c in letters]

        # 2. warm: combined from the letters' stored files
        sampler.new_phase()
        warm_s, warm_pages = await fetch_combined(client, headers, batch_id, ids, work / "warm.pdf")
        print(
            f"[combined, letters stored] {warm_pages} pages in {warm_s:.1f}s: {warm_pages / warm_s:.0f} pages/s; "
            f"file {mb((work / 'warm.pdf').stat().st_size)}; peak RSS {mb(sampler.phase_peak)}"
        )

        # 3. cold: every file purged; the service renders each letter again, then combines.
        # The plain loop runs half just before and half just after, in this process (the service
        # idle), so that both see the same share of a machine other work also uses.
        plain_a = await asyncio.to_thread(plain_loop, letters[::2], org, work / "plain")
        shutil.rmtree(storage / str(org_id))
        sampler.new_phase()
        cold_s, cold_pages = await fetch_combined(client, headers, batch_id, ids, work / "cold.pdf")
        print(
            f"[combined, files purged: render + combine] {cold_pages} pages in {cold_s:.1f}s: "
            f"{cold_pages / cold_s:.0f} pages/s; peak RSS {mb(sampler.phase_peak)}"
        )
        plain_b = await asyncio.to_thread(plain_loop, letters[1::2], org, work / "plain")
        assert warm_pages == cold_pages == rendered_pages, (warm_pages, cold_pages, rendered_pages)
    finally:
        if consumer is not None:
            await consumer.stop()
        await producer.stop()
        await client.aclose()
        sampler.stop()
        service.terminate()
        try:
            service.wait(timeout=30)
        except subprocess.TimeoutExpired:
            service.kill()
        await delete_topics(args.kafka, namespace)
    service_peak = sampler.peak

    plain_pages, plain_s = plain_a[0] + plain_b[0], plain_a[1] + plain_b[1]
    plain_rate = plain_pages / plain_s
    print(f"[plain reportlab loop] {plain_pages} pages in {plain_s:.1f}s: {plain_rate:.0f} pages/s")

    print()
    print(f"combined, files purged (render + combine): {cold_pages / cold_s / plain_rate:.0%} of the plain loop")
    print(f"combined, letters stored (combine only):   {warm_pages / warm_s / plain_rate:.0%} of the plain loop")
    print(f"rendering from events:                      {rendered_pages / ingest / plain_rate:.0%} of the plain loop")
    print(f"peak RSS of the documents process over the whole run: {mb(service_peak)} (target < 300 MB)")
    if "--keep" not in sys.argv:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
