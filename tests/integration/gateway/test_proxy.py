"""Routing /api/... to the services: identity token, unchanged answers, streaming, roles."""

from __future__ import annotations

import hashlib
import time
import uuid

import httpx
import pytest

from tests.integration.gateway.conftest import Stack

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("api_path", "service", "service_path"),
    [
        ("/api/assemblies", "assemblies", "/assemblies"),
        ("/api/assemblies/a1", "assemblies", "/assemblies/a1"),
        ("/api/service-areas", "assemblies", "/service-areas"),
        ("/api/locations/l1", "assemblies", "/locations/l1"),
        ("/api/organization", "assemblies", "/organization"),
        ("/api/batches/b1/communications", "batches", "/batches/b1/communications"),
        ("/api/auto-runs", "batches", "/auto-runs"),
        ("/api/communications/unsent", "batches", "/communications/unsent"),
        ("/api/communication-types", "generator", "/communication-types"),
        ("/api/templates/t1", "generator", "/templates/t1"),
    ],
)
async def test_each_api_path_reaches_its_service_with_api_stripped(stack: Stack, api_path, service, service_path):
    browser, _ = await stack.signed_in()
    answer = await browser.get(api_path)
    assert answer.status_code == 200, answer.text
    assert answer.json()["service"] == service
    assert answer.json()["path"] == service_path


async def test_filters_with_repeated_keys_arrive_exactly_as_sent(stack: Stack):
    browser, _ = await stack.signed_in()
    query = "assembly_type=RP&assembly_type=DC&q=Main%20St&due_from=2026-01-01&page=2"
    answer = await browser.get(f"/api/assemblies?{query}")
    assert answer.json()["query"] == query


async def test_the_service_receives_a_short_lived_identity_token_and_nothing_the_browser_made_up(stack: Stack):
    org = uuid.uuid4()
    browser, login = await stack.signed_in("org_admin", org)
    answer = await browser.get(
        "/api/batches",
        headers={"X-Identity-Token": "forged", "X-Correlation-ID": "corr-123", "Authorization": "Basic eDp5"},
    )
    seen = answer.json()
    assert seen["identity"] == {"org_id": str(org), "user_id": login["user"]["id"], "role": "org_admin", "ttl": 60}
    assert "cookie" not in seen["headers"]
    assert "authorization" not in seen["headers"]
    assert "x-csrf-token" not in seen["headers"]
    assert seen["headers"]["x-correlation-id"] == "corr-123"
    assert answer.headers["x-correlation-id"] == "corr-123"


async def test_status_codes_and_json_errors_pass_through_unchanged(stack: Stack):
    browser, login = await stack.signed_in()
    csrf = {"X-CSRF-Token": login["csrf_token"]}
    conflict = await browser.post("/api/batches/b1/conflict", headers=csrf)
    assert conflict.status_code == 409
    assert conflict.json() == {"detail": "cannot generate a batch in state complete"}
    invalid = await browser.get("/api/assemblies/invalid")
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["query", "due_from"]
    missing = await browser.get("/api/batches/missing")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "batch not found"}
    created = await browser.post("/api/batches/created", headers=csrf, json={})
    assert created.status_code == 201
    assert created.headers["location"] == "/batches/new"


