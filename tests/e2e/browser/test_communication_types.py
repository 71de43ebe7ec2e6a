"""The Communication Types page in a real browser: list, create an auto type, edit it."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.browser.conftest import ADMIN, SCREENSHOTS, VIEWER

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def types_named(api: httpx.Client, name: str) -> list[dict]:
    return [t for t in api.get("/api/communication-types").json() if t["name"] == name]


def test_an_admin_creates_an_auto_first_notice_type_and_edits_its_offset(sign_in, admin_api: httpx.Client):
    name = f"Second reminder {uuid.uuid4().hex[:6]}"
    page = sign_in(ADMIN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Communication Types").click()
    expect(page.get_by_role("heading", name="Communication Types")).to_be_visible()
    expect(page.locator("#types-table")).to_contain_text("Annual test notice")

    page.get_by_role("button", name="New communication type").click()
    dialog = page.get_by_role("dialog")
    # the auto fields only show for an auto type
    expect(dialog.get_by_label("Offset from the due date (days)")).to_be_hidden()
    dialog.get_by_label("Name", exact=True).fill(name)
    dialog.get_by_label("Source").select_option("assembly")
    dialog.get_by_label("Auto (generated every day)").check()
    offset = dialog.get_by_label("Offset from the due date (days)")
    expect(offset).to_be_visible()

    # an auto type without its offset is refused, naming the field; nothing is created
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Offset from the due date (days)")
    assert types_named(admin_api, name) == []

    offset.fill("-14")
    expect(dialog).to_contain_text("Generated 14 days before the next test due date.")
    dialog.get_by_label("Suppression window (days)").fill("20")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_have_count(0)
    row = page.locator("#types-table tbody tr", has_text=name)
    expect(row).to_contain_text("Auto")
    expect(row).to_contain_text("14 days before the next test due date")
    expect(row).to_contain_text("20 days")
    expect(page.locator("#types-message")).to_contain_text(f"Created “{name}”")
    [created] = types_named(admin_api, name)
    assert (created["trigger"], created["source"], created["offset_days"], created["suppression_days"]) == (
        "auto",
        "assembly",
        -14,
        20,
    )
    page.screenshot(path=str(SCREENSHOTS / "communication-types.png"), full_page=True)

    # edit: the overdue side of the due date
    row.get_by_role("button", name=f"Edit {name}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Offset from the due date (days)")).to_have_value("-14")
    dialog.get_by_label("Offset from the due date (days)").fill("3")
    dialog.get_by_role("button", name="Save").click()
    expect(row).to_contain_text("3 days after the next test due date")
    assert types_named(admin_api, name)[0]["offset_days"] == 3

    # a name that is taken is refused with the field named, and the type keeps its name
    row.get_by_role("button", name=f"Edit {name}").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name", exact=True).fill("Annual test notice")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Name")
    dialog.get_by_role("button", name="Cancel").click()
    assert types_named(admin_api, name)[0]["id"] == created["id"]


def test_a_viewer_reads_the_communication_types_but_cannot_change_them(sign_in):
    page = sign_in(VIEWER, path="/communication-types")
    expect(page.locator("#types-table")).to_contain_text("Annual test notice")
    expect(page.get_by_role("button", name="New communication type")).to_have_count(0)
    expect(page.locator("#types-table").get_by_role("button")).to_have_count(0)
