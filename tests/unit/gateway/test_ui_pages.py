"""Every page the browser-side router draws can also be loaded directly (a bookmark, a reload)."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.entrypoints.ui import STATIC_DIR, ui_router

MAIN_JS = (STATIC_DIR / "js" / "main.js").read_text()


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(ui_router())
    return TestClient(app)


def browser_routes() -> list[str]:
    """The path patterns of main.js's ROUTES table, e.g. ``^\\/assemblies\\/([^/]+)$``."""
    table = MAIN_JS[MAIN_JS.index("const ROUTES") : MAIN_JS.index("];", MAIN_JS.index("const ROUTES"))]
    return re.findall(r"\[/(\^.*?\$)/,", table)


def example_path(pattern: str) -> str:
    return pattern.strip("^$").replace("\\/", "/").replace("([^/]+)", "0b6f4c1e-2d1a-4a51-9a51-1f2e3d4c5b6a")


def test_the_router_table_is_read():
    assert "^\\/assemblies$" in browser_routes()
    assert len(browser_routes()) >= 10


@pytest.mark.parametrize("pattern", browser_routes())
def test_each_page_of_the_ui_answers_the_shell_on_a_direct_load(client: TestClient, pattern: str):
    path = example_path(pattern)
    answer = client.get(path)
    assert answer.status_code == 200, path
    assert '<script type="module" src="/static/js/main.js' in answer.text
    assert answer.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "path", ["/assemblies/1/extra", "/communications", "/locations", "/nowhere", "/api-like/communications/unsent"]
)
def test_paths_that_are_no_page_answer_404(client: TestClient, path: str):
    assert client.get(path).status_code == 404
