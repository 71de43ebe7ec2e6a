"""Generation over real Kafka and the real database: chunks in, rendered communications out.

Batches sends GenerationRequested chunks; the generator answers each with CommunicationsGenerated.
These tests play batches' part with a plain Kafka producer and consumer.
"""

from __future__ import annotations

import asyncio
from datetime import date
from uuid import UUID, uuid4

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from contracts import topics
from contracts.events import CommunicationsGenerated, GenerationRequested
from contracts.snapshots import MemberSnapshot, OrganizationSnapshot
from generator.domain.contact_rules import communication_id
from generator.service_layer.catalog import Catalog
from servicekit.naming import topic_name
from tests.conftest import KAFKA_BOOTSTRAP
from tests.unit.generator.builders import a_contact, a_location, an_org, members_at

pytestmark = pytest.mark.integration

BODY = "Dear {{ contact.first_name }},\nAssembly {{ assembly.serial_number }} at {{ location.address }} is due."


async def a_published_template(sessions, org_id: UUID, body: str = BODY) -> tuple[UUID, int]:  # type: ignore[no-untyped-def]
    catalog = Catalog(sessions)
    ct = await catalog.create_type(org_id, {"name": "Annual test notice"})
    t = await catalog.create_template(
        org_id,
        {
            "communication_type_id": ct.id,
            "name": "Annual email",
            "settings": {"contact_types": ["owner"], "methods": ["email"]},
            "email_subject": "Backflow test due for {{ location.address }}",
            "email_body_text": body,
        },
    )
    await catalog.publish_template(org_id, t.id)
    return t.id, t.version


def a_batch(
    org: OrganizationSnapshot, template_id: UUID, version: int, chunks: int, per_chunk: int
) -> tuple[UUID, list[GenerationRequested], set[UUID]]:
    """A batch where every member has one owner with an email: one email per member expected."""
    batch_id = uuid4()
    events, expected = [], set()
    for i in range(chunks):
        members: list[MemberSnapshot] = []
        for _ in range(per_chunk):
            loc = a_location()
            owner = a_contact(loc, "owner")
            [member] = members_at(loc, [owner, a_contact(loc, "tenant")])
            members.append(member)
            expected.add(communication_id(batch_id, owner.id, "email", [member.assembly.id]))
        events.append(
            GenerationRequested(
                org_id=org.id,
                batch_id=batch_id,
                chunk_index=i,
                chunk_count=chunks,
                template_id=template_id,
                template_version=version,
                batch_name="Spring 2026",
                due_date=date(2026, 4, 15),
                organization=org,
                members=members,
            )
        )
    return batch_id, events, expected


def communication_ids(results: list[CommunicationsGenerated]) -> list[UUID]:
    """Every communication id of the distinct chunk results (a chunk answered twice counts once)."""
    by_chunk = {}
    for r in results:
        ids = sorted(c.communication_id for c in r.communications)
        if r.chunk_index in by_chunk:
            assert by_chunk[r.chunk_index] == ids, "a chunk answered twice with different communications"
        by_chunk[r.chunk_index] = ids
    return [i for ids in by_chunk.values() for i in ids]


async def test_a_batch_generated_over_kafka_yields_one_rendered_email_per_owner(
    api: httpx.AsyncClient, bus, sessions
) -> None:  # type: ignore[no-untyped-def]
    org = an_org()
    template_id, version = await a_published_template(sessions, org.id)
    batch_id, events, expected = a_batch(org, template_id, version, chunks=6, per_chunk=20)
    await bus.request(events)
    results = await bus.collect(batch_id, 6)
    ids = communication_ids(results)
    assert sorted(ids) == sorted(expected)
    sample = results[0].communications[0]
    assert sample.status == "generated" and sample.method == "email"
    assert sample.subject.startswith("Backflow test due for 12 Elm St")
    assert f"Assembly {sample.assemblies[0].serial_number} at 12 Elm St" in sample.body_text
    assert all(r.error == "" and r.skipped == [] for r in results)


async def test_a_chunk_renders_with_the_template_version_the_batch_recorded(
    api: httpx.AsyncClient, bus, sessions
) -> None:  # type: ignore[no-untyped-def]
    org = an_org()
    template_id, v1 = await a_published_template(sessions, org.id, body="First wording for {{ contact.first_name }}.")
    v2 = (await Catalog(sessions).update_template(org.id, template_id, {"email_body_text": "Second wording."})).version
    assert v2 == v1 + 1
    batch_id, events, _ = a_batch(org, template_id, v1, chunks=1, per_chunk=3)
    await bus.request(events)
    [result] = await bus.collect(batch_id, 1)
    assert all(c.body_text == "First wording for Pat." for c in result.communications)


async def test_a_missing_template_version_answers_the_chunk_with_an_error_and_consumption_goes_on(
    api: httpx.AsyncClient,
    bus,  # type: ignore[no-untyped-def]
    sessions,  # type: ignore[no-untyped-def]
) -> None:
    org = an_org()
    template_id, version = await a_published_template(sessions, org.id)
    bad_batch, bad_events, _ = a_batch(org, template_id, version + 7, chunks=1, per_chunk=2)
    other_org_batch, other_events, _ = a_batch(an_org(), template_id, version, chunks=1, per_chunk=2)
    good_batch, good_events, expected = a_batch(org, template_id, version, chunks=2, per_chunk=2)
    await bus.request(bad_events + other_events + good_events)
    [bad] = await bus.collect(bad_batch, 1)
    assert bad.communications == [] and f"version {version + 7} not found" in bad.error
    [foreign] = await bus.collect(other_org_batch, 1)  # another organization cannot use this template
    assert foreign.communications == [] and "not found" in foreign.error
    assert sorted(communication_ids(await bus.collect(good_batch, 2))) == sorted(expected)