async def test_a_large_upload_streams_through_intact(stack: Stack):
    browser, login = await stack.signed_in()
    body = (b"account_number,serial_number\n" + b"ACC-0001,SN-0001\n" * 400_000)[: 6 * 1024 * 1024]
    answer = await browser.post(
        "/api/assemblies/import",
        content=body,
        headers={"X-CSRF-Token": login["csrf_token"], "Content-Type": "text/csv"},
    )
    assert answer.status_code == 200
    assert answer.json()["body_size"] == len(body)
    assert answer.json()["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert answer.json()["headers"]["content-type"] == "text/csv"


async def test_a_large_letters_pdf_downloads_intact_without_login(stack: Stack):
    async with httpx.AsyncClient(base_url=stack.url) as anyone:
        answer = await anyone.get("/api/documents/big-24.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == 'attachment; filename="letters.pdf"'
    expected = hashlib.sha256(bytes(range(256)) * 4096 * 24).hexdigest()
    assert hashlib.sha256(answer.content).hexdigest() == expected


async def test_a_slow_export_reaches_the_browser_row_by_row_not_at_the_end(stack: Stack):
    browser, _ = await stack.signed_in()
    started = time.perf_counter()
    async with browser.stream("GET", "/api/batches/slow-export.csv") as answer:
        chunks = answer.aiter_raw()
        first = await chunks.__anext__()
        first_at = time.perf_counter() - started
        rest = b"".join([chunk async for chunk in chunks])
    total = time.perf_counter() - started
    assert first.startswith(b"id,status")
    assert first_at < 0.5 < 1.2 < total
    assert (first + rest).count(b"\n") == 6


async def test_a_service_that_is_down_answers_502_naming_it(stack: Stack):
    browser, _ = await stack.signed_in()
    upstreams = stack.gateway.app.state.gateway.upstreams
    saved = upstreams.base_urls["generator"]
    upstreams.base_urls["generator"] = f"http://127.0.0.1:{stack.down_port}"
    try:
        answer = await browser.get("/api/templates")
    finally:
        upstreams.base_urls["generator"] = saved
    assert answer.status_code == 502
    assert answer.json() == {"detail": "the generator service is not reachable"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/internal/batches",
        "/api/batches/../internal/members",
        "/api/batches/%2e%2e/internal/members",
        "/api/batches/b1%2F..%2F..%2Finternal",
        "/api/unknown",
    ],
)
async def test_internal_and_unknown_paths_are_never_routed(stack: Stack, path: str):
    browser, _ = await stack.signed_in()
    before = {name: len(stack.calls(name)) for name in stack.stubs}
    answer = await browser.send(httpx.Request("GET", stack.url + path))
    assert answer.status_code == 404
    assert {name: len(stack.calls(name)) for name in stack.stubs} == before


async def test_without_login_the_api_answers_401_and_calls_no_service(stack: Stack):
    before = len(stack.calls("batches"))
    async with httpx.AsyncClient(base_url=stack.url) as anonymous:
        answer = await anonymous.get("/api/batches")
    assert answer.status_code == 401
    assert answer.json() == {"detail": "not signed in"}
    assert len(stack.calls("batches")) == before


async def test_a_document_link_is_forwarded_without_an_identity(stack: Stack):
    async with httpx.AsyncClient(base_url=stack.url) as anyone:
        answer = await anyone.get("/api/documents/signed-token-abc")
    assert answer.status_code == 200
    assert answer.json()["service"] == "documents"
    assert answer.json()["identity"] is None
    async with httpx.AsyncClient(base_url=stack.url) as anyone:
        assert (await anyone.post("/api/documents/signed-token-abc")).status_code == 401


async def test_a_viewer_reads_but_cannot_act(stack: Stack):
    browser, login = await stack.signed_in("viewer")
    csrf = {"X-CSRF-Token": login["csrf_token"]}
    read = await browser.get("/api/batches/b1")
    assert read.status_code == 200
    assert read.json()["identity"]["role"] == "viewer"
    before = len(stack.calls("batches"))
    for method, path in [
        ("POST", "/api/batches"),
        ("POST", "/api/batches/b1/generate"),
        ("POST", "/api/batches/b1/send"),
        ("PATCH", "/api/batches/b1"),
        ("POST", "/api/batches/b1/complete"),
    ]:
        refused = await browser.request(method, path, headers=csrf, json={})
        assert refused.status_code == 403, path
        assert refused.json() == {"detail": "this action needs the org_admin role"}
    assert len(stack.calls("batches")) == before
    # previewing a template on a real assembly is reading
    preview = await browser.post("/api/templates/t1/preview", headers=csrf, json={"assembly_id": "a1"})
    assert preview.status_code == 200
    # a viewer's bearer token is held to the same rule
    async with httpx.AsyncClient(base_url=stack.url) as script:
        answer = await script.post("/api/batches", headers={"Authorization": f"Bearer {login['token']}"}, json={})
        assert answer.status_code == 403
