"""Issue 8 screens in a real browser: Create Log, the Unsent queue after "Run now", and
Communications with Errors. Each test imports a location of its own (account ``UI-<tag>``).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import ADMIN, SCREENSHOTS, VIEWER
from tests.e2e.browser.flows import eventually, import_location, mail_to, one_time_job, published_template

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def new_tag() -> str:
    return uuid.uuid4().hex[:8]


def message_text(mailcatcher_url: str, summary: dict) -> str:
    return httpx.get(f"{mailcatcher_url}/messages/{summary['id']}").json()["text"]


def test_create_log_sends_an_email_at_once_and_it_appears_in_the_assembly_history(
    sign_in, admin_api: httpx.Client, mailcatcher_url: str
):
    tag = new_tag()
    email = f"dana.{tag}@mail.example"
    assembly = import_location(admin_api, tag, "Dana Reyes", email, date.today() + timedelta(days=200))
    template = published_template(admin_api, methods=("email", "letter"), with_note=True)
    note = f"Please call the office about your meter ({tag})."

    page = sign_in(ADMIN, path=f"/assemblies/{assembly['id']}")
    expect(page.get_by_role("heading", name=f"Assembly {assembly['serial_number']}")).to_be_visible()
    page.get_by_role("button", name="Create Log").click()
    dialog = page.get_by_role("dialog", name="Create Log")
    dialog.get_by_label("Contact").select_option(assembly["contacts"][0]["id"])
    dialog.get_by_label("Template").select_option(template["id"])
    dialog.get_by_label("Email (sent at once)").check()
    dialog.get_by_label("Additional text").fill(note)
    dialog.get_by_role("button", name="Send").click()
    expect(dialog).to_have_count(0)
    expect(page.locator("#page-message")).to_contain_text(f"Email sent to Dana Reyes <{email}>", timeout=60_000)

    # it arrives at the mail catcher, with the template's subject and the additional text
    [received] = eventually(lambda: mail_to(mailcatcher_url, email))
    assert received["subject"] == f"Notice {template['tag']}: {assembly['serial_number']}"
    assert note in message_text(mailcatcher_url, received)

    # and the assembly's history has it: one-time, email, sent
    row = page.locator("#history-table tbody tr", has_text=email)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("One-time")
    expect(row).to_contain_text("Sent")
    expect(row.locator("[data-source]")).to_have_attribute("data-source", "one_time")

    # a letter by Create Log is produced and downloadable through its expiring link
    page.get_by_role("button", name="Create Log").click()
    dialog = page.get_by_role("dialog", name="Create Log")
    dialog.get_by_label("Contact").select_option(assembly["contacts"][0]["id"])
    dialog.get_by_label("Template").select_option(template["id"])
    dialog.get_by_label("Letter (PDF to download)").check()
    dialog.get_by_label("Additional text").fill(note)
    dialog.get_by_role("button", name="Send").click()
    link = page.locator("#one-time-letter-link")
    expect(link).to_be_visible(timeout=60_000)
    expect(page.locator("#one-time-letter-expiry")).to_contain_text("The link expires")
    with page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    expect(page.locator("#history-table tbody tr[data-method='letter']", has_text="One-time")).to_have_count(1)

    # the letter waits in the Unsent queue until it is marked mailed there
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Unsent Communications").click()
    page.get_by_label("Method").select_option("letter")
    letter_row = page.locator("#unsent-table tbody tr", has_text=f"UI-{tag}")
    expect(letter_row).to_have_count(1)
    expect(letter_row).to_contain_text("One-time")
    letter_row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Download letters").click()
    expect(page.locator("#unsent-letters #one-time-letter-expiry")).to_contain_text("The link expires", timeout=30_000)
    page.get_by_role("button", name="Mark mailed").click()
    mailed = page.get_by_role("dialog", name="Mark letters mailed")
    expect(mailed).to_contain_text("the 1 selected letter")
    mailed.get_by_role("button", name="Mark mailed").click()
    expect(page.locator("#unsent-message")).to_contain_text("1 letter recorded as mailed")
    expect(page.locator("#unsent-table tbody tr", has_text=f"UI-{tag}")).to_have_count(0)
    page.goto(f"/assemblies/{assembly['id']}")
    expect(page.locator("#history-table tbody tr[data-method='letter']")).to_contain_text("Mailed")


def test_create_log_by_keyboard_alone(sign_in, admin_api: httpx.Client):
    tag = new_tag()
    assembly = import_location(admin_api, tag, "Kim Lee", "", date.today() + timedelta(days=200))
    page = sign_in(ADMIN, path=f"/locations/{assembly['location']['id']}")
    opener = page.get_by_role("button", name="Create Log")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Create Log")
    expect(dialog.get_by_label("Contact")).to_be_focused()
    # a contact without email can only get a letter: the email choice is turned off and says why
    dialog.get_by_label("Contact").select_option(assembly["contacts"][0]["id"])
    expect(dialog.get_by_label("Email (sent at once)")).to_be_disabled()
    expect(dialog.get_by_label("Letter (PDF to download)")).to_be_checked()
    expect(dialog).to_contain_text("Kim Lee has no email address")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()


def run_now(page: Page, on: date, type_name: str) -> None:
    page.get_by_role("button", name="Run auto-generation now").click()
    dialog = page.get_by_role("dialog", name="Run auto-generation now")
    dialog.get_by_label("Run as of").fill(on.isoformat())
    dialog.get_by_label("Communication type").select_option(label=type_name)
    dialog.get_by_role("button", name="Run now").click()
    expect(dialog).to_have_count(0)


def test_run_now_lists_the_auto_notices_in_the_unsent_queue_and_sending_one_delivers_it(
    sign_in, admin_api: httpx.Client, mailcatcher_url: str
):
    tag = new_tag()
    email = f"sam.{tag}@mail.example"
    due = date.today() + timedelta(days=300 + int(tag[:2], 16))
    assembly = import_location(admin_api, tag, "Sam Ortiz", email, due)
    rule = published_template(admin_api, trigger="auto", offset_days=-30)
    type_name = rule["type"]["name"]

    page = sign_in(ADMIN, path="/communications/unsent")
    expect(page.get_by_role("heading", name="Unsent Communications")).to_be_visible()
    run_now(page, due - timedelta(days=30), type_name)
    results = page.locator("#auto-run-results")
    expect(results).to_contain_text(f"{type_name}:")
    expect(page.locator("#auto-run-status")).to_contain_text("Done", timeout=90_000)

    # the queue, filtered to this type and to emails, lists this location's first notice
    page.get_by_label("Type").select_option(rule["type"]["id"])
    page.get_by_label("Method").select_option("email")
    expect(page).to_have_url(re.compile(r"type=.*method=email"))
    row = page.locator("#unsent-table tbody tr", has_text=f"UI-{tag}")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(type_name)
    expect(row).to_contain_text("Sam Ortiz")
    expect(row).to_contain_text(email)
    expect(row).to_contain_text("Generated")
    queued = admin_api.get("/api/communications/unsent", params={"type": rule["type"]["id"], "method": "email"}).json()
    assert queued["by_method"] == {"email": queued["total"], "letter": 0}
    expect(page.locator("#unsent-total")).to_contain_text(f"{queued['total']} unsent")
    expect(page.locator("#unsent-table tbody tr", has_text=type_name)).to_have_count(min(queued["total"], 50))
    page.screenshot(path=str(SCREENSHOTS / "unsent.png"), full_page=True)

    # a second run of the same day makes nothing new
    run_now(page, due - timedelta(days=30), type_name)
    expect(page.locator("#auto-run-results")).to_contain_text("already run")
    expect(page.locator("#unsent-table tbody tr", has_text=f"UI-{tag}")).to_have_count(1)

    # select it and send: it leaves the queue and arrives at the mail catcher
    row.get_by_role("checkbox").check()
    expect(page.locator("#unsent-selection")).to_contain_text("1 selected (1 email, 0 letters)")
    page.get_by_role("button", name="Send emails").click()
    expect(page.locator("#unsent-message")).to_contain_text("1 email queued for sending")
    expect(page.locator("#unsent-table tbody tr", has_text=f"UI-{tag}")).to_have_count(0)
    [received] = eventually(lambda: mail_to(mailcatcher_url, email))
    assert assembly["serial_number"] in received["subject"]

    # the assembly's history shows the auto notice, sent
    page.goto(f"/assemblies/{assembly['id']}")
    auto_row = page.locator("#history-table tbody tr", has=page.locator("[data-source='auto']"))
    expect(auto_row).to_contain_text(type_name)
    expect(auto_row).to_contain_text("Sent", timeout=30_000)


def test_a_failed_email_is_listed_with_its_reason_and_retried_once_the_contact_is_fixed(
    sign_in, admin_api: httpx.Client, mailcatcher_url: str
):
    tag = new_tag()
    bad = f"pat.bounce.{tag}@mail.example"
    good = f"pat.{tag}@mail.example"
    due = date.today() + timedelta(days=200)
    assembly = import_location(admin_api, tag, "Pat Kim", bad, due)
    template = published_template(admin_api)
    created = admin_api.post(
        "/api/communications/one-time",
        json={"contact_id": assembly["contacts"][0]["id"], "template_id": template["id"], "method": "email"},
    )
    assert created.status_code == 202, created.text
    one_time_job(
        admin_api,
        created.json()["id"],
        lambda j: j["state"] == "generated" and j["communications"] and j["communications"][0]["status"] == "failed",
    )

    page = sign_in(ADMIN, path="/assemblies")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Communications with Errors").click()
    row = page.locator("#errors-table tbody tr", has_text=bad)
    expect(row).to_have_count(1)
    expect(row.locator("td.reason")).to_contain_text("550")
    expect(row).to_contain_text("One-time")
    expect(row).to_contain_text(f"UI-{tag}")
    page.screenshot(path=str(SCREENSHOTS / "errors.png"), full_page=True)

    # after the fix (a new email imported), Retry sends it to the current address
    import_location(admin_api, tag, "Pat Kim", good, due)
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Retry").click()
    expect(page.locator("#retry-result")).to_contain_text("1 email queued again")
    expect(page.locator("#errors-table tbody tr", has_text=bad)).to_have_count(0)
    [received] = eventually(lambda: mail_to(mailcatcher_url, good))
    assert received["to"] and good in received["to"][0]
    assert mail_to(mailcatcher_url, bad) == []


def test_a_viewer_sees_the_queues_but_none_of_their_actions(sign_in):
    page = sign_in(VIEWER, path="/communications/unsent")
    expect(page.locator("#unsent-table")).to_be_visible()
    expect(page.get_by_role("button", name="Run auto-generation now")).to_have_count(0)
    expect(page.get_by_role("button", name="Send emails")).to_have_count(0)
    expect(page.get_by_role("button", name="Download letters")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark mailed")).to_have_count(0)
    expect(page.locator("#unsent-table").get_by_role("checkbox")).to_have_count(0)

    page.get_by_role("link", name="Communications with Errors").click()
    expect(page.locator("#errors-table")).to_be_visible()
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    expect(page.locator("#errors-table").get_by_role("checkbox")).to_have_count(0)
