"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright against the running stack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"

ADMIN = ("admin@riverbend-water.example", "riverbend-admin")
VIEWER = ("viewer@riverbend-water.example", "riverbend-viewer")
OTHER_ADMIN = ("admin@lakeside-water.example", "lakeside-admin")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    # package scope: Playwright's sync API keeps an event loop running in this thread,
    # which must be gone before any asyncio test of the session runs
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class SignedIn:
    """One browser context (its own cookies) signed in through the login page."""

    def __init__(self, browser: Browser, base_url: str, width: int = 1280) -> None:
        self.context = browser.new_context(
            base_url=base_url, viewport={"width": width, "height": 900}, accept_downloads=True
        )
        self.context.set_default_timeout(20_000)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def login(self, email: str, password: str, path: str = "/assemblies") -> Page:
        page = self.page
        page.goto(path)
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        return page

    def close(self) -> None:
        assert self.errors == [], f"script errors in the page: {self.errors}"
        self.context.close()


@pytest.fixture
def sign_in(browser: Browser, gateway_url: str) -> Iterator:
    opened: list[SignedIn] = []

    def open_as(user: tuple[str, str], path: str = "/assemblies", width: int = 1280) -> Page:
        session = SignedIn(browser, gateway_url, width)
        opened.append(session)
        return session.login(*user, path=path)

    yield open_as
    for session in opened:
        session.close()


def _api_client(gateway_url: str, user: tuple[str, str]) -> httpx.Client:
    """A script's client: logged in with the bearer token the login answers."""
    client = httpx.Client(base_url=gateway_url, timeout=30)
    answer = client.post("/api/auth/login", json={"email": user[0], "password": user[1]})
    answer.raise_for_status()
    client.headers["Authorization"] = f"Bearer {answer.json()['token']}"
    return client


@pytest.fixture(scope="session")
def admin_api(gateway_url: str) -> Iterator[httpx.Client]:
    client = _api_client(gateway_url, ADMIN)
    yield client
    client.close()


@pytest.fixture(scope="session")
def viewer_api(gateway_url: str) -> Iterator[httpx.Client]:
    client = _api_client(gateway_url, VIEWER)
    yield client
    client.close()


@pytest.fixture(scope="session")
def other_admin_api(gateway_url: str) -> Iterator[httpx.Client]:
    client = _api_client(gateway_url, OTHER_ADMIN)
    yield client
    client.close()
