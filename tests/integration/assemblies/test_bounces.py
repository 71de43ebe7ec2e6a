"""A permanent delivery failure, reported on Kafka, marks the contact's email bounced."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from sqlalchemy import func, select

from contracts.events import DeliveryReported
from servicekit.naming import topic_name
from tests.conftest import KAFKA_BOOTSTRAP
from tests.integration.assemblies.conftest import Utility, load_utility
from tests.integration.assemblies.expectations import rows_of

pytestmark = pytest.mark.integration


async def publish(*events: DeliveryReported, key: uuid.UUID | None = None) -> None:
    """Publish in order; one ``key`` puts every event on one partition, so they are handled in order."""
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA_BOOTSTRAP, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                topic_name(DeliveryReported.TOPIC), event.to_json_bytes(), key=str(key or event.contact_id).encode()
            )
    finally:
        await producer.stop()


def report(utility: Utility, contact_id: uuid.UUID, *, permanent: bool, status: str = "failed") -> DeliveryReported:
    return DeliveryReported(
        org_id=utility.org_id,
        communication_id=uuid.uuid4(),
        contact_id=contact_id,
        status=status,
        permanent=permanent,
        error="550 mailbox unavailable" if permanent else "421 try later",
        reported_at=datetime(2026, 3, 15, 10, 0, tzinfo=UTC),
    )


async def bounced(utility: Utility, contact_id: uuid.UUID) -> bool:
    response = await utility.get(f"/internal/contacts/{contact_id}")
    return response.json()["contact"]["email_bounced"]


async def wait_bounced(utility: Utility, contact_id: uuid.UUID, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await bounced(utility, contact_id):
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"contact {contact_id} was not marked bounced within {timeout}s")


async def test_a_permanent_failure_marks_the_email_bounced_and_later_lists_skip_it(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    utility = await load_utility(app, http, 150, seed=21)
    rows = rows_of(utility.data)
    reachable = [c for c in utility.data.contacts if c.email and not c.do_not_contact]
    # a contact who is the only reachable email of a location with assemblies
    only = next(
        c
        for c in reachable
        if [x.id for x in reachable if x.location_id == c.location_id] == [c.id]
        and any(r.location.id == c.location_id for r in rows)
    )
    transient = next(c for c in reachable if c.location_id != only.location_id)
    marker = next(c for c in reachable if c.id not in (only.id, transient.id))
    at_location = sum(1 for r in rows if r.location.id == only.location_id)
    with_email_before = (await utility.get("/assemblies", params={"has_email": "true"})).json()["total"]

    permanent = report(utility, only.id, permanent=True)
    await publish(report(utility, transient.id, permanent=False), permanent, permanent, key=only.id)
    await wait_bounced(utility, only.id)

    assert not await bounced(utility, transient.id)
    with_email_after = (await utility.get("/assemblies", params={"has_email": "true"})).json()["total"]
    assert with_email_after == with_email_before - at_location
    assembly_id = next(r.assembly.id for r in rows if r.location.id == only.location_id)
    snapshot = await utility.post("/internal/members/snapshots", json={"assembly_ids": [str(assembly_id)]})
    contact = next(c for c in snapshot.json()["members"][0]["contacts"] if c["id"] == str(only.id))
    assert contact["email_bounced"] is True

    # the duplicated event was processed once: the inbox holds it once, the marker comes after it
    await publish(report(utility, marker.id, permanent=True))
    await wait_bounced(utility, marker.id)
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(runtime.tables.inbox)
            .where(runtime.tables.inbox.c.event_id == str(permanent.event_id))
        )
    assert count == 1
