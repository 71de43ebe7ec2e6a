"""Create Log, auto notices and Communications with Errors on the whole stack, through the gateway.

A one-time email to a real demo contact reaches the mail catcher and shows in the assembly's
and the location's history beside the batch communications about them; an auto run with an
injected date queues that assembly's overdue notice; then the mail server refuses the
contact's address, and a failed email from each source (batch, auto, one-time) appears in
Communications with Errors and goes out on retry once the mailbox works again.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e


def eventually(check: Callable[[], Any], timeout: float = 120, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout}s; last value {value!r}")
        time.sleep(every)


@pytest.fixture
def admin(gateway_url: str) -> Iterator[httpx.Client]:
    client = httpx.Client(base_url=gateway_url, timeout=60)
    r = client.post("/api/auth/login", json={"email": "admin@riverbend-water.example", "password": "riverbend-admin"})
    assert r.status_code == 200, r.text
    client.headers["Authorization"] = f"Bearer {r.json()['token']}"
    yield client
    client.close()


def published(admin: httpx.Client, *, trigger: str, offset_days: int | None = None, body: str) -> tuple[str, str]:
    ct_body: dict[str, Any] = {"name": f"{trigger} e2e {uuid.uuid4().hex[:6]}", "trigger": trigger}
    if offset_days is not None:
        ct_body["offset_days"] = offset_days
    ct = admin.post("/api/communication-types", json=ct_body)
    assert ct.status_code == 201, ct.text
    t = admin.post(
        "/api/templates",
        json={
            "communication_type_id": ct.json()["id"],
            "name": f"{ct_body['name']} template",
            "settings": {"contact_types": ["owner"], "methods": ["email"]},
            "email_subject": "About {{ assembly.serial_number }}",
            "email_body_text": body,
        },
    )
    assert t.status_code == 201, t.text
    assert admin.post(f"/api/templates/{t.json()['id']}/publish").status_code == 200
    return ct.json()["id"], t.json()["id"]


def an_emailable_assembly(admin: httpx.Client) -> tuple[dict[str, Any], dict[str, Any]]:
    """A demo assembly with a due date whose owner can be emailed, and that owner."""
    page = admin.get("/api/assemblies", params={"has_email": "true", "assembly_active": "true", "page_size": 50})
    assert page.status_code == 200, page.text
    for item in page.json()["items"]:
        detail = admin.get(f"/api/assemblies/{item['id']}").json()
        owners = [
            c
            for c in detail["contacts"]
            if c["contact_type"] == "owner" and c["email"] and not c["do_not_contact"] and not c["email_bounced"]
        ]
        if detail.get("next_test_due") and detail["location"]["active"] and owners:
            return detail, owners[0]
    raise AssertionError("the demo data has no emailable owner of an assembly with a due date")


def messages_to(mailcatcher_url: str, email: str) -> list[dict[str, Any]]:
    return httpx.get(f"{mailcatcher_url}/messages", params={"to": email}, timeout=10).json()["items"]


def generated_batch(admin: httpx.Client, template_id: str, serial: str) -> str:
    created = admin.post(
        "/api/batches",
        json={"name": f"About {serial}", "template_id": template_id, "due_date": "2026-12-31", "filter": {"q": serial}},
    )
    assert created.status_code == 201, created.text
    batch_id = created.json()["id"]
    assert admin.post(f"/api/batches/{batch_id}/generate").status_code == 202
    eventually(lambda: admin.get(f"/api/batches/{batch_id}").json()["state"] == "generated")
    return batch_id


def emails_of(admin: httpx.Client, batch_id: str, assembly_id: str, email: str) -> list[dict[str, Any]]:
    items = admin.get(f"/api/batches/{batch_id}/communications", params={"method": "email", "page_size": 500}).json()
    return [c for c in items["items"] if assembly_id in c["assembly_ids"] and c["recipient"]["email"] == email]


def test_one_time_auto_and_batch_communications_share_history_errors_and_retry(
    admin: httpx.Client, mailcatcher_url: str
) -> None:
    assembly, owner = an_emailable_assembly(admin)
    serial, email = assembly["serial_number"], owner["email"]
    _, batch_template = published(admin, trigger="batch", body="Dear {{ contact.name }}, a batch notice.")
    _, one_time_template = published(admin, trigger="batch", body="Dear {{ contact.name }}, {{ additional_contents }}")
    overdue_type, _ = published(
        admin, trigger="auto", offset_days=1, body="Dear {{ contact.name }}, your test was due {{ batch.due_date }}."
    )

    # a batch about the assembly, sent
    first_batch = generated_batch(admin, batch_template, serial)
    assert admin.post(f"/api/batches/{first_batch}/send").status_code == 202

    # Create Log: one email to the owner, with the admin's own words, sent at once
    words = f"Your meter pit needs attention ({uuid.uuid4().hex[:8]})."
    created = admin.post(
        "/api/communications/one-time",
        json={
            "contact_id": owner["id"],
            "template_id": one_time_template,
            "method": "email",
            "additional_contents": words,
            "assembly_id": assembly["id"],
        },
    )
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]

    def arrived() -> dict[str, Any] | None:
        for m in messages_to(mailcatcher_url, email):
            full = httpx.get(f"{mailcatcher_url}/messages/{m['id']}", timeout=10).json()
            if words in full["text"]:
                return full
        return None

    message = eventually(arrived)
    assert message["subject"] == f"About {serial}"
    one_time = admin.get(f"/api/communications/jobs/{job_id}").json()["communications"]
    assert len(one_time) == 1 and one_time[0]["contact"]["id"] == owner["id"]

    # the auto run of the day after the due date queues the overdue notice (never sent by itself)
    on = date.fromisoformat(assembly["next_test_due"]) + timedelta(days=1)
    run = admin.post("/api/auto-runs", json={"on": on.isoformat(), "communication_type_id": overdue_type})
    assert run.status_code == 200, run.text
    assert run.json()["runs"][0]["outcome"] == "started"
    again = admin.post("/api/auto-runs", json={"on": on.isoformat(), "communication_type_id": overdue_type})
    assert again.json()["runs"][0]["outcome"] == "already run"

    def queued_notice() -> dict[str, Any] | None:
        items = admin.get("/api/communications/unsent", params={"type": overdue_type, "page_size": 500}).json()["items"]
        mine = [i for i in items if assembly["id"] in i["assembly_ids"] and i["recipient"]["email"] == email]
        return mine[0] if mine else None

    notice = eventually(queued_notice)
    assert notice["due_on"] == assembly["next_test_due"] and notice["generated_on"] == on.isoformat()

    # the history of the assembly and of its location: batch, one-time and auto, each with its status
    def history(**params: str) -> dict[str, str]:
        items = admin.get("/api/communications", params=params).json()["items"]
        return {i["source"]: i["status"] for i in items if i["recipient"]["email"] == email}

    def all_in_history() -> bool:
        sources = history(assembly_id=assembly["id"])
        return sources.get("batch") == "sent" and sources.get("one_time") == "sent" and "auto" in sources

    eventually(all_in_history)
    location_history = history(location_id=assembly["location"]["id"])
    assert {"batch", "one_time", "auto"} <= set(location_history)

    # the mail server now refuses the owner's address: one failure from each source
    faults = httpx.get(f"{mailcatcher_url}/faults", timeout=10).json()
    httpx.post(f"{mailcatcher_url}/faults", json={"reject_pattern": f"^{re.escape(email)}$"}, timeout=10)
    try:
        second_batch = generated_batch(admin, batch_template, serial)
        refused_one_time = admin.post(
            "/api/communications/one-time",
            json={
                "contact_id": owner["id"],
                "template_id": one_time_template,
                "method": "email",
                "additional_contents": "A second word.",
                "assembly_id": assembly["id"],
            },
        )
        assert refused_one_time.status_code == 202, refused_one_time.text
        batch_email = emails_of(admin, second_batch, assembly["id"], email)[0]
        sent = admin.post(f"/api/batches/{second_batch}/send", json={"communication_ids": [batch_email["id"]]})
        assert sent.json() == {"queued": 1, "not_queued": 0}
        queued = admin.post("/api/communications/send", json={"communication_ids": [notice["id"]]})
        assert queued.status_code == 202 and queued.json()["queued"] == 1

        def three_errors() -> list[dict[str, Any]] | None:
            items = admin.get("/api/communications/errors", params={"page_size": 500}).json()["items"]
            mine = [i for i in items if i["recipient"]["email"] == email]
            return mine if {i["source"] for i in mine} == {"batch", "auto", "one_time"} else None

        errors = eventually(three_errors, timeout=180)
        assert all(e["reason"] and e["bounced"] for e in errors)
        assert [e["batch"]["id"] for e in errors if e["source"] == "batch"] == [second_batch]
    finally:
        httpx.post(f"{mailcatcher_url}/faults", json={"reject_pattern": faults["reject_pattern"]}, timeout=10)

    # the mailbox works again: retry sends each of them once
    retried = admin.post("/api/communications/retry", json={"communication_ids": [e["id"] for e in errors]})
    assert retried.status_code == 202, retried.text
    assert retried.json()["queued"] == 3 and retried.json()["not_retried"] == []

    def delivered() -> bool:
        ids = {m["message_id"] for m in messages_to(mailcatcher_url, email)}
        return all(e["message_id"] in ids for e in errors)

    eventually(delivered, timeout=180)
    remaining = admin.get("/api/communications/errors", params={"page_size": 500}).json()["items"]
    assert not [e for e in remaining if e["id"] in {x["id"] for x in errors}]
