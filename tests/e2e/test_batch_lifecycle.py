"""A batch's whole life on the whole stack, through the gateway, as the admin would live it.

Filter the working list → Add To Batch Communication → generate (generator over Kafka) →
send the emails (delivery → mail catcher) → download the letters (documents) → complete.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

pytestmark = pytest.mark.e2e

SUBJECT = "Backflow test due: {{ assembly.serial_number }}"
BODY = "Dear {{ contact.name }}, the assembly {{ assembly.serial_number }} must be tested by {{ batch.due_date }}."


def eventually(check: Callable[[], Any], timeout: float = 120, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout}s; last value {value!r}")
        time.sleep(every)


def published_template(admin: httpx.Client) -> str:
    ct = admin.post("/api/communication-types", json={"name": f"Batch e2e {uuid.uuid4().hex[:6]}", "trigger": "batch"})
    assert ct.status_code == 201, ct.text
    t = admin.post(
        "/api/templates",
        json={
            "communication_type_id": ct.json()["id"],
            "name": "Annual test due (e2e)",
            "settings": {"contact_types": ["owner"], "methods": ["email", "letter"]},
            "email_subject": SUBJECT,
            "email_body_text": BODY,
            "letter_body": BODY,
        },
    )
    assert t.status_code == 201, t.text
    assert admin.post(f"/api/templates/{t.json()['id']}/publish").status_code == 200
    return t.json()["id"]


def all_communications(admin: httpx.Client, batch_id: str, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        r = admin.get(f"/api/batches/{batch_id}/communications", params={**params, "page": page, "page_size": 500})
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        if len(items) >= r.json()["total"]:
            return items
        page += 1


def signed_in(gateway_url: str, email: str, password: str) -> httpx.Client:
    """A client with a bearer token, as a script would use the API."""
    client = httpx.Client(base_url=gateway_url, timeout=60)
    r = client.post("/api/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    client.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return client


@pytest.fixture
def people(gateway_url: str) -> Iterator[tuple[httpx.Client, httpx.Client, httpx.Client]]:
    clients = (
        signed_in(gateway_url, "admin@riverbend-water.example", "riverbend-admin"),
        signed_in(gateway_url, "viewer@riverbend-water.example", "riverbend-viewer"),
        signed_in(gateway_url, "admin@lakeside-water.example", "lakeside-admin"),
    )
    yield clients
    for client in clients:
        client.close()


def test_an_admin_filters_generates_sends_downloads_and_completes_a_batch(
    people: tuple[httpx.Client, httpx.Client, httpx.Client], mailcatcher_url: str, gateway_url: str
) -> None:
    admin, viewer, other_admin = people
    template_id = published_template(admin)
    working_list = admin.get("/api/assemblies", params={"hazard": "high", "page_size": 1})
    assert working_list.status_code == 200, working_list.text
    expected_members = working_list.json()["total"]
    assert expected_members > 0

    created = admin.post(
        "/api/batches",
        json={
            "name": "High hazard 2026",
            "template_id": template_id,
            "due_date": "2026-06-30",
            "filter": {"hazard": ["high"]},
        },
    )
    assert created.status_code == 201, created.text
    batch_id = created.json()["id"]
    assert created.json()["member_count"] == expected_members
    assert viewer.post(f"/api/batches/{batch_id}/generate").status_code == 403
    assert other_admin.get(f"/api/batches/{batch_id}").status_code == 404

    assert admin.post(f"/api/batches/{batch_id}/generate").status_code == 202
    detail = eventually(lambda: (d := admin.get(f"/api/batches/{batch_id}").json())["state"] == "generated" and d)
    assert detail["progress"]["chunks_done"] == detail["progress"]["chunks_total"] >= 1
    assert detail["errors"] == []

    # every member is accounted for: covered by a communication or listed as skipped with a reason
    communications = all_communications(admin, batch_id)
    skipped = admin.get(f"/api/batches/{batch_id}/skipped").json()["items"]
    covered = {a for c in communications for a in c["assembly_ids"]}
    assert all(s["reason"] for s in skipped)
    assert len(covered | {s["assembly_id"] for s in skipped}) == expected_members
    emails = [c for c in communications if c["method"] == "email" and c["status"] == "generated"]
    letters = [c for c in communications if c["method"] == "letter"]
    assert emails, "the demo data has owners with email addresses"

    # two clicks on Send: every email leaves once
    first = admin.post(f"/api/batches/{batch_id}/send")
    second = admin.post(f"/api/batches/{batch_id}/send")
    assert first.status_code == second.status_code == 202
    assert first.json()["queued"] + second.json()["queued"] == len(emails)

    def delivered() -> list[dict[str, Any]]:
        found = []
        for e in emails:
            r = httpx.get(f"{mailcatcher_url}/messages", params={"message_id": e["message_id"]}, timeout=10)
            found += r.json()["items"]
        return found if len(found) >= len(emails) else []

    messages = eventually(delivered, timeout=180)
    assert len(messages) == len(emails)  # none twice
    detail = eventually(
        lambda: (d := admin.get(f"/api/batches/{batch_id}").json())["progress"]["sending"]["sent"] == len(emails) and d
    )
    assert detail["state"] == "partially_sent"

    if letters:
        link = admin.post(f"/api/batches/{batch_id}/letters")
        assert link.status_code == 200, link.text
        # the link needs no login: the signature is the permission
        pdf = httpx.get(urljoin(gateway_url + "/", link.json()["url"]), timeout=120)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    closed = admin.post(f"/api/batches/{batch_id}/complete")
    assert closed.status_code == 200, closed.text
    assert closed.json()["state"] == "complete"
    statuses = {c["status"] for c in all_communications(admin, batch_id)}
    assert statuses <= {"sent", "removed"}
    export = admin.get(f"/api/batches/{batch_id}/export.csv")
    assert export.status_code == 200 and len(export.text.strip().splitlines()) == 1 + len(communications)
    actions = [h["action"] for h in admin.get(f"/api/batches/{batch_id}/history").json()["items"]]
    assert actions[:3] == ["created", "generation_started", "generated"] and actions[-1] == "complete"
