"""The help article's workflow in a real browser against the running stack.

Log in, filter the Assemblies list, Add To Batch Communication, generate and watch the
progress reach Generated, send the emails (they arrive at the mail catcher), download the
letters PDF through its link, mark complete (unsent removed), clone. A viewer cannot act;
a user of another organization sees none of the batch.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ADMIN = ("admin@riverbend-water.example", "riverbend-admin")
VIEWER = ("viewer@riverbend-water.example", "riverbend-viewer")
OTHER_ADMIN = ("admin@lakeside-water.example", "lakeside-admin")
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"

# the working list of the walk-through: commercial, high-hazard assemblies
FILTER = {"facility_type": ["commercial"], "hazard": ["high"]}


def choose(page: Page, filter_name: str, option: str) -> None:
    """Tick one option of a multi-choice filter (a disclosure with checkboxes)."""
    box = page.locator(f"details[data-filter='{filter_name}']")
    box.locator("summary").click()
    box.get_by_label(option, exact=True).check()
    box.locator("summary").click()


def batch_state(page: Page):
    return page.locator("#batch-state")


def published_template(admin_api: httpx.Client) -> dict:
    templates = admin_api.get("/api/templates").json()
    published = [t for t in templates if t["published"]]
    named = [t for t in published if t["name"] == "Annual test notice"]
    assert named or published, f"no published template among {[(t['name'], t['published']) for t in templates]}"
    return (named or published)[0]


def test_the_help_article_workflow_from_filter_to_clone(sign_in, admin_api: httpx.Client, mailcatcher_url: str):
    expected_total = admin_api.get("/api/assemblies", params=FILTER).json()["total"]
    assert 0 < expected_total < 120
    template = published_template(admin_api)
    name = f"Spring test notice {uuid.uuid4().hex[:6]}"
    due = (date.today() + timedelta(days=45)).isoformat()

    # log in and filter the Assemblies list
    page = sign_in(ADMIN)
    expect(page.get_by_role("heading", name="Assemblies")).to_be_visible()
    choose(page, "facility_type", "Commercial")
    choose(page, "hazard", "High")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#assemblies-total")).to_contain_text(f"{expected_total} assemblies match")
    assert "facility_type=commercial" in page.url and "hazard=high" in page.url
    rows = page.locator("#assemblies-table tbody tr")
    expect(rows.first).to_contain_text("Commercial")
    assert rows.count() == min(expected_total, 25)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "assemblies.png"))

    # Add To Batch Communication: name, template, due date; it shows how many assemblies
    page.get_by_role("button", name="Add To Batch Communication").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("#batch-member-count")).to_contain_text(f"This batch will hold {expected_total} assemblies")
    dialog.get_by_label("Batch name").fill(name)
    dialog.get_by_label("Template").select_option(template["id"])
    dialog.get_by_label("Due date").fill(due)
    dialog.get_by_role("button", name="Create batch").click()

    # it lands on the new batch, open
    expect(page).to_have_url(re.compile(r"/batches/[0-9a-f-]{36}$"))
    batch_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(batch_state(page)).to_have_text("Open")
    expect(page.locator("#member-count")).to_have_text(str(expected_total))

    # generate and watch the progress reach Generated, without reloading the page
    page.get_by_role("button", name="Generate").click()
    expect(batch_state(page)).to_have_text("Generated", timeout=60_000)
    expect(page.locator("#generation-progress [role=progressbar]")).to_have_attribute("aria-valuenow", "100")
    batch = admin_api.get(f"/api/batches/{batch_id}").json()
    emails = batch["counts"]["by_method"]["email"]
    letters = batch["counts"]["by_method"]["letter"]
    assert emails > 0 and letters > 0
    expect(page.locator("[data-count=email] .n")).to_have_text(str(emails))
    expect(page.locator("[data-count=letter] .n")).to_have_text(str(letters))
    expect(page.locator("#comms-total")).to_have_text(f"{emails + letters} communications")

    # the communications table filters by method
    page.get_by_label("Method").select_option("letter")
    expect(page.locator("#comms-total")).to_have_text(f"{letters} communications")
    page.get_by_label("Method").select_option("")

    # send the emails; the progress bar follows them until all are sent
    page.get_by_role("button", name="Send emails").click()
    page.get_by_role("dialog").get_by_role("button", name="Send emails").click()
    expect(page.locator("#sending-progress")).to_contain_text(f"{emails} emails sent, 0 failed", timeout=90_000)
    expect(batch_state(page)).to_have_text("Partially sent")
    page.screenshot(path=str(SCREENSHOTS / "batch.png"), full_page=True)

    # ... and they arrive at the mail catcher, one per sent email communication
    sent = admin_api.get(f"/api/batches/{batch_id}/communications", params={"method": "email", "page_size": 500}).json()
    assert sent["total"] == emails
    for communication in sent["items"]:
        assert communication["status"] == "sent"
        found = httpx.get(f"{mailcatcher_url}/messages", params={"message_id": communication["message_id"]}).json()
        assert found["total"] == 1, communication
        assert communication["recipient"]["email"] in found["items"][0]["to"][0]

    # download the letters PDF through its expiring link
    page.get_by_role("button", name="Download letters").click()
    link = page.locator("#letters-link")
    expect(link).to_be_visible(timeout=30_000)
    expect(page.locator("#letters-expiry")).to_contain_text("The link expires")
    first_href = link.get_attribute("href")
    assert first_href.startswith("/api/documents/")
    with page.expect_download() as download_info:
        link.click()
    pdf = Path(download_info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    # re-requesting gives a new link at once (its expiry, inside the signature, is later)
    time.sleep(1.1)
    page.get_by_role("button", name="Request a new link").click()
    expect(link).not_to_have_attribute("href", first_href)

    # mark complete: a confirmation says the unsent ones will be removed
    unsent = admin_api.get(f"/api/batches/{batch_id}").json()["counts"]["by_status"]
    unsent_count = unsent["generated"] + unsent["queued"] + unsent["failed"] + unsent["needs_attention"]
    assert unsent_count >= letters
    page.get_by_role("button", name="Mark complete").click()
    confirm = page.get_by_role("dialog")
    expect(confirm).to_contain_text(f"{unsent_count} unsent communications will be removed")
    confirm.get_by_role("button", name=re.compile("Mark complete")).click()
    expect(batch_state(page)).to_have_text("Complete")
    expect(page.locator("[data-count=removed] .n")).to_have_text(str(unsent_count))
    expect(page.locator("[data-count=sent] .n")).to_have_text(str(emails))
    expect(page.locator("#history-list")).to_contain_text("Marked complete")
    expect(page.get_by_role("button", name="Send emails")).to_have_count(0)

    # clone: a new open batch with the same template, due date and filter
    page.get_by_role("button", name="Clone").click()
    expect(page.get_by_role("heading", name=f"Copy of {name}")).to_be_visible()
    expect(batch_state(page)).to_have_text("Open")
    clone_id = page.url.rsplit("/", 1)[1]
    assert clone_id != batch_id
    clone = admin_api.get(f"/api/batches/{clone_id}").json()
    assert clone["cloned_from"] == batch_id
    assert clone["template"]["id"] == template["id"] and clone["due_date"] == due

    # the Batch Communications list, filtered by state
    page.get_by_role("link", name="Batch Communications").click()
    page.get_by_label("State").select_option("complete")
    expect(page.locator("#batches-table")).to_contain_text(name)
    expect(page.locator(f"#batches-table tr[data-batch-id='{clone_id}']")).to_have_count(0)


def make_batch(admin_api: httpx.Client, label: str) -> dict:
    template = published_template(admin_api)
    answer = admin_api.post(
        "/api/batches",
        json={
            "name": f"{label} {uuid.uuid4().hex[:6]}",
            "template_id": template["id"],
            "due_date": (date.today() + timedelta(days=30)).isoformat(),
            "filter": {"facility_type": ["industrial"]},
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_viewer_sees_the_batch_but_no_action_it_may_not_take(
    sign_in, admin_api: httpx.Client, viewer_api: httpx.Client
):
    batch = make_batch(admin_api, "Viewer check")
    page = sign_in(VIEWER)
    expect(page.locator("#assemblies-total")).to_be_visible()
    expect(page.get_by_role("button", name="Add To Batch Communication")).to_have_count(0)

    page.goto(f"/batches/{batch['id']}")
    expect(page.get_by_role("heading", name=batch["name"])).to_be_visible()
    expect(batch_state(page)).to_have_text("Open")
    actions = page.locator(".page-header .actions")
    expect(actions.get_by_role("link", name="Export CSV")).to_be_visible()
    expect(actions.get_by_role("button")).to_have_count(0)

    page.get_by_role("link", name="Templates").click()
    expect(page.get_by_role("button", name="New template")).to_have_count(0)
    page.locator("#templates-table a").first.click()
    expect(page.get_by_label("Email subject")).to_be_disabled()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)

    # and the API refuses what the page does not offer
    refused = viewer_api.post(f"/api/batches/{batch['id']}/generate")
    assert refused.status_code == 403
    assert admin_api.get(f"/api/batches/{batch['id']}").json()["state"] == "open"


def test_a_user_of_another_organization_sees_none_of_the_batch(
    sign_in, admin_api: httpx.Client, other_admin_api: httpx.Client
):
    batch = make_batch(admin_api, "Riverbend only")
    page = sign_in(OTHER_ADMIN, path="/batches")
    expect(page.locator(".nav .brand")).not_to_contain_text("Riverbend")
    expect(page.locator("#batches-table")).to_be_visible()
    expect(page.locator("#batches-table")).not_to_contain_text(batch["name"])

    page.goto(f"/batches/{batch['id']}")
    expect(page.get_by_role("alert")).to_contain_text("not found")
    expect(page.get_by_role("button", name="Generate")).to_have_count(0)
    assert other_admin_api.get(f"/api/batches/{batch['id']}").status_code == 404
    assert other_admin_api.post(f"/api/batches/{batch['id']}/archive").status_code == 404
    assert admin_api.get(f"/api/batches/{batch['id']}").json()["state"] == "open"


def test_errors_from_the_api_read_as_sentences(sign_in):
    page = sign_in(ADMIN, path="/assemblies?due_from=2026-02-30")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Due from")
    expect(alert).not_to_contain_text("Traceback")
    expect(alert).not_to_contain_text("{")


def test_keyboard_only_sign_in_and_batch_form(browser, gateway_url: str):
    context = browser.new_context(base_url=gateway_url, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto("/assemblies")
        expect(page.get_by_label("Email")).to_be_focused()
        page.keyboard.type(ADMIN[0])
        page.keyboard.press("Tab")
        page.keyboard.type(ADMIN[1])
        page.keyboard.press("Enter")
        add = page.get_by_role("button", name="Add To Batch Communication")
        expect(add).to_be_enabled()
        add.focus()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_label("Batch name")).to_be_focused()
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 800])
def test_pages_fit_laptop_and_tablet_widths(sign_in, width: int):
    page = sign_in(ADMIN, width=width)
    expect(page.locator("#assemblies-total")).to_be_visible()
    for path in (
        "/assemblies",
        "/batches",
        "/templates",
        "/communication-types",
        "/communications/unsent",
        "/communications/errors",
    ):
        page.goto(path)
        expect(page.locator("#page-title")).to_be_visible()
        time.sleep(0.3)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (path, width, overflow)
    nav = page.get_by_role("navigation", name="Main")
    for link in (
        "Assemblies",
        "Batch Communications",
        "Unsent Communications",
        "Communications with Errors",
        "Communication Types",
        "Templates",
    ):
        expect(nav.get_by_role("link", name=link, exact=True)).to_be_visible()
    # a record's page, reached from the list, fits too
    page.goto("/assemblies")
    page.locator("#assemblies-table tbody tr a").first.click()
    expect(page.locator("#history-table")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, ("assembly page", width, overflow)
