"""Preview over HTTP: the generator asks the assemblies service (a tiny stub here) for one real record."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Request

from contracts.snapshots import MemberSnapshot, OrganizationSnapshot
from generator.adapters.assemblies_client import AssembliesClient
from generator.bootstrap import create_app
from generator.config import Settings
from servicekit.clock import FixedClock
from servicekit.identity import HEADER, issue_identity_token, verify_identity_token
from tests.unit.generator.builders import a_contact, a_location, an_org, members_at

SECRET = "unit-test-identity-secret-0123456789"


class AssembliesStub:
    """Answers member snapshots for the records it holds, for the organization in the forwarded token."""

    def __init__(self) -> None:
        self.orgs: dict[UUID, OrganizationSnapshot] = {}
        self.members: dict[UUID, MemberSnapshot] = {}
        self.tokens_seen: list[str] = []
        self._org_of: dict[UUID, UUID] = {}
        self.app = FastAPI()

        @self.app.post("/internal/members/snapshots")
        async def snapshots(request: Request) -> dict:
            token = request.headers.get(HEADER, "")
            self.tokens_seen.append(token)
            if not token:
                raise HTTPException(401)
            org_id = verify_identity_token(token, SECRET).org_id
            ids = [UUID(i) for i in (await request.json())["assembly_ids"]]
            found = [
                self.members[i]
                for i in ids
                if i in self.members and self.members[i].location.id in self.org_locations(org_id)
            ]
            return {
                "organization": self.orgs[org_id].model_dump(mode="json"),
                "members": [m.model_dump(mode="json") for m in found],
            }

    def org_locations(self, org_id: UUID) -> set[UUID]:
        return {m.location.id for m in self.members.values() if self._org_of.get(m.assembly.id) == org_id}

    def add(self, org: OrganizationSnapshot, members: list[MemberSnapshot]) -> None:
        self.orgs[org.id] = org
        for m in members:
            self.members[m.assembly.id] = m
            self._org_of[m.assembly.id] = org.id


@pytest.fixture
async def preview_api(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, AssembliesStub]]:
    stub = AssembliesStub()
    stub_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=stub.app), base_url="http://assemblies")
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/g.db", identity_secret=SECRET)
    app = create_app(
        settings,
        members=AssembliesClient(stub_client),
        uses_kafka=False,
        clock=FixedClock(datetime(2026, 3, 3, 5, 0, tzinfo=UTC)),
    )
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://generator") as client:
            yield client, stub
    await stub_client.aclose()


def auth(org_id: UUID, role: str = "org_admin") -> dict[str, str]:
    return {HEADER: issue_identity_token(SECRET, org_id=org_id, role=role)}


async def make_template(client: httpx.AsyncClient, org_id: UUID, **settings) -> str:  # type: ignore[no-untyped-def]
    ct = (await client.post("/communication-types", json={"name": "Annual"}, headers=auth(org_id))).json()
    body = {
        "communication_type_id": ct["id"],
        "name": "Annual",
        "settings": {"contact_types": ["owner", "property_manager"], "methods": ["email", "letter"], **settings},
        "email_subject": "Test due {{ batch.due_date }}",
        "email_body_text": "Dear {{ contact.first_name }}, {{ assembly.serial_number }} today {{ today }}",
        "email_body_html": "<p>Dear {{ contact.first_name }}</p>",
        "letter_body": "Dear {{ contact.name }},\n\n[[assemblies_table]]",
    }
    r = await client.post("/templates", json=body, headers=auth(org_id))
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_preview_renders_the_email_and_letter_for_one_real_assembly(preview_api) -> None:  # type: ignore[no-untyped-def]
    client, stub = preview_api
    org = an_org(timezone="America/Los_Angeles")
    loc = a_location()
    owner = a_contact(loc, "owner", first_name="Dana")
    no_email = a_contact(loc, "property_manager", email="", first_name="")
    [member] = members_at(loc, [owner, no_email])
    stub.add(org, [member])
    template_id = await make_template(client, org.id, first_available_method_only=True)

    viewer = auth(org.id, "viewer")
    r = await client.post(
        f"/templates/{template_id}/preview", json={"assembly_id": str(member.assembly.id)}, headers=viewer
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert stub.tokens_seen[-1] == viewer[HEADER]  # the caller's token is forwarded
    by_contact = {c["contact_id"]: c for c in body["communications"]}
    email, letter = by_contact[str(owner.id)], by_contact[str(no_email.id)]
    assert email["method"] == "email" and email["status"] == "generated"
    assert email["subject"] == "Test due April 1, 2026"  # 30 days after today by default
    assert email["body_text"] == f"Dear Dana, {member.assembly.serial_number} today March 2, 2026"  # org's timezone
    assert email["body_html"] == "<p>Dear Dana</p>"
    assert letter["method"] == "letter" and letter["letter_body"].startswith(f"Dear {no_email.name},")
    assert body["skipped"] == [] and body["version"] == 1


async def test_preview_shows_why_an_assembly_would_be_skipped(preview_api) -> None:  # type: ignore[no-untyped-def]
    client, stub = preview_api
    org = an_org()
    loc = a_location()
    [member] = members_at(loc, [a_contact(loc, "tenant")])
    stub.add(org, [member])
    template_id = await make_template(client, org.id)
    r = await client.post(
        f"/templates/{template_id}/preview", json={"assembly_id": str(member.assembly.id)}, headers=auth(org.id)
    )
    assert r.json()["communications"] == []
    assert r.json()["skipped"][0]["reason"] == "no contact of the allowed types (owner, property_manager)"


async def test_preview_of_another_organizations_assembly_is_404(preview_api) -> None:  # type: ignore[no-untyped-def]
    client, stub = preview_api
    mine, theirs = an_org(), an_org()
    loc = a_location()
    members = members_at(loc, [a_contact(loc, "owner")])
    stub.add(theirs, members)
    stub.add(mine, [])
    template_id = await make_template(client, mine.id)
    r = await client.post(
        f"/templates/{template_id}/preview", json={"assembly_id": str(members[0].assembly.id)}, headers=auth(mine.id)
    )
    assert r.status_code == 404
    r = await client.post(f"/templates/{template_id}/preview", json={"assembly_id": "nope"}, headers=auth(mine.id))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "assembly_id"]
    r = await client.post(f"/templates/{uuid4()}/preview", json={"assembly_id": str(uuid4())}, headers=auth(mine.id))
    assert r.status_code == 404