async def test_a_redelivered_request_is_answered_with_the_same_event(api: httpx.AsyncClient, bus, sessions) -> None:  # type: ignore[no-untyped-def]
    """Rendering changes nothing in the generator, so a redelivered request is rendered again;
    its answer is the same event (same id, same communications), which consumers' inboxes ignore."""
    org = an_org()
    template_id, version = await a_published_template(sessions, org.id)
    batch_id, events, _ = a_batch(org, template_id, version, chunks=1, per_chunk=2)
    await bus.request(events)
    await bus.request(events)  # the same event (same event id) delivered again
    await bus.collect(batch_id, 1)
    for _ in range(20):
        if len([r for r in bus.results if r.batch_id == batch_id]) == 2:
            break
        await bus.poll(500)
    first, second = [r for r in bus.results if r.batch_id == batch_id]
    assert first.event_id == second.event_id
    assert first.model_dump(exclude={"occurred_at"}) == second.model_dump(exclude={"occurred_at"})
    assert len(first.communications) == 2


async def _until_both_consume(bus, org: OrganizationSnapshot, template_id: UUID, version: int, processes) -> None:  # type: ignore[no-untyped-def]
    """Warm-up batches until every process has rendered a chunk: the consumer group is settled."""
    for _ in range(20):
        batch_id, events, _ = a_batch(org, template_id, version, chunks=12, per_chunk=1)
        await bus.request(events)
        await bus.collect(batch_id, 12)
        if all(p.chunks_generated(batch_id) for p in processes):
            return
        await asyncio.sleep(1)
    raise AssertionError("the consumer group never spread chunks over every process")


@pytest.mark.slow
async def test_two_generator_processes_share_one_batch_and_yield_exactly_the_expected_set(
    generator_processes,  # type: ignore[no-untyped-def]
    bus,  # type: ignore[no-untyped-def]
    sessions,  # type: ignore[no-untyped-def]
) -> None:
    org = an_org()
    template_id, version = await a_published_template(sessions, org.id)
    first, second = generator_processes("gen-a"), generator_processes("gen-b")
    await _until_both_consume(bus, org, template_id, version, [first, second])

    batch_id, events, expected = a_batch(org, template_id, version, chunks=40, per_chunk=25)
    await bus.request(events)
    results = await bus.collect(batch_id, 40)
    ids = communication_ids(results)
    assert len(ids) == len(set(ids)) == 1000
    assert set(ids) == expected
    by_first, by_second = first.chunks_generated(batch_id), second.chunks_generated(batch_id)
    assert by_first and by_second, "both processes took chunks of the batch"
    assert by_first | by_second == set(range(40)) and not by_first & by_second


@pytest.mark.slow
async def test_a_generator_killed_mid_batch_and_restarted_leaves_the_batch_generated_with_the_same_set(
    generator_processes,  # type: ignore[no-untyped-def]
    bus,  # type: ignore[no-untyped-def]
    sessions,  # type: ignore[no-untyped-def]
) -> None:
    org = an_org()
    template_id, version = await a_published_template(sessions, org.id)
    victim = generator_processes("gen-victim")
    batch_id, events, expected = a_batch(org, template_id, version, chunks=80, per_chunk=40)
    await bus.request(events)
    while not bus.chunks_answered(batch_id):
        await bus.poll(50)
    victim.kill()  # SIGKILL: no shutdown, no commit of offsets in flight
    answered_before_kill = len(victim.chunks_generated(batch_id))
    assert answered_before_kill < 80, "the batch must still be in progress when the generator dies"

    generator_processes("gen-restarted")
    results = await bus.collect(batch_id, 80, timeout=120)
    ids = communication_ids(results)
    assert set(ids) == expected and len(ids) == len(expected) == 3200


async def test_a_malformed_request_goes_to_dead_letters_and_the_next_chunk_is_still_generated(
    api: httpx.AsyncClient,
    bus,  # type: ignore[no-untyped-def]
    sessions,  # type: ignore[no-untyped-def]
) -> None:
    org = an_org()
    template_id, version = await a_published_template(sessions, org.id)
    dlq = AIOKafkaConsumer(
        topics.dlq(topic_name(GenerationRequested.TOPIC)),
        bootstrap_servers=KAFKA_BOOTSTRAP,
        group_id=topic_name("test-dlq-reader"),
        auto_offset_reset="earliest",
    )
    await dlq.start()
    try:
        bad = b'{"event_type": "generation_requested", "org_id": "' + str(org.id).encode() + b'", "members": 3}'
        await bus.producer.send_and_wait(topic_name(GenerationRequested.TOPIC), value=bad, key=b"bad:0")
        batch_id, events, expected = a_batch(org, template_id, version, chunks=1, per_chunk=3)
        await bus.request(events)
        assert sorted(communication_ids(await bus.collect(batch_id, 1))) == sorted(expected)
        dead = await dlq.getone()
        assert dead.value == bad
        assert any(k == "dlq_error" and b"ValidationError" in v for k, v in dead.headers)
    finally:
        await dlq.stop()
