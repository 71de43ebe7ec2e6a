"""Communication types and templates over HTTP, on the real database: CRUD, versions, publish, errors."""

from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

import httpx
import pytest

from tests.integration.generator.conftest import token

pytestmark = pytest.mark.integration

LETTER = (
    "Dear {{ contact.name }},\n\nYour backflow assembly test is due by {{ batch.due_date }}.\n\n[[assemblies_table]]"
)


async def a_type(api: httpx.AsyncClient, org: UUID, name: str = "Annual test notice", **kw) -> dict:  # type: ignore[no-untyped-def]
    r = await api.post("/communication-types", json={"name": name, **kw}, headers=token(org))
    assert r.status_code == 201, r.text
    return r.json()


async def a_template(api: httpx.AsyncClient, org: UUID, type_id: str, name: str = "Spring letter", **kw) -> dict:  # type: ignore[no-untyped-def]
    body = {
        "communication_type_id": type_id,
        "name": name,
        "settings": {"contact_types": ["owner"], "methods": ["letter"]},
        "letter_body": LETTER,
        **kw,
    }
    r = await api.post("/templates", json=body, headers=token(org))
    assert r.status_code == 201, r.text
    return r.json()


async def test_an_admin_creates_lists_and_changes_communication_types(api: httpx.AsyncClient) -> None:
    org = uuid4()
    batch_type = await a_type(api, org)
    auto = await a_type(api, org, "First notice", trigger="auto", offset_days=-30)
    assert batch_type["suppression_days"] == 65 and auto["offset_days"] == -30
    listed = (await api.get("/communication-types", headers=token(org, "viewer"))).json()
    assert [t["name"] for t in listed] == ["Annual test notice", "First notice"]
    r = await api.put(f"/communication-types/{auto['id']}", json={"offset_days": -45}, headers=token(org))
    assert r.status_code == 200 and r.json()["offset_days"] == -45
    assert (await api.get(f"/communication-types/{auto['id']}", headers=token(org))).json()["offset_days"] == -45


async def test_bad_communication_types_are_refused_naming_the_field_and_change_nothing(api: httpx.AsyncClient) -> None:
    org = uuid4()
    await a_type(api, org)
    r = await api.post("/communication-types", json={"name": "Annual test notice"}, headers=token(org))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "name"]
    r = await api.post("/communication-types", json={"name": "Overdue", "trigger": "auto"}, headers=token(org))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "offset_days"]
    r = await api.post("/communication-types", json={"name": "X", "source": "planet"}, headers=token(org))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "source"]
    assert len((await api.get("/communication-types", headers=token(org))).json()) == 1


async def test_viewers_read_but_cannot_change_and_other_organizations_see_nothing(api: httpx.AsyncClient) -> None:
    org, other = uuid4(), uuid4()
    ct = await a_type(api, org)
    t = await a_template(api, org, ct["id"])
    assert (await api.post("/communication-types", json={"name": "N"}, headers=token(org, "viewer"))).status_code == 403
    assert (await api.post(f"/templates/{t['id']}/publish", headers=token(org, "viewer"))).status_code == 403
    assert (await api.get(f"/templates/{t['id']}", headers=token(org, "viewer"))).status_code == 200
    assert (await api.get(f"/templates/{t['id']}", headers=token(other))).status_code == 404
    assert (await api.put(f"/templates/{t['id']}", json={"name": "Mine"}, headers=token(other))).status_code == 404
    assert (await api.get(f"/internal/templates/{t['id']}", headers=token(other, "service"))).status_code == 404
    assert (await api.get(f"/communication-types/{ct['id']}", headers=token(other))).status_code == 404
    r = await api.post(
        "/templates", json={"communication_type_id": ct["id"], "name": "x", "letter_body": "x"}, headers=token(other)
    )
    assert r.status_code == 404
    assert (await api.get("/templates", headers={})).status_code == 401


async def test_saving_a_template_with_an_unknown_field_or_a_syntax_error_is_a_422_naming_it(
    api: httpx.AsyncClient,
) -> None:
    org = uuid4()
    ct = await a_type(api, org)
    body = {"communication_type_id": ct["id"], "name": "Bad", "settings": {"methods": ["letter"]}}
    r = await api.post(
        "/templates",
        json={**body, "letter_body": "Dear {{ contact.name }},\n{{ assembly.colour }}"},
        headers=token(org),
    )
    assert r.status_code == 422
    [err] = r.json()["detail"]
    assert err["loc"] == ["body", "letter_body"] and err["merge_field"] == "assembly.colour" and err["line"] == 2

    r = await api.post("/templates", json={**body, "letter_body": "Hi\n\n{% if contact.name %}x"}, headers=token(org))
    assert r.status_code == 422
    [err] = r.json()["detail"]
    assert err["loc"] == ["body", "letter_body"] and err["line"] == 3

    r = await api.post(
        "/templates", json={**body, "letter_body": "x", "settings": {"cc": ["nobody"]}}, headers=token(org)
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "settings", "cc"]
    assert (await api.get("/templates", headers=token(org))).json() == []


