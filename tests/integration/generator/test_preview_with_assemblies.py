"""Preview against the real assemblies service: the demo utility's records, the demo templates."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
import uvicorn

from assemblies.bootstrap import create_app as create_assemblies_app
from assemblies.config import Settings as AssembliesSettings
from generator.bootstrap import create_app
from generator.config import Settings
from generator.demo import demo_id, seed
from servicekit.demo import DEMO_ORG_ID
from tests.conftest import KAFKA_BOOTSTRAP
from tests.integration.generator.conftest import ROOT, SECRET, free_port, token

pytestmark = pytest.mark.integration


@pytest.fixture
async def assemblies_url(tmp_path: Path, namespace: str) -> AsyncIterator[str]:
    """The assemblies service on 127.0.0.1 with its demo utility loaded (SQLite file of this test)."""
    url = f"sqlite+aiosqlite:///{tmp_path}/assemblies.db"
    await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "assemblies.demo", "--org", "demo", "--assemblies", "30", "--database-url", url],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    app = create_assemblies_app(
        AssembliesSettings(database_url=url, kafka_bootstrap_servers=KAFKA_BOOTSTRAP, identity_secret=SECRET)
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    for _ in range(600):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def test_previewing_the_annual_notice_for_a_demo_assembly_renders_its_real_data(
    assemblies_url: str, generator_database_url: str
) -> None:
    await seed(Settings(database_url=generator_database_url), (DEMO_ORG_ID,))
    settings = Settings(
        database_url=generator_database_url,
        kafka_bootstrap_servers=KAFKA_BOOTSTRAP,
        identity_secret=SECRET,
        assemblies_url=assemblies_url,
        run_migrations=False,
    )
    app = create_app(settings)
    headers = token(DEMO_ORG_ID, "viewer")
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://generator.test") as client,
        httpx.AsyncClient(base_url=assemblies_url) as assemblies,
    ):
        page = (await assemblies.get("/assemblies", params={"page_size": 30}, headers=headers)).json()
        template_id = demo_id(DEMO_ORG_ID, "template", "Annual test notice (email, letter when no email)")
        reached = 0
        for item in page["items"][:10]:
            detail = (await assemblies.get(f"/assemblies/{item['id']}", headers=headers)).json()
            r = await client.post(
                f"/templates/{template_id}/preview", json={"assembly_id": item["id"]}, headers=headers
            )
            assert r.status_code == 200, r.text
            body = r.json()
            assert len(body["communications"]) + len(body["skipped"]) >= 1
            for c in body["communications"]:
                reached += 1
                assert c["assembly_ids"] == [item["id"]]
                assert c["assemblies"][0]["serial_number"] == item["serial_number"]
                text = c["body_text"] if c["method"] == "email" else c["letter_body"]
                assert item["serial_number"] in text or "[[assemblies_table]]" in text
                assert detail["location"]["address_line1"] in (c["subject"] + text)
                assert "{{" not in text and "{%" not in text
                if c["status"] == "needs_attention":
                    assert all(f"[missing: {f}]" in text + c["subject"] for f in c["missing_fields"])
        assert reached, "the demo utility's first assemblies reach at least one contact"
        other = await client.post(
            f"/templates/{template_id}/preview",
            json={"assembly_id": page["items"][0]["id"]},
            headers=token(uuid4()),
        )
        assert other.status_code == 404
