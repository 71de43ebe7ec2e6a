"""The admin UI: one HTML shell for every page, and its static ES modules and styles."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

UI_DIR = Path(__file__).resolve().parent.parent / "ui"
STATIC_DIR = UI_DIR / "static"

_templates = Environment(loader=FileSystemLoader(UI_DIR / "templates"), autoescape=select_autoescape(["html"]))

# pages of the single-page UI; the browser-side router draws the right one
PAGES = (
    "/",
    "/login",
    "/assemblies",
    "/assemblies/{assembly_id}",
    "/locations/{location_id}",
    "/batches",
    "/batches/{batch_id}",
    "/communications/unsent",
    "/communications/errors",
    "/communication-types",
    "/templates",
    "/templates/{template_id}",
)


def _asset_version() -> str:
    # the newest static file's time: a changed file gets a new URL, so browsers never run stale code
    return str(int(max((p.stat().st_mtime for p in STATIC_DIR.rglob("*") if p.is_file()), default=0)))


def ui_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    version = _asset_version()
    shell = _templates.get_template("index.html")

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(shell.render(version=version), headers={"Cache-Control": "no-store"})

    for path in PAGES:
        router.add_api_route(path, page, methods=["GET"])
    return router


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)
