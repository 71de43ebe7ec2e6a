"""Auto-generated reminders over a simulated 120 days, on real Kafka, the real generator and a real database.

Two auto communication types: a first notice 30 days before the next test due date and an
overdue notice the day after, with the default 65-day duplicate-suppression window. The
run-now endpoint is driven day by day with the injected date; the due dates of two
assemblies are moved on day 20, as a retest or a correction would.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text

from batches.entrypoints.scheduler import LOCK_KEY, AutoScheduler
from tests.integration.auto.conftest import Stage
from tests.unit.batches.batches_fakes import contact, location, member

pytestmark = pytest.mark.integration

START = date(2026, 3, 2)


def day(n: int) -> date:
    return START + timedelta(days=n)


def one_assembly(due: date, *, active: bool = True) -> Any:
    loc = location(postal_code="97010")
    m = member(loc, [contact(loc, email=f"owner-{loc.id.hex[:6]}@example.org")])
    return m.model_copy(update={"assembly": m.assembly.model_copy(update={"next_test_due": due, "active": active})})


async def auto_type(stage: Stage, org_id: UUID, name: str, offset_days: int) -> str:
    async with stage.generator_client(org_id) as gen:
        ct = await gen.post("/communication-types", json={"name": name, "trigger": "auto", "offset_days": offset_days})
        assert ct.status_code == 201, ct.text
        t = await gen.post(
            "/templates",
            json={
                "communication_type_id": ct.json()["id"],
                "name": f"{name} template",
                "settings": {"contact_types": ["owner"], "methods": ["email"]},
                "email_subject": f"{name}: {{{{ assembly.serial_number }}}}",
                "email_body_text": "Dear {{ contact.first_name }}, your test is due {{ batch.due_date }}.",
            },
        )
        assert t.status_code == 201, t.text
        assert (await gen.post(f"/templates/{t.json()['id']}/publish")).status_code == 200
    return ct.json()["id"]


async def all_unsent(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    r = await client.get("/communications/unsent", params={"page_size": 500})
    assert r.status_code == 200, r.text
    assert r.json()["total"] <= 500
    return r.json()["items"]


async def runs_finished(client: httpx.AsyncClient) -> bool:
    runs = (await client.get("/auto-runs")).json()["items"]
    return bool(runs) and all(r["state"] == "generated" for r in runs)


async def test_over_120_days_each_assembly_gets_its_notices_on_the_right_days_and_never_twice_in_the_window(
    stage: Stage,
) -> None:
    a1, a2, a3, a4 = (one_assembly(day(n)) for n in (10, 40, 75, 118))
    a5 = one_assembly(day(31))  # re-due on day 20 to day 100: its next first notice is 69 days later
    a6 = one_assembly(day(35))  # re-due on day 20 to day 80: its next first notice would be 45 days later
    retired = one_assembly(day(40), active=False)
    org_id = stage.new_org([a1, a2, a3, a4, a5, a6, retired])
    first = await auto_type(stage, org_id, "First notice", -30)
    overdue = await auto_type(stage, org_id, "Overdue notice", 1)

    async with stage.client(org_id) as client:
        outcomes: dict[tuple[str, str], str] = {}
        for n in range(120):
            if n == 20:
                stage.assemblies.set_due(org_id, a5.assembly.id, day(100))
                stage.assemblies.set_due(org_id, a6.assembly.id, day(80))
            r = await client.post("/auto-runs", json={"on": day(n).isoformat()})
            assert r.status_code == 200, r.text
            for run in r.json()["runs"]:
                outcomes[(run["communication_type_id"], day(n).isoformat())] = run["outcome"]
                if run["suppressed"]:
                    assert (run["communication_type_id"], n) == (first, 50)  # a6's second first notice

        await stage.eventually(lambda: runs_finished(client), timeout=120)
        notices: dict[tuple[UUID, str], list[date]] = defaultdict(list)
        for item in await all_unsent(client):
            assert item["source"] == "auto" and item["method"] == "email" and item["status"] == "generated"
            for assembly_id in item["assembly_ids"]:
                notices[(UUID(assembly_id), item["communication_type"]["id"])].append(
                    date.fromisoformat(item["generated_on"])
                )

        expected = {
            (a1.assembly.id, overdue): [day(11)],
            (a2.assembly.id, first): [day(10)],
            (a2.assembly.id, overdue): [day(41)],
            (a3.assembly.id, first): [day(45)],
            (a3.assembly.id, overdue): [day(76)],
            (a4.assembly.id, first): [day(88)],
            (a4.assembly.id, overdue): [day(119)],
            (a5.assembly.id, first): [day(1), day(70)],
            (a5.assembly.id, overdue): [day(101)],
            (a6.assembly.id, first): [day(5)],
            (a6.assembly.id, overdue): [day(81)],
        }
        assert {k: sorted(v) for k, v in notices.items()} == expected
        # each notice is rendered with its type's published template
        subjects = {(i["communication_type"]["name"], i["subject"]) for i in await all_unsent(client)}
        assert ("First notice", f"First notice: {a2.assembly.serial_number}") in subjects
        by_type = {i["communication_type"]["id"]: i["communication_type"]["name"] for i in await all_unsent(client)}
        assert by_type == {first: "First notice", overdue: "Overdue notice"}
        assert len(outcomes) == 240

        # a run repeated for a day already run creates nothing
        again = await client.post("/auto-runs", json={"on": day(10).isoformat()})
        assert [r["outcome"] for r in again.json()["runs"]] == ["already run", "already run"]
        await asyncio.sleep(1)
        assert len(await all_unsent(client)) == sum(len(v) for v in expected.values())


async def test_two_copies_running_the_same_day_at_once_produce_each_communication_once(stage: Stage) -> None:
    on = date(2026, 9, 1)
    members = [one_assembly(on + timedelta(days=30)) for _ in range(5)] + [one_assembly(on - timedelta(days=1))]
    org_id = stage.new_org(members)
    first = await auto_type(stage, org_id, "First notice", -30)
    overdue = await auto_type(stage, org_id, "Overdue notice", 1)
    stage.clock.current = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)  # the daily run's "today" (06:00 has passed)

    copies = [stage.client(org_id, copy) for copy in range(len(stage.batches))]
    try:
        answers = await asyncio.gather(
            *(c.post("/auto-runs", json={"on": on.isoformat()}) for c in copies for _ in range(3)),
            *(stage.scheduler(copy).run_once() for copy in range(len(stage.batches))),
        )
        run_now = [a for a in answers if isinstance(a, httpx.Response)]
        assert all(a.status_code == 200 for a in run_now), [a.text for a in run_now]
        started = [r for a in run_now for r in a.json()["runs"] if r["outcome"] != "already run"]
        passes = [a for a in answers if isinstance(a, dict)]
        for p in passes:  # a scheduler pass either ran (finding the day made or making it) or saw the lock
            if "organizations" in p:
                started += [r for r in p["organizations"][str(org_id)]["runs"] if r["outcome"] != "already run"]
            else:
                assert p["skipped"] in ("another copy is running the daily auto run", "a pass is running in this copy")
        assert sorted(r["communication_type_id"] for r in started) == sorted([first, overdue])

        await stage.eventually(lambda: runs_finished(copies[0]), timeout=90)
        await asyncio.sleep(1.5)  # let any duplicate work arrive, if there were any
        items = await all_unsent(copies[-1])
        assert len(items) == 6 == len({i["id"] for i in items})
        assembly_sets = [tuple(i["assembly_ids"]) for i in items]
        assert len(set(assembly_sets)) == 6
        runs = (await copies[0].get("/auto-runs", params={"on": on.isoformat()})).json()["items"]
        assert sorted(r["targeted"] for r in runs) == [1, 5]
    finally:
        for c in copies:
            await c.aclose()


async def test_run_now_refuses_what_is_not_an_auto_type_and_viewers(stage: Stage) -> None:
    org_id = stage.new_org([one_assembly(date(2026, 5, 1))])
    async with stage.generator_client(org_id) as gen:
        batch_type = (await gen.post("/communication-types", json={"name": "Batch only", "trigger": "batch"})).json()
    async with stage.client(org_id) as client:
        r = await client.post("/auto-runs", json={"communication_type_id": batch_type["id"], "on": "2026-04-01"})
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["body", "communication_type_id"]
        assert (await client.get("/auto-runs")).json()["items"] == []
        bad = await client.post("/auto-runs", json={"on": "not a date"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "on"]
    async with stage.client(org_id, role="viewer") as viewer:
        assert (await viewer.post("/auto-runs", json={})).status_code == 403


async def test_while_one_copy_holds_the_daily_run_another_copy_skips_its_pass(stage: Stage) -> None:
    scheduler = stage.scheduler(len(stage.batches) - 1)
    if scheduler.engine.dialect.name == "postgresql":
        async with stage.scheduler(0).engine.connect() as other_copy:
            assert await other_copy.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})
            try:
                assert await scheduler.run_once() == {"skipped": "another copy is running the daily auto run"}
            finally:
                await other_copy.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
    else:  # one process on SQLite: a pass already running in it is the other copy
        async with scheduler._local_lock:
            assert await scheduler.run_once() == {"skipped": "a pass is running in this copy"}
    assert "organizations" in await scheduler.run_once()


async def test_the_daily_pass_runs_each_organization_once_its_own_local_time_passes_the_run_hour(
    stage: Stage,
) -> None:
    tokyo = stage.new_org([one_assembly(date(2026, 7, 2))])  # due in 30 days from its June 2
    la = stage.new_org([one_assembly(date(2026, 7, 1))])  # due in 30 days from its June 1
    for org_id, zone in ((tokyo, "Asia/Tokyo"), (la, "America/Los_Angeles")):
        org = stage.assemblies.organizations[org_id]
        stage.assemblies.organizations[org_id] = org.model_copy(update={"timezone": zone})
        await auto_type(stage, org_id, "First notice", -30)
    scheduler = stage.scheduler(0)
    assert scheduler.run_at.isoformat() == "06:00:00"
    saved = stage.clock.current
    try:
        # 20:59 UTC on June 1: 05:59 on June 2 in Tokyo (not yet), 13:59 on June 1 in Los Angeles
        stage.clock.current = datetime(2026, 6, 1, 20, 59, tzinfo=UTC)
        done = (await scheduler.run_once())["organizations"]
        assert str(tokyo) not in done
        assert done[str(la)]["on"] == "2026-06-01"
        assert [r["outcome"] for r in done[str(la)]["runs"]] != ["already run"]

        stage.clock.advance(minutes=2)  # 06:01 in Tokyo
        done = (await scheduler.run_once())["organizations"]
        assert done[str(tokyo)]["on"] == "2026-06-02"
        assert [r["outcome"] for r in done[str(tokyo)]["runs"]] != ["already run"]
        assert [r["outcome"] for r in done[str(la)]["runs"]] == ["already run"]  # later passes are cheap

        for org_id in (tokyo, la):  # each made its one notice for its own local day
            async with stage.client(org_id) as client:
                await stage.eventually(lambda c=client: runs_finished(c), timeout=60)
                items = await all_unsent(client)
                assert len(items) == 1
                assert items[0]["generated_on"] == ("2026-06-02" if org_id == tokyo else "2026-06-01")
    finally:
        stage.clock.current = saved


async def test_the_daily_loop_keeps_passing_after_a_failed_pass(stage: Stage) -> None:
    copy = stage.scheduler(0)
    loop = AutoScheduler(copy.deps, copy.engine, copy.secret, interval_seconds=0.05, run_at=copy.run_at)
    calls = 0
    real_pass = loop._pass

    async def flaky_pass() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("assemblies unreachable")
        return await real_pass()

    loop._pass = flaky_pass  # type: ignore[method-assign]
    await loop.start()
    try:
        await stage.eventually(lambda: asyncio.sleep(0, result=loop.passes >= 2), timeout=30, every=0.05)
    finally:
        await loop.stop()
    assert calls >= 3  # the failed first pass, then passes that worked
    passes = loop.passes
    await asyncio.sleep(0.2)
    assert loop.passes == passes  # stopped means stopped
