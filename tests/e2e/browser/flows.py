"""What the browser tests set up through the API, as a script would: batches, waits, mail."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx


def eventually(check: Callable[[], Any], timeout: float = 90, every: float = 0.5) -> Any:
    """``check()`` once it is truthy; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout}s; last value {value!r}")
        time.sleep(every)


def published_template(
    admin_api: httpx.Client,
    *,
    trigger: str = "batch",
    offset_days: int | None = None,
    methods: tuple = ("email",),
    with_note: bool = False,
) -> dict[str, Any]:
    """A new communication type with one published template that names the assembly in the subject.

    ``with_note``: the body prints ``additional_contents`` (the free text of Create Log).
    """
    tag = uuid.uuid4().hex[:6]
    body: dict[str, Any] = {"name": f"UI {trigger} notice {tag}", "source": "assembly", "trigger": trigger}
    if offset_days is not None:
        body["offset_days"] = offset_days
    ct = admin_api.post("/api/communication-types", json=body)
    assert ct.status_code == 201, ct.text
    text = "Dear {{ contact.name }}, assembly {{ assembly.serial_number }} at {{ location.address_line1 }} is due."
    if with_note:
        text += "\n\n{{ additional_contents }}"
    t = admin_api.post(
        "/api/templates",
        json={
            "communication_type_id": ct.json()["id"],
            "name": f"UI template {tag}",
            "settings": {
                "contact_types": ["owner", "property_manager", "tenant", "billing", "site"],
                "methods": list(methods),
            },
            "email_subject": f"Notice {tag}: {{{{ assembly.serial_number }}}}",
            "email_body_text": text,
            "letter_body": text,
        },
    )
    assert t.status_code == 201, t.text
    published = admin_api.post(f"/api/templates/{t.json()['id']}/publish")
    assert published.status_code == 200, published.text
    return {**published.json(), "type": ct.json(), "tag": tag}


def assembly_with_email(admin_api: httpx.Client, **filters: Any) -> dict[str, Any]:
    """An active assembly whose location has a contact with a usable email."""
    page = admin_api.get(
        "/api/assemblies", params={"has_email": "true", "assembly_active": "true", "page_size": 50, **filters}
    )
    assert page.status_code == 200, page.text
    for item in page.json()["items"]:
        detail = admin_api.get(f"/api/assemblies/{item['id']}").json()
        usable = [
            c for c in detail["contacts"] if c["email"] and not c["do_not_contact"] and not c.get("email_bounced_at")
        ]
        if usable:
            return detail
    raise AssertionError("the demo data has no assembly with a usable email")


def sent_batch_about(admin_api: httpx.Client, serial_number: str, template_id: str, name: str) -> dict[str, Any]:
    """A batch of one assembly, generated and its emails sent; answers the batch when every email is sent."""
    created = admin_api.post(
        "/api/batches",
        json={
            "name": name,
            "template_id": template_id,
            "due_date": (date.today() + timedelta(days=30)).isoformat(),
            "filter": {"q": serial_number},
        },
    )
    assert created.status_code == 201, created.text
    batch_id = created.json()["id"]
    assert admin_api.post(f"/api/batches/{batch_id}/generate").status_code == 202
    eventually(lambda: admin_api.get(f"/api/batches/{batch_id}").json()["state"] == "generated")
    assert admin_api.post(f"/api/batches/{batch_id}/send").status_code == 202

    def all_sent() -> dict[str, Any] | None:
        batch = admin_api.get(f"/api/batches/{batch_id}").json()
        emails = batch["counts"]["by_method"].get("email", 0)
        return batch if 0 < emails == batch["counts"]["by_status"].get("sent", 0) else None

    return eventually(all_sent)


def mail_to(mailcatcher_url: str, address: str) -> list[dict[str, Any]]:
    """Every message the mail catcher received for ``address``."""
    return httpx.get(f"{mailcatcher_url}/messages", params={"to": address}).json()["items"]


IMPORT_HEADER = (
    "account_number,location_name,address_line1,city,state,postal_code,facility_type,"
    "serial_number,assembly_type,size,hazard,service_type,last_tested_on,last_test_result,next_test_due,"
    "contact_type,contact_name,contact_first_name,contact_email,contact_is_primary"
)


def import_location(admin_api: httpx.Client, tag: str, contact_name: str, email: str, next_test_due: date) -> dict:
    """A location of this test's own (account ``UI-<tag>``), one assembly, one owner; answers the assembly.

    Importing it again with another email corrects the contact (and clears its bounce mark).
    """
    row = (
        f"UI-{tag},UI test {tag},{10 + int(tag[:4], 16) % 900} Test Way,Riverbend,WA,98{int(tag[:3], 16) % 1000:03d},"
        f'institutional,UI{tag.upper()},DC,1",low,domestic,{(next_test_due - timedelta(days=365)).isoformat()},pass,'
        f"{next_test_due.isoformat()},owner,{contact_name},{contact_name.split()[0]},{email},true"
    )
    answer = admin_api.post(
        "/api/assemblies/import", files={"file": ("ui.csv", f"{IMPORT_HEADER}\n{row}\n".encode(), "text/csv")}
    )
    assert answer.status_code == 200, answer.text
    found = admin_api.get("/api/assemblies", params={"q": f"UI-{tag}"}).json()["items"]
    assert len(found) == 1, found
    return admin_api.get(f"/api/assemblies/{found[0]['id']}").json()


def one_time_job(admin_api: httpx.Client, job_id: str, done: Callable[[dict], bool]) -> dict:
    """The one-time job once ``done(job)`` holds."""
    return eventually(
        lambda: (lambda j: j if done(j) else None)(admin_api.get(f"/api/communications/jobs/{job_id}").json())
    )
