"""The assembly and location pages in a real browser: facts, contacts, and every
communication sent about the record, with a link back to its batch.
"""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.browser.conftest import ADMIN, SCREENSHOTS, VIEWER
from tests.e2e.browser.flows import assembly_with_email, published_template, sent_batch_about

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_the_assembly_page_shows_the_batch_communications_sent_to_it(sign_in, admin_api: httpx.Client):
    assembly = assembly_with_email(admin_api, facility_type="residential")
    serial = assembly["serial_number"]
    template = published_template(admin_api)
    name = f"History check {uuid.uuid4().hex[:6]}"
    batch = sent_batch_about(admin_api, serial, template["id"], name)
    sent = batch["counts"]["by_status"]["sent"]

    # click the assembly's row in the working list
    page = sign_in(ADMIN, path=f"/assemblies?q={serial}")
    row = page.locator(f"#assemblies-table tr[data-assembly-id='{assembly['id']}']")
    row.locator("td").nth(6).click()
    expect(page).to_have_url(re.compile(f"/assemblies/{assembly['id']}$"))
    expect(page.get_by_role("heading", name=f"Assembly {serial}")).to_be_visible()
    expect(page.locator("#location-account")).to_have_text(assembly["location"]["account_number"])

    # its contacts, with type, primary and email
    contacts = page.locator("#contacts-table tbody tr")
    expect(contacts).to_have_count(len(assembly["contacts"]))
    some_email = next(c for c in assembly["contacts"] if c["email"])
    expect(page.locator(f"#contacts-table tr[data-contact-id='{some_email['id']}']")).to_contain_text(
        some_email["email"]
    )

    # the history lists the batch's emails as sent, with a link to the batch
    history = page.locator("#history-table")
    ours = history.locator("tbody tr", has=page.get_by_role("link", name=name))
    expect(ours).to_have_count(sent)
    expect(ours.first).to_contain_text("Sent")
    expect(ours.first).to_contain_text("Email")
    expect(ours.first).to_contain_text(f"Notice {template['tag']}: {serial}")
    page.screenshot(path=str(SCREENSHOTS / "assembly.png"), full_page=True)

    # the location page has the same communications, and links back to the assembly
    page.get_by_role("link", name="Location page", exact=True).click()
    expect(page.get_by_role("heading", name=f"Location {assembly['location']['account_number']}")).to_be_visible()
    expect(page.locator("#history-table tbody tr", has=page.get_by_role("link", name=name))).to_have_count(sent)
    expect(page.locator("#history-table")).to_contain_text(serial)
    page.locator("#location-history").get_by_role("link", name=name).first.click()
    expect(page).to_have_url(re.compile(f"/batches/{batch['id']}$"))
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def test_a_viewer_reads_an_assembly_but_cannot_create_a_log(sign_in, admin_api: httpx.Client):
    assembly = assembly_with_email(admin_api)
    page = sign_in(VIEWER, path=f"/assemblies/{assembly['id']}")
    expect(page.get_by_role("heading", name=f"Assembly {assembly['serial_number']}")).to_be_visible()
    expect(page.locator("#history-table")).to_be_visible()
    expect(page.get_by_role("button", name="Create Log")).to_have_count(0)
    page.get_by_role("link", name="Location page", exact=True).click()
    expect(page.locator("#location-history #history-table")).to_be_visible()
    expect(page.get_by_role("button", name="Create Log")).to_have_count(0)


def test_another_organizations_assembly_is_not_found(sign_in, admin_api: httpx.Client):
    assembly = assembly_with_email(admin_api)
    page = sign_in(("admin@lakeside-water.example", "lakeside-admin"), path=f"/assemblies/{assembly['id']}")
    expect(page.get_by_role("alert")).to_contain_text("not found")
    expect(page.get_by_text(assembly["serial_number"])).to_have_count(0)
