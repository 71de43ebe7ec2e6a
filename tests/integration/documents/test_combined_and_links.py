"""The batch's combined letters PDF and the signed, expiring links that serve it."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from documents.domain.documents import combined_document_id, letter_set_key
from documents.domain.links import expiry_of, sign_link
from tests.integration.documents.conftest import Documents
from tests.unit.documents import factories
from tests.unit.documents.pdftools import page_count, squashed, text

pytestmark = pytest.mark.integration

RECIPIENTS = [  # (name, postal code); generated in this order, mailed in postal-code order
    ("Zed Young", "97010"),
    ("Amy Adams", "97030"),
    ("Long Holdings LLC", "97001"),
    ("Bea Brown", "97010"),
    ("Cal Carter", "97002"),
]


async def make_batch(svc: Documents, org_id: UUID) -> tuple[UUID, list]:
    comms = [
        factories.communication(name=name, postal_code=code, assemblies=70 if name.startswith("Long") else 2)
        for name, code in RECIPIENTS
    ]
    event = await svc.generate(org_id, comms)
    return event.batch_id, comms


async def request_letters(svc: Documents, org_id: UUID, batch_id: UUID, comms: list, role: str = "org_admin"):
    return await svc.http.post(
        f"/internal/batches/{batch_id}/combined",
        json={"communication_ids": [str(c.communication_id) for c in comms]},
        headers=svc.headers(org_id, role),
    )


def token_of(url: str) -> str:
    assert url.startswith("/api/documents/")
    return url.removeprefix("/api/documents/")


async def download(svc: Documents, url: str):
    return await svc.http.get(f"/documents/{token_of(url)}")


async def test_the_combined_pdf_holds_every_letter_in_postal_code_order(svc: Documents, org_id: UUID, tmp_path: Path):
    batch_id, comms = await make_batch(svc, org_id)
    response = await request_letters(svc, org_id, batch_id, comms)
    assert response.status_code == 200, response.text
    answer = response.json()
    expires_at = datetime.fromisoformat(answer["expires_at"])
    assert expires_at - svc.clock.now() == timedelta(hours=24)

    pdf = await download(svc, answer["url"])
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "private, no-store"
    assert pdf.headers["content-disposition"].startswith('attachment; filename="letters-batch-')
    path = tmp_path / "combined.pdf"
    path.write_bytes(pdf.content)

    pages = {c.communication_id: svc.rendered[c.communication_id][0].pages for c in comms}
    assert page_count(path) == sum(pages.values()) > len(comms)
    flat = squashed(text(path))
    mailing_order = ["Long Holdings LLC", "Cal Carter", "Bea Brown", "Zed Young", "Amy Adams"]
    positions = [flat.index(f"Dear {name},") for name in mailing_order]
    assert positions == sorted(positions)
    assert all(flat.count(f"Dear {name},") == 1 for name in mailing_order)


async def test_re_requesting_gives_a_new_link_at_once_without_rendering_again(svc: Documents, org_id: UUID):
    batch_id, comms = await make_batch(svc, org_id)
    first = (await request_letters(svc, org_id, batch_id, comms)).json()
    stored = next(svc.storage_dir.rglob(f"{first['document_id']}.pdf"))
    built_at = os.stat(stored).st_mtime_ns
    renders = svc.renders.calls

    svc.clock.advance(hours=3)
    again = await request_letters(svc, org_id, batch_id, list(reversed(comms)))
    assert again.status_code == 200
    second = again.json()
    assert second["document_id"] == first["document_id"]
    assert second["url"] != first["url"]
    assert datetime.fromisoformat(second["expires_at"]) - datetime.fromisoformat(first["expires_at"]) == timedelta(
        hours=3
    )
    assert os.stat(stored).st_mtime_ns == built_at
    assert svc.renders.calls == renders
    assert (await download(svc, first["url"])).status_code == 200
    assert (await download(svc, second["url"])).status_code == 200

    # a different selection of the batch is another document
    subset = (await request_letters(svc, org_id, batch_id, comms[:2])).json()
    assert subset["document_id"] != first["document_id"]


async def test_a_link_is_valid_one_second_before_expiry_and_gone_one_second_after(svc: Documents, org_id: UUID):
    batch_id, comms = await make_batch(svc, org_id)
    answer = (await request_letters(svc, org_id, batch_id, comms)).json()
    expires_at = datetime.fromisoformat(answer["expires_at"])

    svc.clock.current = expires_at - timedelta(seconds=1)
    assert (await download(svc, answer["url"])).status_code == 200
    svc.clock.current = expires_at + timedelta(seconds=1)
    expired = await download(svc, answer["url"])
    assert expired.status_code == 410
    assert "expired" in expired.json()["detail"] and "batch page" in expired.json()["detail"]
    # re-requesting from the batch gives a link that works now
    fresh = (await request_letters(svc, org_id, batch_id, comms)).json()
    assert (await download(svc, fresh["url"])).status_code == 200


async def test_a_tampered_link_is_refused(svc: Documents, org_id: UUID):
    batch_id, comms = await make_batch(svc, org_id)
    token = token_of((await request_letters(svc, org_id, batch_id, comms)).json()["url"])
    for i in range(0, len(token), 7):
        changed = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
        refused = await svc.http.get(f"/documents/{changed}")
        assert refused.status_code == 403, (i, refused.text)
        assert refused.json()["detail"]
    assert (await svc.http.get(f"/documents/{token[:-1]}")).status_code == 403
    assert (await svc.http.get("/documents/not-a-token")).status_code == 403


async def test_after_the_retention_period_the_file_is_purged_and_a_re_request_renders_it_again(
    svc: Documents, org_id: UUID, tmp_path: Path
):
    batch_id, comms = await make_batch(svc, org_id)
    first = (await request_letters(svc, org_id, batch_id, comms)).json()
    first_pages = page_count(_save(tmp_path / "a.pdf", (await download(svc, first["url"])).content))

    svc.clock.advance(days=30)
    link = (await request_letters(svc, org_id, batch_id, comms)).json()  # still stored: reused
    svc.clock.advance(hours=1)
    assert await svc.service.purge_expired() >= 1 + len(comms)
    assert not list(svc.storage_dir.rglob(f"{first['document_id']}.pdf"))
    purged = await download(svc, link["url"])
    assert purged.status_code == 410
    assert "request the letters again" in purged.json()["detail"]

    renders = svc.renders.calls
    again = await request_letters(svc, org_id, batch_id, comms)
    assert again.status_code == 200 and again.json()["ready"] is True
    assert svc.renders.calls == renders + len(comms)
    rebuilt = await download(svc, again.json()["url"])
    assert rebuilt.status_code == 200
    path = _save(tmp_path / "b.pdf", rebuilt.content)
    assert page_count(path) == first_pages
    assert squashed(text(path)).index("Dear Long Holdings LLC,") < squashed(text(path)).index("Dear Amy Adams,")
    # a single letter whose file was purged is rendered again on demand too
    comm_id = comms[0].communication_id
    single = await svc.http.get(f"/internal/communications/{comm_id}/document", headers=svc.headers(org_id))
    assert single.status_code == 200


def _save(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


async def test_only_the_batch_organization_may_ask_and_bad_requests_change_nothing(svc: Documents, org_id: UUID):
    batch_id, comms = await make_batch(svc, org_id)
    other_org = uuid4()
    assert (await request_letters(svc, other_org, batch_id, comms)).status_code == 404
    assert (await request_letters(svc, org_id, batch_id, comms, role="viewer")).status_code == 403
    no_token = await svc.http.post(f"/internal/batches/{batch_id}/combined", json={"communication_ids": []})
    assert no_token.status_code == 401

    empty = await svc.http.post(
        f"/internal/batches/{batch_id}/combined", json={"communication_ids": []}, headers=svc.headers(org_id)
    )
    assert empty.status_code == 422 and "communication_ids" in empty.text
    bad_id = await svc.http.post(
        f"/internal/batches/{batch_id}/combined", json={"communication_ids": ["nope"]}, headers=svc.headers(org_id)
    )
    assert bad_id.status_code == 422 and "communication_ids" in bad_id.text
    bad_batch = await svc.http.post(
        "/internal/batches/not-a-uuid/combined", json={"communication_ids": [str(uuid4())]}, headers=svc.headers(org_id)
    )
    assert bad_batch.status_code == 422 and "batch_id" in bad_batch.text

    # a letter that is not (yet) rendered for this batch: 409 naming it, no document built
    unknown = uuid4()
    not_ready = await request_letters(svc, org_id, batch_id, [*comms, type("C", (), {"communication_id": unknown})])
    assert not_ready.status_code == 409 and str(unknown) in not_ready.json()["detail"]
    assert not [p for p in svc.storage_dir.rglob("*.pdf") if "combined" in p.parts and str(org_id) in p.parts]


async def test_a_build_longer_than_the_request_wait_answers_at_once_and_the_link_waits_for_it(
    svc: Documents, org_id: UUID, tmp_path: Path
):
    batch_id, comms = await make_batch(svc, org_id)
    svc.service.combined_wait_seconds = 0
    try:
        answer = await request_letters(svc, org_id, batch_id, comms)
    finally:
        svc.service.combined_wait_seconds = 20
    assert answer.status_code == 200 and answer.json()["ready"] is False
    pdf = await download(svc, answer.json()["url"])
    assert pdf.status_code == 200
    assert page_count(_save(tmp_path / "c.pdf", pdf.content)) == sum(
        svc.rendered[c.communication_id][0].pages for c in comms
    )


async def test_a_link_to_a_combined_pdf_that_is_still_being_prepared_elsewhere_answers_503(
    svc: Documents, org_id: UUID
):
    batch_id, comms = await make_batch(svc, org_id)
    # a link another copy of the service signed, whose build has not recorded its document yet
    doc_id = combined_document_id(org_id, batch_id, letter_set_key([c.communication_id for c in comms]))
    token = sign_link(doc_id, expiry_of(svc.clock.now(), timedelta(hours=1)), svc.service.keyring)
    pending = await svc.http.get(f"/documents/{token}")
    assert pending.status_code == 503 and pending.headers["retry-after"] == "30"
    assert "still being prepared" in pending.json()["detail"]


async def test_letters_outside_one_batch_combine_too(svc: Documents, org_id: UUID, tmp_path: Path):
    # auto-generated notices from two runs, mailed together from the Unsent Communications queue
    first = factories.communication(name="Run One", postal_code="97020")
    second = factories.communication(name="Run Two", postal_code="97003")
    await svc.generate(org_id, [first])
    await svc.generate(org_id, [second])
    ids = [str(first.communication_id), str(second.communication_id)]
    answer = await svc.http.post(
        "/internal/letters/combined", json={"communication_ids": ids}, headers=svc.headers(org_id)
    )
    assert answer.status_code == 200, answer.text
    pdf = await download(svc, answer.json()["url"])
    assert pdf.status_code == 200 and 'filename="letters-selection-' in pdf.headers["content-disposition"]
    flat = squashed(text(_save(tmp_path / "sel.pdf", pdf.content)))
    assert flat.index("Dear Run Two,") < flat.index("Dear Run One,")
    other = await svc.http.post(
        "/internal/letters/combined", json={"communication_ids": ids}, headers=svc.headers(uuid4())
    )
    assert other.status_code == 404
