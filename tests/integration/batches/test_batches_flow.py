"""Batches on real Kafka and a real database: generation through Kafka, sending, closing.

The assemblies, generator and documents HTTP endpoints are stubs; a Kafka consumer plays the
generator (GenerationRequested in, CommunicationsGenerated out) and another records what
delivery would receive. ``TEST_DB=sqlite`` runs the same tests on SQLite.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from contracts.events import DeliveryReported, LetterRendered
from tests.integration.batches.conftest import Stage
from tests.unit.batches.batches_fakes import contact, location, member

pytestmark = pytest.mark.integration


def working_list() -> list[Any]:
    """5 locations: RP assemblies reachable by email and letter, a do-not-contact one, a DC."""
    members = []
    for i in range(3):
        loc = location(postal_code=f"9700{i}")
        people = [contact(loc, email=f"owner{i}@example.org"), contact(loc, contact_type="billing")]
        members += [member(loc, people, "RP"), member(loc, people, "RP")]  # 2 assemblies x (1 email + 1 letter)
    quiet = location()
    members.append(member(quiet, [contact(quiet, email="dnc@example.org", do_not_contact=True)], "RP"))  # skipped
    nameless = location()
    members.append(member(nameless, [contact(nameless, email="n@example.org", first_name="")], "DC"))  # attention
    return members


async def generated_batch(stage: Stage, client: httpx.AsyncClient, org_id: UUID, **create: Any) -> dict[str, Any]:
    template_id = stage.neighbours.add_template(org_id)
    body = {"name": "Annual test due", "template_id": str(template_id), "due_date": "2026-03-01", "filter": {}}
    body.update(create)
    created = await client.post("/batches", json=body)
    assert created.status_code == 201, created.text
    batch_id = created.json()["id"]
    started = await client.post(f"/batches/{batch_id}/generate")
    assert started.status_code == 202, started.text
    assert started.json()["state"] in ("generating", "generated")

    async def generated() -> dict[str, Any] | None:
        detail = (await client.get(f"/batches/{batch_id}")).json()
        return detail if detail["state"] == "generated" else None

    return await stage.eventually(generated)


async def test_a_batch_built_from_a_filter_reaches_generated_with_the_communications_the_rules_imply(
    stage: Stage,
) -> None:
    org_id = stage.new_org(working_list())
    async with stage.client(org_id) as client:
        created = await client.post(
            "/batches",
            json={
                "name": "RP and DC",
                "template_id": str(stage.neighbours.add_template(org_id)),
                "due_date": "2026-03-01",
                "filter": {"assembly_type": ["RP", "DC"]},
            },
        )
        assert created.status_code == 201, created.text
        assert created.json()["member_count"] == 8
        batch_id = created.json()["id"]
        assert (await client.post(f"/batches/{batch_id}/generate")).status_code == 202

        async def generated() -> dict[str, Any] | None:
            detail = (await client.get(f"/batches/{batch_id}")).json()
            return detail if detail["state"] == "generated" else None

        detail = await stage.eventually(generated)
        assert detail["progress"]["chunks_done"] == detail["progress"]["chunks_total"] == 4
        assert detail["counts"]["by_method"] == {"email": 7, "letter": 6}
        assert detail["counts"]["by_status"]["generated"] == 12
        assert detail["counts"]["needs_attention"] == 1
        assert detail["counts"]["skipped_members"] == 1
        assert detail["allowed_actions"] == [
            "send",
            "retry_failed",
            "letters",
            "mark_mailed",
            "archive",
            "export",
            "clone",
        ]
        # every chunk kept its locations whole, and the chunks went round robin over the
        # partitions (spread keys): four chunks, four partitions, so both generators get some
        requests = stage.generator.requests[UUID(batch_id)]
        assert len(requests) == 4
        assert len(stage.generator.partitions[UUID(batch_id)]) == 4
        skipped = (await client.get(f"/batches/{batch_id}/skipped")).json()
        assert [s["reason"] for s in skipped["items"]] == ["no eligible contact"]
        attention = (
            await client.get(f"/batches/{batch_id}/communications", params={"status": "needs_attention"})
        ).json()
        assert attention["items"][0]["missing_fields"] == ["contact.first_name"]
        page = (await client.get(f"/batches/{batch_id}/communications", params={"page_size": 5, "page": 3})).json()
        assert page["total"] == 13 and len(page["items"]) == 3


async def test_a_redelivered_chunk_changes_nothing(stage: Stage) -> None:
    org_id = stage.new_org(working_list())
    async with stage.client(org_id) as client:
        template_id = stage.neighbours.add_template(org_id)
        body = {"name": "Twice", "template_id": str(template_id), "due_date": "2026-03-01", "filter": {}}
        batch_id = (await client.post("/batches", json=body)).json()["id"]
        stage.generator.duplicates[UUID(batch_id)] = 2  # every chunk answered 5 times
        await client.post(f"/batches/{batch_id}/generate")

        async def generated() -> dict[str, Any] | None:
            detail = (await client.get(f"/batches/{batch_id}")).json()
            return detail if detail["state"] == "generated" else None

        detail = await stage.eventually(generated)
        await asyncio.sleep(2)  # let the duplicates behind the last chunk arrive too
        detail = (await client.get(f"/batches/{batch_id}")).json()
        assert detail["progress"]["chunks_done"] == detail["progress"]["chunks_total"] == 4
        assert detail["counts"]["by_method"] == {"email": 7, "letter": 6}
        history = (await client.get(f"/batches/{batch_id}/history")).json()["items"]
        assert [h["action"] for h in history].count("generated") == 1


async def test_sending_twice_or_while_sending_never_sends_a_communication_twice(stage: Stage) -> None:
    org_id = stage.new_org(working_list())
    async with stage.client(org_id) as client:
        batch = await generated_batch(stage, client, org_id)
        batch_id = batch["id"]
        answers = await asyncio.gather(*(client.post(f"/batches/{batch_id}/send") for _ in range(6)))
        assert {a.status_code for a in answers} == {202}
        assert sum(a.json()["queued"] for a in answers) == 6  # 6 sendable emails, the 7th needs attention

        requested = stage.delivery.requested[UUID(batch_id)]
        await stage.eventually(lambda: asyncio.sleep(0, len(requested) >= 6))
        await asyncio.sleep(1)
        assert len(requested) == 6 == len({r.communication_id for r in requested})
        assert all(r.message_id == f"<{r.communication_id}@riverbend.example>" for r in requested)

        first = requested[0]
        for status in ("sending", "sent"):
            await stage.delivery.publish(
                DeliveryReported(
                    org_id=UUID(str(org_id)),
                    communication_id=first.communication_id,
                    batch_id=first.batch_id,
                    contact_id=first.contact_id,
                    status=status,
                    attempts=1,
                    message_id=first.message_id,
                    reported_at=datetime.now(UTC),
                    request_seq=first.request_seq,
                ),
                key=str(first.communication_id),
            )

        async def partially_sent() -> dict[str, Any] | None:
            detail = (await client.get(f"/batches/{batch_id}")).json()
            return detail if detail["state"] == "partially_sent" else None

        detail = await stage.eventually(partially_sent)
        assert detail["progress"]["sending"] == {"queued": 5, "sent": 1, "failed": 0}
        again = await client.post(f"/batches/{batch_id}/send")
        assert again.json() == {"queued": 0}
        await asyncio.sleep(1)
        assert len(requested) == 6


async def test_complete_removes_unsent_keeps_sent_and_tells_delivery(stage: Stage) -> None:
    org_id = stage.new_org(working_list())
    async with stage.client(org_id) as client:
        batch_id = (await generated_batch(stage, client, org_id))["id"]
        emails = (await client.get(f"/batches/{batch_id}/communications", params={"method": "email"})).json()["items"]
        chosen = [e["id"] for e in emails if e["status"] == "generated"][:2]
        sent = await client.post(f"/batches/{batch_id}/send", json={"communication_ids": chosen})
        assert sent.json() == {"queued": 2, "not_queued": 0}
        letters = (await client.get(f"/batches/{batch_id}/communications", params={"method": "letter"})).json()
        letter_id = letters["items"][0]["id"]
        document_id = uuid4()
        await stage.delivery.publish(
            LetterRendered(org_id=org_id, communication_id=UUID(letter_id), document_id=document_id, pages=1),
            key=letter_id,
        )
        for status in ("sending", "sent"):
            await stage.delivery.publish(
                DeliveryReported(
                    org_id=org_id,
                    communication_id=UUID(chosen[0]),
                    contact_id=uuid4(),
                    status=status,
                    reported_at=datetime.now(UTC),
                ),
                key=chosen[0],
            )

        async def one_sent() -> bool:
            detail = (await client.get(f"/batches/{batch_id}")).json()
            return detail["counts"]["by_status"]["sent"] == 1

        await stage.eventually(one_sent)
        link = await client.post(f"/batches/{batch_id}/letters")
        assert link.status_code == 200 and set(link.json()) == {"url", "expires_at"}
        closed = await client.post(f"/batches/{batch_id}/complete")
        assert closed.status_code == 200, closed.text
        body = closed.json()
        assert body["state"] == "complete"
        assert body["closed"] == {"removed": 12, "in_flight": 0}
        assert body["counts"]["by_status"]["sent"] == 1 and body["counts"]["by_status"]["removed"] == 12

        await stage.eventually(
            lambda: asyncio.sleep(0, any(str(c.batch_id) == batch_id for c in stage.delivery.closed))
        )
        csv_text = (await client.get(f"/batches/{batch_id}/export.csv")).text
        rows = csv_text.strip().splitlines()
        assert len(rows) == 14 and rows[0].startswith("communication_id,method,status")
        assert sum(",sent," in r for r in rows) == 1
        assert any(str(document_id) in r for r in rows)
        again = await client.post(f"/batches/{batch_id}/complete")
        assert again.status_code == 409 and "cannot complete a batch that is complete" in again.json()["detail"]
        archived = await client.post(f"/batches/{batch_id}/archive")
        assert archived.json()["state"] == "archived"
        clone = await client.post(f"/batches/{batch_id}/clone")
        assert clone.status_code == 201 and clone.json()["state"] == "open"
        assert clone.json()["name"] == "Copy of Annual test due" and clone.json()["cloned_from"] == batch_id
        actions = [h["action"] for h in (await client.get(f"/batches/{batch_id}/history")).json()["items"]]
        assert actions == [
            "created",
            "generation_started",
            "generated",
            "send",
            "partially_sent",
            "letters_requested",
            "complete",
            "archived",
            "cloned",
        ]


async def test_bad_input_gets_a_clear_error_and_changes_nothing(stage: Stage) -> None:
    org_id = stage.new_org(working_list())
    async with stage.client(org_id) as client:
        unpublished = stage.neighbours.add_template(org_id, published=False)
        body = {"name": "x", "template_id": str(unpublished), "due_date": "2026-03-01", "filter": {}}
        refused = await client.post("/batches", json=body)
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "template_id"]
        body["template_id"] = str(stage.neighbours.add_template(org_id))
        bad_filter = await client.post("/batches", json={**body, "filter": {"assembly_type": "RP"}})
        assert bad_filter.status_code == 422
        assert bad_filter.json()["detail"][0]["loc"] == ["body", "filter", "assembly_type"]  # passed through
        missing = await client.post("/batches", json={k: v for k, v in body.items() if k != "due_date"})
        assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "due_date"]
        assert (await client.get("/batches")).json()["total"] == 0

        batch_id = (await client.post("/batches", json=body)).json()["id"]
        not_yet = await client.post(f"/batches/{batch_id}/send")
        assert not_yet.status_code == 409 and not_yet.json()["allowed_actions"][:2] == ["edit", "generate"]
        await client.post(f"/batches/{batch_id}/generate")
        edit = await client.patch(f"/batches/{batch_id}", json={"name": "late"})
        assert edit.status_code == 409
        assert (await client.get(f"/batches/{batch_id}")).json()["name"] == "x"

    async with stage.client(stage.new_org([])) as stranger:
        assert (await stranger.get(f"/batches/{batch_id}")).status_code == 404
        assert (await stranger.post(f"/batches/{batch_id}/archive")).status_code == 404
    async with stage.client(org_id, role="viewer") as viewer:
        assert (await viewer.get(f"/batches/{batch_id}")).status_code == 200
        assert (await viewer.post(f"/batches/{batch_id}/clone")).status_code == 403
    async with httpx.AsyncClient(base_url=stage.batches.url) as anonymous:
        assert (await anonymous.get("/batches")).status_code == 401


async def test_communications_about_an_assembly_for_its_page(stage: Stage) -> None:
    members = working_list()
    org_id = stage.new_org(members)
    async with stage.client(org_id) as client:
        await generated_batch(stage, client, org_id, name="First")
        await generated_batch(stage, client, org_id, name="Second")
        about = (await client.get("/communications", params={"assembly_id": str(members[0].assembly.id)})).json()
        assert about["total"] == 4  # 1 email + 1 letter in each of the two batches
        assert {i["batch_name"] for i in about["items"]} == {"First", "Second"}
        by_location = (await client.get("/communications", params={"location_id": str(members[0].location.id)})).json()
        assert by_location["total"] == 8
        assert (await client.get("/communications")).status_code == 422
