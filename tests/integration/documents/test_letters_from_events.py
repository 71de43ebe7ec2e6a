"""Letters are rendered as the generator publishes them, once per communication."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from tests.integration.documents.conftest import Documents, generated
from tests.unit.documents import factories
from tests.unit.documents.pdftools import page_count, squashed, text

pytestmark = pytest.mark.integration


def letter_url(communication_id: UUID) -> str:
    return f"/internal/communications/{communication_id}/document"


async def test_each_generated_letter_gets_its_pdf_and_one_letter_rendered_event(
    svc: Documents, org_id: UUID, tmp_path: Path
):
    letter = factories.communication(name="Pat Lee", street="7 Oak Lane", postal_code="97005")
    long_letter = factories.communication(name="Long Holdings LLC", assemblies=70, postal_code="97002")
    email_with_pdf = factories.communication(name="Em Ail", method="email", include_pdf_in_email=True)
    plain_email = factories.communication(name="No Pdf", method="email")
    incomplete = factories.communication(name="Missing Data", status="needs_attention")
    event = generated(org_id, [letter, long_letter, email_with_pdf, plain_email, incomplete])
    await svc.publish(event)
    rendered = await svc.wait_rendered(
        [letter.communication_id, long_letter.communication_id, email_with_pdf.communication_id]
    )

    # the letter, fetched alone as batches/delivery do, says what the template said to whom
    response = await svc.http.get(
        f"/internal/communications/{letter.communication_id}/document", headers=svc.headers(org_id)
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    path = tmp_path / "letter.pdf"
    path.write_bytes(response.content)
    flat = squashed(text(path))
    lines = [line.strip() for line in text(path).splitlines()]
    address = ["Pat Lee", "7 Oak Lane", "Suite 4", "Riverbend, OR 97005"]
    start = lines.index("Pat Lee")
    assert [lines[start + i][: len(a)] for i, a in enumerate(address)] == address
    assert "Dear Pat Lee," in flat and "at 7 Oak Lane must be tested by March 1, 2026." in flat
    assert page_count(path) == rendered[letter.communication_id].pages == 1

    long_path = tmp_path / "long.pdf"
    doc_id = rendered[long_letter.communication_id].document_id
    response = await svc.http.get(f"/internal/documents/{doc_id}", headers=svc.headers(org_id, "service"))
    assert response.status_code == 200
    long_path.write_bytes(response.content)
    assert page_count(long_path) == rendered[long_letter.communication_id].pages > 1
    assert all(e.batch_id == event.batch_id and e.org_id == org_id for e in rendered.values())

    # the email that carries its letter has a PDF; the plain email and the incomplete one have none
    for comm in (plain_email, incomplete):
        missing = await svc.http.get(
            f"/internal/communications/{comm.communication_id}/document", headers=svc.headers(org_id)
        )
        assert missing.status_code == 404
        assert comm.communication_id not in svc.rendered


async def test_a_redelivered_or_republished_chunk_renders_nothing_twice(svc: Documents, org_id: UUID):
    comms = [factories.communication(name=f"Person {i}") for i in range(3)]
    event = await svc.generate(org_id, comms)
    renders_before = svc.renders.calls
    # the very same event again (a redelivery), and the same communications in a new event
    await svc.publish(event)
    await svc.publish(generated(org_id, comms, event.batch_id))
    # a later chunk on the same partition: once it is rendered, the two before it were handled
    sentinel = factories.communication(name="Sentinel")
    await svc.publish(generated(org_id, [sentinel], event.batch_id))
    await svc.wait_rendered([sentinel.communication_id])
    await asyncio.sleep(0.5)
    assert svc.renders.calls == renders_before + 1
    for comm in comms:
        assert len(svc.rendered[comm.communication_id]) == 1


async def test_another_organization_cannot_fetch_a_letter(svc: Documents, org_id: UUID):
    comm = factories.communication()
    await svc.generate(org_id, [comm])
    doc_id = svc.rendered[comm.communication_id][0].document_id
    intruder = svc.headers(uuid4())
    assert (
        await svc.http.get(f"/internal/communications/{comm.communication_id}/document", headers=intruder)
    ).status_code == 404
    assert (await svc.http.get(f"/internal/documents/{doc_id}", headers=intruder)).status_code == 404
    assert (await svc.http.get(f"/internal/documents/{doc_id}")).status_code == 401


async def test_a_letter_that_cannot_be_laid_out_does_not_hold_back_its_chunk(svc: Documents, org_id: UUID):
    broken, fine = factories.communication(name="Broken"), factories.communication(name="Fine")
    real = svc.service.render

    def failing_for_one(letter):
        if letter.communication_id == broken.communication_id:
            raise RuntimeError("layout failed")
        return real(letter)

    svc.service.render = failing_for_one
    try:
        await svc.publish(generated(org_id, [broken, fine]))
        await svc.wait_rendered([fine.communication_id])
    finally:
        svc.service.render = real
    assert broken.communication_id not in svc.rendered
    assert svc.app.state.runtime.dead_letters.dead_lettered == 0