async def test_each_save_of_texts_or_settings_makes_a_new_version_and_keeps_the_old_one(
    api: httpx.AsyncClient,
) -> None:
    org = uuid4()
    ct = await a_type(api, org)
    t = await a_template(api, org, ct["id"])
    assert t["version"] == 1 and t["published"] is False
    r = await api.put(f"/templates/{t['id']}", json={"name": "Spring letter 2026"}, headers=token(org))
    assert r.json()["version"] == 1  # a new name is not a new version
    r = await api.put(f"/templates/{t['id']}", json={"letter_body": LETTER + "\n\nThank you."}, headers=token(org))
    assert r.json()["version"] == 2
    r = await api.put(f"/templates/{t['id']}", json={"settings": {"group_by_location": True}}, headers=token(org))
    assert r.json()["version"] == 3
    assert r.json()["settings"]["group_by_location"] is True and r.json()["settings"]["methods"] == ["letter"]
    # a refused edit changes nothing
    r = await api.put(f"/templates/{t['id']}", json={"letter_body": "{{ assembly.serial_number }}"}, headers=token(org))
    assert r.status_code == 422 and r.json()["detail"][0]["merge_field"] == "assembly"
    versions = (await api.get(f"/templates/{t['id']}/versions", headers=token(org, "viewer"))).json()
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[0]["letter_body"] == LETTER and versions[1]["letter_body"] == LETTER + "\n\nThank you."
    assert versions[1]["settings"]["group_by_location"] is False and versions[2]["settings"]["group_by_location"]
    first = (await api.get(f"/templates/{t['id']}/versions/1", headers=token(org))).json()
    assert first["letter_body"] == LETTER and first["name"] == "Spring letter"
    assert (await api.get(f"/templates/{t['id']}/versions/4", headers=token(org))).status_code == 404
    assert (await api.get(f"/templates/{t['id']}/versions", headers=token(uuid4()))).status_code == 404
    check = (await api.get(f"/internal/templates/{t['id']}", headers=token(org, "service"))).json()
    assert check["version"] == 3 and check["name"] == "Spring letter 2026" and check["published"] is False
    assert check["settings"]["group_by_location"] is True
    assert 1 <= check["members_per_chunk"] < 10_000  # what batches cuts its chunks to (test_chunk_budget)


async def test_publishing_a_template_unpublishes_the_one_published_before_for_that_type(
    api: httpx.AsyncClient,
) -> None:
    org = uuid4()
    annual, program = await a_type(api, org), await a_type(api, org, "Program notice")
    a = await a_template(api, org, annual["id"], "A")
    b = await a_template(api, org, annual["id"], "B")
    p = await a_template(api, org, program["id"], "P")
    for t in (a, p):
        assert (await api.post(f"/templates/{t['id']}/publish", headers=token(org))).json()["published"] is True
    assert (await api.post(f"/templates/{b['id']}/publish", headers=token(org))).status_code == 200
    listed = {t["name"]: t["published"] for t in (await api.get("/templates", headers=token(org))).json()}
    assert listed == {"A": False, "B": True, "P": True}
    of_type = (await api.get("/templates", params={"communication_type_id": annual["id"]}, headers=token(org))).json()
    assert {t["name"] for t in of_type} == {"A", "B"}


async def test_two_admins_publishing_two_templates_of_one_type_at_once_leave_exactly_one_published(
    api: httpx.AsyncClient,
) -> None:
    org = uuid4()
    ct = await a_type(api, org)
    a, b = await a_template(api, org, ct["id"], "A"), await a_template(api, org, ct["id"], "B")
    answers = await asyncio.gather(
        api.post(f"/templates/{a['id']}/publish", headers=token(org)),
        api.post(f"/templates/{b['id']}/publish", headers=token(org)),
    )
    assert sorted(r.status_code for r in answers) in ([200, 200], [200, 409])
    listed = (await api.get("/templates", headers=token(org))).json()
    assert sum(t["published"] for t in listed) == 1
