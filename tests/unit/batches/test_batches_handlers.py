"""The batch use cases over a SQLite ledger, with the other services faked.

Kafka is replaced by reading the outbox: what a use case staged is what the relay would
publish; the generator is played by ``play_generator``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select, update

from batches.adapters import orm
from batches.domain.batch import BatchState, ForbiddenTransition
from batches.service_layer import generation, handlers, views
from batches.service_layer.errors import InvalidInput, NotFound, NothingToDo, UpstreamRejected
from contracts import topics
from contracts.events import BatchClosed, DeliveryReported, DeliveryRequested, GenerationRequested, LetterRendered
from servicekit.clock import FixedClock
from servicekit.db import create_engine, create_session_factory
from servicekit.identity import Identity
from servicekit.naming import topic_name
from tests.unit.batches.batches_fakes import (
    FakeAssemblies,
    FakeDocuments,
    FakeTemplates,
    contact,
    location,
    member,
    organization,
    play_generator,
)


class World:
    """One organization with its members, the fakes and the batches use cases over SQLite."""

    def __init__(self, deps: handlers.Dependencies, assemblies: FakeAssemblies, templates: FakeTemplates) -> None:
        self.deps = deps
        self.assemblies = assemblies
        self.templates = templates
        self.admin = Identity(org_id=assemblies.org.id, role="org_admin", user_id=uuid4())
        self.seen_outbox = 0

    async def staged(self, topic: str) -> list[tuple[bytes, str | None]]:
        t = self.deps.tables.outbox
        async with self.deps.sessions() as session:
            rows = await session.execute(
                select(t.c.payload, t.c.key).where(t.c.topic == topic_name(topic)).order_by(t.c.id)
            )
            return [(r.payload, r.key) for r in rows]

    async def generation_requests(self, batch_id: UUID) -> list[tuple[GenerationRequested, str | None]]:
        staged = await self.staged(topics.GENERATION_REQUESTED)
        requests = [(GenerationRequested.from_json_bytes(p), k) for p, k in staged]
        return [(r, k) for r, k in requests if r.batch_id == batch_id]

    async def deliver(self, event) -> str:
        async with self.deps.sessions.begin() as session:
            if isinstance(event, DeliveryReported):
                return await handlers.record_delivery_report(session, event, self.deps.clock)
            if isinstance(event, LetterRendered):
                return await handlers.record_letter_rendered(session, event, self.deps.clock)
            return await generation.record_generated_chunk(session, event, self.deps.clock)

    async def generated_batch(self, filter: dict | None = None, template_id: UUID | None = None) -> UUID:
        batch_id = await handlers.create_batch(
            self.deps,
            self.admin,
            name="Annual test due",
            template_id=template_id or self.templates.add(),
            due_date=date(2026, 3, 1),
            filter=filter or {},
        )
        await generation.generate(self.deps, self.admin, batch_id)
        for request, _key in await self.generation_requests(batch_id):
            assert await self.deliver(play_generator(request)) == "recorded"
        return batch_id

    async def detail(self, batch_id: UUID) -> dict:
        return await views.batch_detail(self.deps.sessions, self.admin.org_id, batch_id)

    async def communications(self, batch_id: UUID, **kw) -> list[dict]:
        page = await views.list_communications(
            self.deps.sessions,
            self.admin.org_id,
            batch_id,
            status=kw.get("status"),
            method=kw.get("method"),
            page=1,
            page_size=500,
        )
        return page["items"]

    def report(self, communication_id: str, status: str, seq: int = 1, **kw) -> DeliveryReported:
        return DeliveryReported(
            org_id=self.admin.org_id,
            communication_id=UUID(communication_id),
            contact_id=uuid4(),
            status=status,
            request_seq=seq,
            reported_at=datetime(2026, 1, 5, 12, tzinfo=UTC),
            **kw,
        )


@pytest.fixture
async def world(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'batches.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(orm.metadata.create_all)
    org = organization(uuid4())
    # three locations: two emails + one letter at L1 (two RP assemblies), a do-not-contact-only
    # location (skipped), a DC at L3 whose contact has no first name (needs_attention)
    l1, l2, l3 = location("97002"), location("97001"), location("97003")
    c1 = [
        contact(l1, email="owner1@example.org"),
        contact(l1, email="pm1@example.org", contact_type="property_manager"),
    ]
    c1.append(contact(l1, contact_type="billing"))
    members = [
        member(l1, c1, "RP"),
        member(l1, c1, "RP"),
        member(l2, [contact(l2, email="x@example.org", do_not_contact=True)], "RP"),
        member(l3, [contact(l3, email="nofirst@example.org", first_name="")], "DC"),
    ]
    assemblies = FakeAssemblies(org, members)
    templates = FakeTemplates()
    deps = handlers.Dependencies(
        sessions=create_session_factory(engine),
        tables=orm.messaging,
        assemblies=assemblies,
        templates=templates,
        documents=FakeDocuments(),
        clock=FixedClock(datetime(2026, 1, 5, 9, tzinfo=UTC)),
        chunk_size=2,
    )
    yield World(deps, assemblies, templates)
    await engine.dispose()


async def test_creating_a_batch_freezes_the_filtered_members(world: World) -> None:
    tid = world.templates.add(name="Annual RP notice", version=3)
    batch_id = await handlers.create_batch(
        world.deps,
        world.admin,
        name="RP only",
        template_id=tid,
        due_date=date(2026, 3, 1),
        filter={"assembly_type": ["RP"]},
    )
    detail = await world.detail(batch_id)
    assert detail["state"] == "open"
    assert detail["member_count"] == 3
    assert detail["template"] == {"id": str(tid), "version": 3, "name": "Annual RP notice"}
    assert detail["allowed_actions"][:2] == ["edit", "generate"]
    # a member added to the assemblies list later does not join the batch
    new = member(location(), [contact(location(), email="late@example.org")], "RP")
    world.assemblies.members[new.assembly.id] = new
    await generation.generate(world.deps, world.admin, batch_id)
    requests = await world.generation_requests(batch_id)
    assert sum(len(r.members) for r, _ in requests) == 3


@pytest.mark.parametrize("published", [False, None])
async def test_an_unpublished_or_unknown_template_is_refused_naming_template_id(world: World, published) -> None:
    tid = world.templates.add(published=False) if published is False else uuid4()
    with pytest.raises(InvalidInput) as err:
        await handlers.create_batch(world.deps, world.admin, name="x", template_id=tid, due_date=None, filter={})
    assert err.value.field == "template_id"
    assert (await views.list_batches(world.deps.sessions, world.admin.org_id))["total"] == 0


async def test_a_filter_matching_nothing_or_rejected_by_assemblies_creates_nothing(world: World) -> None:
    tid = world.templates.add()
    with pytest.raises(InvalidInput) as err:
        await handlers.create_batch(
            world.deps, world.admin, name="x", template_id=tid, due_date=None, filter={"assembly_type": ["AVB"]}
        )
    assert err.value.field == "filter"
    with pytest.raises(UpstreamRejected) as rejected:
        await handlers.create_batch(
            world.deps, world.admin, name="x", template_id=tid, due_date=None, filter={"assembly_type": "RP"}
        )
    assert rejected.value.status_code == 422
    assert (await views.list_batches(world.deps.sessions, world.admin.org_id))["total"] == 0


async def test_generation_stages_chunks_that_keep_locations_together(world: World) -> None:
    batch_id = await handlers.create_batch(
        world.deps, world.admin, name="All", template_id=world.templates.add(), due_date=None, filter={}
    )
    await generation.generate(world.deps, world.admin, batch_id)
    detail = await world.detail(batch_id)
    assert detail["state"] == "generating"
    requests = await world.generation_requests(batch_id)
    # chunk size 2: L1's two assemblies, then L2 and L3 together
    assert detail["progress"]["chunks_total"] == len(requests) == 2
    assert [k for _, k in requests] == [f"{batch_id}#{i}" for i in range(2)]  # spread keys
    assert [len(r.members) for r, _ in requests] == [2, 2]
    for request, _ in requests:
        assert request.chunk_count == 2
    locations = [{m.location.id for m in r.members} for r, _ in requests]
    assert all(not (a & b) for i, a in enumerate(locations) for b in locations[i + 1 :])
    with pytest.raises(ForbiddenTransition):
        await generation.generate(world.deps, world.admin, batch_id)
    assert len(await world.generation_requests(batch_id)) == 2


async def test_results_are_recorded_once_and_the_batch_becomes_generated(world: World) -> None:
    batch_id = await handlers.create_batch(
        world.deps, world.admin, name="All", template_id=world.templates.add(), due_date=None, filter={}
    )
    await generation.generate(world.deps, world.admin, batch_id)
    requests = await world.generation_requests(batch_id)
    results = [play_generator(r) for r, _ in requests]
    assert await world.deliver(results[0]) == "recorded"
    assert (await world.detail(batch_id))["progress"]["chunks_done"] == 1
    # a redelivered chunk (even re-rendered with a new event id) changes nothing
    assert await world.deliver(results[0]) == "duplicate"
    assert await world.deliver(results[0].model_copy(update={"event_id": uuid4()})) == "duplicate"
    for result in results[1:]:
        await world.deliver(result)
    detail = await world.detail(batch_id)
    assert detail["state"] == "generated"
    assert detail["progress"]["chunks_done"] == 2
    # L1: 2 assemblies x (2 emails + 1 letter); L2 skipped; L3 one email needing attention
    assert detail["counts"]["by_method"] == {"email": 5, "letter": 2}
    assert detail["counts"]["by_status"]["generated"] == 6
    assert detail["counts"]["needs_attention"] == 1
    assert detail["counts"]["skipped_members"] == 1
    attention = await world.communications(batch_id, status="needs_attention")
    assert attention[0]["missing_fields"] == ["contact.first_name"]
    skipped = await views.list_skipped(world.deps.sessions, world.admin.org_id, batch_id)
    assert skipped["items"][0]["reason"] == "no eligible contact"


async def test_a_failed_chunk_is_shown_and_does_not_hang_the_batch(world: World) -> None:
    batch_id = await handlers.create_batch(
        world.deps, world.admin, name="All", template_id=world.templates.add(), due_date=None, filter={}
    )
    await generation.generate(world.deps, world.admin, batch_id)
    requests = await world.generation_requests(batch_id)
    await world.deliver(play_generator(requests[0][0]).model_copy(update={"error": "template not found"}))
    for request, _ in requests[1:]:
        await world.deliver(play_generator(request))
    detail = await world.detail(batch_id)
    assert detail["state"] == "generated"
    assert detail["errors"] == [{"chunk_index": 0, "error": "template not found", "at": detail["errors"][0]["at"]}]


async def test_send_queues_each_unsent_email_once(world: World) -> None:
    batch_id = await world.generated_batch()
    first = await handlers.send(world.deps, world.admin, batch_id)
    assert first == {"queued": 4}  # the needs_attention email is not sent
    again = await handlers.send(world.deps, world.admin, batch_id)
    assert again == {"queued": 0}
    staged = [DeliveryRequested.from_json_bytes(p) for p, _ in await world.staged(topics.DELIVERY_REQUESTED)]
    assert len(staged) == 4 == len({e.communication_id for e in staged})
    e = staged[0]
    assert e.message_id == f"<{e.communication_id}@riverbend.example>"
    assert e.from_email == "backflow@riverbend.example" and e.request_seq == 1 and e.to_email
    assert {c["status"] for c in await world.communications(batch_id, method="email")} == {"queued", "needs_attention"}
    assert {c["status"] for c in await world.communications(batch_id, method="letter")} == {"generated"}


async def test_send_a_selection_and_refuse_foreign_ids(world: World) -> None:
    batch_id = await world.generated_batch()
    emails = await world.communications(batch_id, method="email", status="generated")
    letters = await world.communications(batch_id, method="letter")
    chosen = [UUID(emails[0]["id"]), UUID(letters[0]["id"])]
    assert await handlers.send(world.deps, world.admin, batch_id, chosen) == {"queued": 1, "not_queued": 1}
    with pytest.raises(NotFound):
        await handlers.send(world.deps, world.admin, batch_id, [uuid4()])
    assert len(await world.staged(topics.DELIVERY_REQUESTED)) == 1


async def test_delivery_reports_move_statuses_and_the_batch(world: World) -> None:
    batch_id = await world.generated_batch()
    await handlers.send(world.deps, world.admin, batch_id)
    queued = await world.communications(batch_id, status="queued")
    a, b = queued[0]["id"], queued[1]["id"]
    assert await world.deliver(world.report(a, "sending")) == "recorded: sending"
    assert await world.deliver(world.report(a, "sent", attempts=1)) == "recorded: sent"
    assert (await world.detail(batch_id))["state"] == "partially_sent"
    assert (await world.deliver(world.report(a, "failed"))).startswith("ignored")  # never regress a sent one
    assert (
        await world.deliver(world.report(b, "failed", error="550 no such user", permanent=True)) == "recorded: failed"
    )
    failed = await world.communications(batch_id, status="failed")
    assert failed[0]["error"] == "550 no such user"
    assert await handlers.retry_failed(world.deps, world.admin, batch_id) == {"queued": 1}
    # the report of the first attempt arrives late: stale, ignored
    assert (await world.deliver(world.report(b, "failed", seq=1))).startswith("ignored: stale")
    retried = [DeliveryRequested.from_json_bytes(p) for p, _ in await world.staged(topics.DELIVERY_REQUESTED)]
    assert [r.request_seq for r in retried if str(r.communication_id) == b] == [1, 2]
    assert await world.deliver(world.report(b, "sent", seq=2)) == "recorded: sent"
    detail = await world.detail(batch_id)
    assert detail["progress"]["sending"] == {"queued": 2, "sent": 2, "failed": 0}


async def test_complete_removes_unsent_keeps_sent_and_tells_delivery(world: World) -> None:
    batch_id = await world.generated_batch()
    with pytest.raises(ForbiddenTransition):
        await handlers.close_batch(world.deps, world.admin, batch_id, BatchState.COMPLETE)
    await handlers.send(world.deps, world.admin, batch_id)
    queued = await world.communications(batch_id, status="queued")
    await world.deliver(world.report(queued[0]["id"], "sent"))
    await world.deliver(world.report(queued[1]["id"], "sending"))
    result = await handlers.close_batch(world.deps, world.admin, batch_id, BatchState.COMPLETE)
    assert result == {"removed": 5, "in_flight": 1}  # 2 queued + 2 letters + 1 needs_attention
    statuses = {c["id"]: c["status"] for c in await world.communications(batch_id)}
    assert statuses[queued[0]["id"]] == "sent" and statuses[queued[1]["id"]] == "sending"
    assert sorted(statuses.values()).count("removed") == 5
    closed = [BatchClosed.from_json_bytes(p) for p, _ in await world.staged(topics.BATCH_CLOSED)]
    assert [(c.batch_id, c.state) for c in closed] == [(batch_id, "complete")]
    # the in-flight one fails afterwards: removed, not retryable
    await world.deliver(world.report(queued[1]["id"], "failed", error="timeout"))
    assert {c["status"] for c in await world.communications(batch_id)} == {"sent", "removed"}
    with pytest.raises(ForbiddenTransition):
        await handlers.send(world.deps, world.admin, batch_id)
    await handlers.close_batch(world.deps, world.admin, batch_id, BatchState.ARCHIVED)
    assert (await world.detail(batch_id))["state"] == "archived"


async def test_letters_link_and_mark_mailed(world: World) -> None:
    batch_id = await world.generated_batch()
    link = await handlers.letters_link(world.deps, world.admin, batch_id)
    assert link.url.startswith("http://docs.local/")
    letters = await world.communications(batch_id, method="letter")
    assert sorted(world.deps.documents.requests[0]) == sorted(UUID(c["id"]) for c in letters)
    with pytest.raises(InvalidInput):
        await handlers.mark_mailed(world.deps, world.admin, batch_id, date(2027, 1, 1))
    assert await handlers.mark_mailed(world.deps, world.admin, batch_id, date(2026, 1, 5)) == {"marked": 2}
    mailed = await world.communications(batch_id, method="letter")
    assert {(c["status"], c["mailed_on"]) for c in mailed} == {("sent", "2026-01-05")}
    assert (await world.detail(batch_id))["state"] == "partially_sent"
    await handlers.letters_link(world.deps, world.admin, batch_id)  # all mailed: every letter
    assert len(world.deps.documents.requests[1]) == 2


async def test_a_batch_without_letters_has_nothing_to_download(world: World) -> None:
    batch_id = await world.generated_batch(filter={"assembly_type": ["DC"]})
    with pytest.raises(NothingToDo):
        await handlers.letters_link(world.deps, world.admin, batch_id)


async def test_edit_while_open_then_409(world: World) -> None:
    batch_id = await handlers.create_batch(
        world.deps, world.admin, name="A", template_id=world.templates.add(), due_date=None, filter={}
    )
    with pytest.raises(InvalidInput):
        await handlers.edit_batch(world.deps, world.admin, batch_id, template_id=world.templates.add(published=False))
    other = world.templates.add(name="Second notice", version=2)
    changed = await handlers.edit_batch(
        world.deps, world.admin, batch_id, name="B", template_id=other, due_date=date(2026, 4, 1)
    )
    assert changed == ["name", "template_id", "due_date"]
    detail = await world.detail(batch_id)
    assert (detail["name"], detail["template"]["name"], detail["due_date"]) == ("B", "Second notice", "2026-04-01")
    await generation.generate(world.deps, world.admin, batch_id)
    with pytest.raises(ForbiddenTransition):
        await handlers.edit_batch(world.deps, world.admin, batch_id, name="C")
    assert (await world.detail(batch_id))["name"] == "B"


async def test_clone_re_resolves_the_filter_into_a_new_open_batch(world: World) -> None:
    batch_id = await world.generated_batch(filter={"assembly_type": ["RP"]})
    new = member(location(), [contact(location(), email="new@example.org")], "RP")
    world.assemblies.members[new.assembly.id] = new
    clone_id = await handlers.clone_batch(world.deps, world.admin, batch_id)
    clone = await world.detail(clone_id)
    assert clone["state"] == "open" and clone["name"] == "Copy of Annual test due"
    assert clone["cloned_from"] == str(batch_id)
    assert clone["member_count"] == 4  # today's data: the new RP joins
    assert clone["filter"] == {"assembly_type": ["RP"]}
    assert clone["due_date"] == "2026-03-01"


async def test_another_organization_sees_nothing(world: World) -> None:
    batch_id = await world.generated_batch()
    stranger = Identity(org_id=uuid4(), role="org_admin", user_id=uuid4())
    with pytest.raises(NotFound):
        await views.batch_detail(world.deps.sessions, stranger.org_id, batch_id)
    with pytest.raises(NotFound):
        await handlers.send(world.deps, stranger, batch_id)
    with pytest.raises(NotFound):
        await handlers.close_batch(world.deps, stranger, batch_id, BatchState.ARCHIVED)
    assert (await world.detail(batch_id))["state"] == "generated"


async def test_history_says_who_did_what(world: World) -> None:
    batch_id = await world.generated_batch()
    await handlers.send(world.deps, world.admin, batch_id)
    await handlers.close_batch(world.deps, world.admin, batch_id, BatchState.ARCHIVED)
    items = (await views.history(world.deps.sessions, world.admin.org_id, batch_id))["items"]
    assert [i["action"] for i in items] == ["created", "generation_started", "generated", "send", "archived"]
    assert items[3]["actor_id"] == str(world.admin.user_id) and items[3]["details"] == {"queued": 4}
    assert items[2]["actor_role"] == "system"


async def test_letter_rendered_records_the_document_and_export_lists_every_communication(world: World) -> None:
    batch_id = await world.generated_batch()
    letter = (await world.communications(batch_id, method="letter"))[0]
    doc = uuid4()
    event = LetterRendered(org_id=world.admin.org_id, communication_id=UUID(letter["id"]), document_id=doc, pages=1)
    assert await world.deliver(event) == "recorded"
    lines = [line async for line in await views.export_csv(world.deps.sessions, world.admin.org_id, batch_id, 3)]
    assert lines[0].startswith("communication_id,method,status")
    assert len(lines) == 1 + 7
    assert any(str(doc) in line for line in lines)


async def test_communications_about_an_assembly(world: World) -> None:
    batch_id = await world.generated_batch()
    letter = (await world.communications(batch_id, method="letter"))[0]
    about = await views.communications_about(
        world.deps.sessions, world.admin.org_id, assembly_id=UUID(letter["assembly_ids"][0]), location_id=None
    )
    assert about["total"] == 3 and {i["batch_name"] for i in about["items"]} == {"Annual test due"}
    elsewhere = await views.communications_about(
        world.deps.sessions, uuid4(), assembly_id=UUID(letter["assembly_ids"][0]), location_id=None
    )
    assert elsewhere["total"] == 0


async def test_concurrent_sends_queue_each_email_once(world: World) -> None:
    import asyncio

    batch_id = await world.generated_batch()
    results = await asyncio.gather(*(handlers.send(world.deps, world.admin, batch_id) for _ in range(4)))
    assert sum(r["queued"] for r in results) == 4
    assert len(await world.staged(topics.DELIVERY_REQUESTED)) == 4


async def test_a_chunk_for_a_batch_not_generating_is_ignored(world: World) -> None:
    batch_id = await world.generated_batch()
    async with world.deps.sessions.begin() as session:
        await session.execute(update(orm.batches).where(orm.batches.c.id == batch_id).values(state="archived"))
    requests = await world.generation_requests(batch_id)
    assert (await world.deliver(play_generator(requests[0][0]))).startswith("ignored")


async def test_the_batch_list_filters_by_state_and_shows_counts(world: World) -> None:
    generated = await world.generated_batch()
    opened = await handlers.create_batch(
        world.deps, world.admin, name="Later", template_id=world.templates.add(), due_date=None, filter={}
    )
    everything = await views.list_batches(world.deps.sessions, world.admin.org_id)
    assert {i["id"] for i in everything["items"]} == {str(generated), str(opened)}
    only_open = await views.list_batches(world.deps.sessions, world.admin.org_id, BatchState.OPEN)
    assert [i["id"] for i in only_open["items"]] == [str(opened)]
    by_id = {i["id"]: i for i in everything["items"]}
    assert by_id[str(generated)]["counts"]["by_method"] == {"email": 5, "letter": 2}
    assert (await views.list_batches(world.deps.sessions, uuid4()))["total"] == 0


async def test_a_generating_batch_counts_its_chunks_as_the_ledger_does(world: World) -> None:
    batch_id = await handlers.create_batch(
        world.deps, world.admin, name="All", template_id=world.templates.add(), due_date=None, filter={}
    )
    await generation.generate(world.deps, world.admin, batch_id)
    results = [play_generator(r) for r, _ in await world.generation_requests(batch_id)]
    assert len(results) == 2

    async def ledger_counts() -> dict:
        async with world.deps.sessions() as session:
            return (await views._counts(session, [batch_id]))[batch_id]

    empty = await world.detail(batch_id)
    assert empty["state"] == "generating"
    assert empty["counts"]["by_method"] == {"email": 0, "letter": 0}
    assert empty["progress"]["generated"] == 0
    await world.deliver(results[0])
    await world.deliver(results[0])  # a redelivered chunk is not counted twice
    halfway = await world.detail(batch_id)
    assert halfway["state"] == "generating"
    ledger = await ledger_counts()
    assert halfway["counts"]["by_method"] == ledger["by_method"] and sum(ledger["by_method"].values()) > 0
    assert halfway["counts"]["by_status"] == ledger["by_status"]
    assert halfway["progress"]["generated"] == sum(ledger["by_method"].values())
    await world.deliver(results[1])
    done = await world.detail(batch_id)
    assert done["state"] == "generated"  # counted from the ledger again, with the same figures
    assert done["counts"]["by_method"] == {"email": 5, "letter": 2}
    assert done["counts"]["needs_attention"] == 1


async def test_a_template_s_members_per_chunk_makes_chunks_smaller_than_the_setting(world: World) -> None:
    world.deps = replace(world.deps, chunk_size=1000)
    big = await handlers.create_batch(
        world.deps, world.admin, name="Big chunks", template_id=world.templates.add(), due_date=None, filter={}
    )
    await generation.generate(world.deps, world.admin, big)
    assert [len(r.members) for r, _ in await world.generation_requests(big)] == [4]
    # a template whose results are large: at most one member per request (whole locations still)
    small = await handlers.create_batch(
        world.deps,
        world.admin,
        name="Long letters",
        template_id=world.templates.add(members_per_chunk=1),
        due_date=None,
        filter={},
    )
    await generation.generate(world.deps, world.admin, small)
    assert [len(r.members) for r, _ in await world.generation_requests(small)] == [2, 1, 1]  # L1 has two
