"""Benchmark of the assemblies service's working list and CSV import on PostgreSQL.

    .venv/bin/python bench/assemblies_filter_bench.py [--assemblies 1000000] [--runs 30] [--import-rows 100000]

Loads a generated utility of ``--assemblies`` assemblies into the dedicated database
``bench_assemblies`` (``BENCH_DATABASE``; created when missing; loading is skipped when it is
already there, and followed by ``VACUUM (ANALYZE)`` so that counts can read indexes alone),
then prints p50/p95 of "count + first page" (the use case behind ``GET /assemblies``:
count, one page of 50, the rows' locations, zones and contacts) for representative
filters, and the throughput of importing a ``--import-rows`` CSV into a new organization
(first import, then the same file again). Targets: p95 <= 150 ms; import >= 5,000 rows/s.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import statistics
import time
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg

from assemblies.bootstrap import MIGRATIONS
from assemblies.demo import iter_locations, service_areas_for
from assemblies.demo.loader import load_demo
from assemblies.domain.csv_format import COLUMNS
from assemblies.domain.working_list import parse_list_request
from assemblies.service_layer import csv_import, queries
from servicekit.db import create_engine, create_session_factory
from servicekit.demo import DEMO_ORG_ID
from servicekit.migrations import upgrade

PG = os.environ.get("BENCH_PG_BASE_URL", f"postgresql://postgres@127.0.0.1:{os.environ.get('PGPORT', '5433')}")
DATABASE = os.environ.get("BENCH_DATABASE", "bench_assemblies")


def filters(today: date) -> list[tuple[str, dict[str, list[str]]]]:
    zones = service_areas_for(DEMO_ORG_ID)
    return [
        ("everything (default sort)", {}),
        ("type RP", {"assembly_type": ["RP"]}),
        ("overdue", {"compliance_status": ["overdue"]}),
        ("due in 30 days, has email", {"compliance_status": ["due"], "has_email": ["true"]}),
        ("non-compliant, sort -next_test_due", {"compliance_status": ["non_compliant"], "sort": ["-next_test_due"]}),
        ("compliant (half the rows), sort account", {"compliance_status": ["compliant"], "sort": ["account_number"]}),
        (
            "commercial+industrial in one zone",
            {"facility_type": ["commercial", "industrial"], "service_area_id": [str(zones[5].id)]},
        ),
        (
            "high hazard fire service, active",
            {"hazard": ["high"], "service_type": ["fire"], "assembly_active": ["true"]},
        ),
        ("postal prefix 9802, sort postal", {"postal_code_prefix": ["9802"], "sort": ["postal_code"]}),
        (
            "due range next quarter",
            {"due_from": [today.isoformat()], "due_to": [(today + timedelta(days=90)).isoformat()]},
        ),
        (
            "no usable email, overdue or failed",
            {"has_email": ["false"], "compliance_status": ["overdue", "non_compliant"]},
        ),
        ("free text: street 'maple ave'", {"q": ["maple ave"]}),
        ("free text: surname 'garcia'", {"q": ["garcia"]}),
        ("free text: one serial", {"q": ["RP0791900"]}),
        (
            "combined: RP+DC, 2in, overdue, zone, active loc",
            {
                "assembly_type": ["RP", "DC"],
                "size": ['2"'],
                "compliance_status": ["overdue"],
                "service_area_id": [str(zones[0].id)],
                "location_active": ["true"],
            },
        ),
        ("page 20 of everything, sort serial", {"sort": ["serial_number"], "page": ["20"]}),
    ]


async def ensure_database() -> None:
    conn = await asyncpg.connect(f"{PG}/postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            await conn.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await conn.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def csv_for(org_id: uuid.UUID, n: int) -> bytes:
    """A CSV of ``n`` generated assemblies in the documented format (two contacts per row at most)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    zones = {z.id: z.name for z in service_areas_for(org_id)}
    for bundle in iter_locations(org_id, n, seed=99):
        loc = bundle.location
        for i, a in enumerate(bundle.assemblies):
            row: dict[str, Any] = {
                "account_number": loc.account_number,
                "location_name": loc.name,
                "address_line1": loc.address_line1,
                "address_line2": loc.address_line2,
                "city": loc.city,
                "state": loc.state,
                "postal_code": loc.postal_code,
                "service_area": zones.get(loc.service_area_id, ""),
                "facility_type": loc.facility_type,
                "location_active": str(loc.active).lower(),
                "serial_number": a.serial_number,
                "assembly_type": a.assembly_type,
                "make": a.make,
                "model": a.model,
                "size": a.size,
                "hazard": a.hazard,
                "service_type": a.service_type,
                "placement": a.placement,
                "installed_on": a.installed_on or "",
                "last_tested_on": a.last_tested_on or "",
                "last_test_result": a.last_test_result or "",
                "next_test_due": a.next_test_due or "",
                "assembly_active": str(a.active).lower(),
            }
            for prefix, c in zip(("contact_", "contact2_"), bundle.contacts[2 * i : 2 * i + 2], strict=False):
                row.update(
                    {
                        f"{prefix}type": c.contact_type,
                        f"{prefix}name": c.name,
                        f"{prefix}first_name": c.first_name,
                        f"{prefix}email": c.email,
                        f"{prefix}is_primary": str(c.is_primary).lower(),
                        f"{prefix}do_not_contact": str(c.do_not_contact).lower(),
                        f"{prefix}mailing_line1": c.mailing_line1,
                        f"{prefix}mailing_city": c.mailing_city,
                        f"{prefix}mailing_state": c.mailing_state,
                        f"{prefix}mailing_postal_code": c.mailing_postal_code,
                    }
                )
            writer.writerow(row)
    return buffer.getvalue().encode()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assemblies", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--skip-import", action="store_true")
    args = parser.parse_args()

    await ensure_database()
    url = f"{PG.replace('postgresql://', 'postgresql+asyncpg://')}/{DATABASE}"
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    today = date.today()

    async with engine.connect() as conn:
        have = (await conn.exec_driver_sql(f"SELECT count(*) FROM assemblies WHERE org_id = '{DEMO_ORG_ID}'")).scalar()
    if have < args.assemblies:
        print(f"loading {args.assemblies} assemblies (have {have}) ...", flush=True)
        started = time.perf_counter()
        await load_demo(
            sessions,
            DEMO_ORG_ID,
            args.assemblies,
            seed=42,
            today=today,
            progress=lambda k: print(f"  {k}", flush=True) if k % 100_000 < 5_000 else None,
        )
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("VACUUM ANALYZE")
        print(f"loaded in {time.perf_counter() - started:.0f}s", flush=True)
    async with engine.connect() as conn:
        total = (await conn.exec_driver_sql(f"SELECT count(*) FROM assemblies WHERE org_id = '{DEMO_ORG_ID}'")).scalar()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nworking list on {total} assemblies: count + first page (page_size 50), {args.runs} runs each")
    print(f"(load average {load} on {os.cpu_count()} cores)")
    print(f"{'filter':52} {'total':>8} {'p50 ms':>8} {'p95 ms':>8}")
    worst = 0.0
    for name, raw in filters(today):
        request = parse_list_request(raw)
        timings = []
        matched = 0
        for _ in range(args.runs + 2):
            started = time.perf_counter()
            async with sessions() as session:
                page = await queries.list_assemblies(session, DEMO_ORG_ID, request, today)
            timings.append((time.perf_counter() - started) * 1000)
            matched = page["total"]
        timings = timings[2:]  # warm-up
        p95 = percentile(timings, 95)
        worst = max(worst, p95)
        print(f"{name:52} {matched:>8} {statistics.median(timings):>8.1f} {p95:>8.1f}", flush=True)
    print(f"worst p95: {worst:.1f} ms (target 150 ms)")

    if not args.skip_import:
        org_id = uuid.uuid4()
        data = csv_for(org_id, args.import_rows)
        print(f"\nimport of a {args.import_rows}-row CSV ({len(data) / 1e6:.1f} MB) into a new organization")
        for label in ("first import", "same file again"):
            started = time.perf_counter()
            async with sessions.begin() as session:
                report = await csv_import.import_csv(session, org_id, data, max_bytes=len(data))
            elapsed = time.perf_counter() - started
            print(
                f"  {label}: {elapsed:.1f}s, {args.import_rows / elapsed:,.0f} rows/s "
                f"(imported {report.imported}, updated {report.updated}, unchanged {report.unchanged}, "
                f"errors {report.error_count})",
                flush=True,
            )
        async with engine.begin() as conn:  # leave the bench database as it was
            for table in ("assemblies", "contacts", "locations", "service_areas"):
                await conn.exec_driver_sql(f"DELETE FROM {table} WHERE org_id = '{org_id}'")
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
