"""Create Log and Communications with Errors on real Kafka, the real generator and a real database.

A Kafka listener plays delivery: it records each DeliveryRequested and the test answers
with the delivery reports a mail server's refusal would cause.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from contracts.events import DeliveryReported, DeliveryRequested
from tests.integration.auto.conftest import Stage
from tests.unit.batches.batches_fakes import contact, location, member

pytestmark = pytest.mark.integration


async def one_time_template(stage: Stage, org_id: UUID) -> str:
    async with stage.generator_client(org_id) as gen:
        ct = await gen.post("/communication-types", json={"name": "Create Log", "trigger": "batch"})
        t = await gen.post(
            "/templates",
            json={
                "communication_type_id": ct.json()["id"],
                "name": "A word from the utility",
                "settings": {"contact_types": ["owner"], "methods": ["email", "letter"]},
                "email_subject": "About account {{ location.account_number }}",
                "email_body_text": "Dear {{ contact.first_name }},\n{{ additional_contents }}",
                "letter_body": "Dear {{ contact.first_name }},\n\n{{ additional_contents }}",
            },
        )
        assert t.status_code == 201, t.text
        assert (await gen.post(f"/templates/{t.json()['id']}/publish")).status_code == 200
    return t.json()["id"]


async def requested(stage: Stage, communication_id: str, seq: int) -> DeliveryRequested:
    async def found() -> DeliveryRequested | None:
        for r in stage.delivery.requested:
            if str(r.communication_id) == communication_id and r.request_seq == seq:
                return r
        return None

    return await stage.eventually(found)


async def test_a_one_time_email_to_a_tenant_is_sent_at_once_and_after_a_bounce_retried_to_the_fixed_address(
    stage: Stage,
) -> None:
    loc = location()
    owner = contact(loc, email="owner@example.org")
    tenant = contact(loc, email="tenant@old.example", first_name="Robin", contact_type="tenant")
    m1, m2 = member(loc, [owner, tenant]), member(loc, [owner, tenant])
    org_id = stage.new_org([m1, m2])
    template_id = await one_time_template(stage, org_id)

    async with stage.client(org_id) as client:
        created = await client.post(
            "/communications/one-time",
            json={
                "contact_id": str(tenant.id),
                "template_id": template_id,
                "method": "email",
                "additional_contents": "The hydrant test on Friday may lower your pressure.",
            },
        )
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]

        async def generated() -> dict[str, Any] | None:
            job = (await client.get(f"/communications/jobs/{job_id}")).json()
            return job if job["state"] == "generated" else None

        job = await stage.eventually(generated)
        assert len(job["communications"]) == 1  # one communication about the location's two assemblies
        sent = job["communications"][0]
        assert sorted(sent["assembly_ids"]) == sorted([str(m1.assembly.id), str(m2.assembly.id)])
        request = await requested(stage, sent["id"], 1)
        assert (request.to_email, request.source, request.batch_id) == ("tenant@old.example", "one_time", None)
        assert request.body_text == "Dear Robin,\nThe hydrant test on Friday may lower your pressure."

        # it is in both assemblies' and the location's history
        for params in ({"assembly_id": str(m1.assembly.id)}, {"location_id": str(loc.id)}):
            history = (await client.get("/communications", params=params)).json()["items"]
            assert [(h["id"], h["source"]) for h in history] == [(sent["id"], "one_time")]

        # the mail server refuses the address for good
        for status in ("sending", "failed"):
            await stage.delivery.publish(
                DeliveryReported(
                    org_id=org_id,
                    communication_id=UUID(sent["id"]),
                    source="one_time",
                    contact_id=tenant.id,
                    status=status,
                    error="550 5.1.1 mailbox unavailable" if status == "failed" else "",
                    permanent=status == "failed",
                    reported_at=datetime.now(UTC),
                ),
                key=sent["id"],
            )

        async def listed() -> list[dict[str, Any]]:
            return (await client.get("/communications/errors")).json()["items"]

        errors = await stage.eventually(listed)
        assert [(e["id"], e["source"], e["bounced"], e["reason"]) for e in errors] == [
            (sent["id"], "one_time", True, "550 5.1.1 mailbox unavailable")
        ]

        # the contact is fixed; the retry goes to the address it has now
        stage.assemblies.set_email(org_id, tenant.id, "robin@new.example")
        retried = await client.post("/communications/retry", json={"communication_ids": [sent["id"]]})
        assert retried.status_code == 202 and retried.json() == {"queued": 1, "not_retried": []}
        again = await requested(stage, sent["id"], 2)
        assert again.to_email == "robin@new.example" and again.message_id == request.message_id
        assert (await client.get("/communications/errors")).json()["items"] == []
        twice = await client.post("/communications/retry", json={"communication_ids": [sent["id"]]})
        assert twice.json() == {"queued": 0, "not_retried": [{"id": sent["id"], "reason": "not a failed email"}]}


async def test_create_log_refuses_what_cannot_reach_the_contact_and_changes_nothing(stage: Stage) -> None:
    loc = location()
    quiet = contact(loc, email="quiet@example.org", do_not_contact=True)
    paper = contact(loc, email="", contact_type="billing")
    other_loc = location()
    elsewhere = member(other_loc, [contact(other_loc, email="x@example.org")])
    org_id = stage.new_org([member(loc, [quiet, paper]), elsewhere])
    template_id = await one_time_template(stage, org_id)

    async with stage.client(org_id) as client:

        async def post(**body: Any) -> Any:
            base = {"template_id": template_id, "method": "email", "additional_contents": "Hello"}
            return await client.post("/communications/one-time", json={**base, **body})

        refused = [
            (await post(contact_id=str(quiet.id)), "contact_id"),
            (await post(contact_id=str(paper.id)), "method"),
            (
                await post(contact_id=str(paper.id), method="letter", assembly_id=str(elsewhere.assembly.id)),
                "assembly_id",
            ),
            (await post(contact_id=str(paper.id), method="fax"), "method"),
        ]
        for answer, field in refused:
            assert answer.status_code == 422, answer.text
            assert answer.json()["detail"][0]["loc"][-1] == field
        assert (await post(contact_id=str(UUID(int=5)))).status_code == 404
        letter = await post(contact_id=str(paper.id), method="letter")
        assert letter.status_code == 202

    async with stage.client(stage.new_org([])) as stranger:
        answer = await stranger.post(
            "/communications/one-time",
            json={"contact_id": str(paper.id), "template_id": template_id, "method": "letter"},
        )
        assert answer.status_code == 422  # another organization's template does not exist for it

    async with stage.client(org_id) as client:

        async def queued_letter() -> list[dict[str, Any]]:
            return (await client.get("/communications/unsent", params={"method": "letter"})).json()["items"]

        letters = await stage.eventually(queued_letter)
        assert [(x["source"], x["contact"]["id"], x["status"]) for x in letters] == [
            ("one_time", str(paper.id), "generated")
        ]
        marked = await client.post(
            "/communications/mark-mailed", json={"communication_ids": [letters[0]["id"]], "mailed_on": "2026-01-01"}
        )
        assert marked.json() == {"marked": 1}
        assert await queued_letter() == []
