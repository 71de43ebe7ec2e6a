"""One assembly or location, the organization, and what batches asks for: members and snapshots.

Another organization's records never show: their ids answer 404.
"""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi import FastAPI

from assemblies.entrypoints.http import MemberSnapshots
from assemblies.service_layer import queries
from assemblies.service_layer.errors import NotFound
from contracts.snapshots import (
    MEMBER_LINES,
    AssemblySnapshot,
    ContactSnapshot,
    LocationSnapshot,
    MemberSnapshot,
    OrganizationSnapshot,
    PostalAddress,
    read_member_lines,
)
from tests.conftest import TEST_DB
from tests.integration.assemblies.conftest import TODAY, Utility, token_headers
from tests.integration.assemblies.expectations import rows_of, status_on

pytestmark = pytest.mark.integration

today = TODAY.date()


async def test_one_assembly_comes_with_its_location_and_every_contact(utility: Utility) -> None:
    row = next(r for r in rows_of(utility.data) if len(r.contacts) >= 2)
    response = await utility.get(f"/assemblies/{row.assembly.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["serial_number"] == row.assembly.serial_number
    assert body["compliance_status"] == status_on(row.assembly, today)
    assert body["location"]["id"] == str(row.location.id)
    assert body["location"]["service_area_name"] == row.zone_name
    assert {c["id"] for c in body["contacts"]} == {str(c.id) for c in row.contacts}
    assert body["communications"] == []


async def test_one_location_comes_with_its_contacts_and_assemblies(utility: Utility) -> None:
    location = next(
        loc for loc in utility.data.locations if sum(a.location_id == loc.id for a in utility.data.assemblies) >= 2
    )
    response = await utility.get(f"/locations/{location.id}")
    assert response.status_code == 200
    body = response.json()
    assert {a["id"] for a in body["assemblies"]} == {
        str(a.id) for a in utility.data.assemblies if a.location_id == location.id
    }
    assert {c["id"] for c in body["contacts"]} == {
        str(c.id) for c in utility.data.contacts if c.location_id == location.id
    }


async def test_service_areas_and_organization(utility: Utility) -> None:
    zones = (await utility.get("/service-areas")).json()
    assert sorted(z["name"] for z in zones) == sorted(z.name for z in utility.data.service_areas)
    org = (await utility.get("/organization")).json()
    assert org["name"] == utility.data.organization.name
    assert org["from_email"].endswith(".example")


async def test_another_organizations_records_are_not_found(utility: Utility, other_utility: Utility) -> None:
    theirs_assembly = other_utility.data.assemblies[0]
    theirs_location = other_utility.data.locations[0]
    theirs_contact = other_utility.data.contacts[0]
    assert (await utility.get(f"/assemblies/{theirs_assembly.id}")).status_code == 404
    assert (await utility.get(f"/locations/{theirs_location.id}")).status_code == 404
    assert (await utility.get(f"/internal/contacts/{theirs_contact.id}")).status_code == 404
    mine = utility.data.assemblies[0]
    response = await utility.post(
        "/internal/members/snapshots", json={"assembly_ids": [str(mine.id), str(theirs_assembly.id)]}
    )
    assert response.status_code == 404
    # the list, its free text and the zones never show theirs
    ids, _ = await _ids(utility, {"q": theirs_location.account_number})
    assert str(theirs_assembly.id) not in ids
    zones = (await utility.get("/service-areas")).json()
    assert {z["id"] for z in zones}.isdisjoint({str(z.id) for z in other_utility.data.service_areas})
    response = await utility.get("/assemblies", params={"service_area_id": str(other_utility.data.service_areas[0].id)})
    assert response.json()["total"] == 0
    listed = (await utility.get("/assemblies", params={"page_size": 500})).json()
    assert listed["total"] == len(utility.data.assemblies)


async def _ids(utility: Utility, params: dict[str, str]) -> tuple[set[str], int]:
    body = (await utility.get("/assemblies", params={**params, "page_size": 500})).json()
    return {i["id"] for i in body["items"]}, body["total"]


async def test_resolving_a_filter_freezes_every_match_not_only_a_page(utility: Utility) -> None:
    rows = [
        r for r in rows_of(utility.data) if status_on(r.assembly, today) in ("overdue", "due") and r.location.active
    ]
    response = await utility.post(
        "/internal/members/resolve",
        json={"filter": {"compliance_status": ["overdue", "due", "overdue"], "location_active": True}},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(rows) == len(body["assembly_ids"])
    assert set(body["assembly_ids"]) == {str(r.assembly.id) for r in rows}
    assert body["filter"] == {"compliance_status": ["overdue", "due"], "location_active": True}
    # one location's members are next to each other, so a chunk can group them
    location_of = {str(r.assembly.id): r.location.id for r in rows}
    sequence = [location_of[i] for i in body["assembly_ids"]]
    runs = [loc for i, loc in enumerate(sequence) if i == 0 or sequence[i - 1] != loc]
    assert len(runs) == len(set(sequence))


async def test_resolving_a_bad_filter_names_the_field(utility: Utility) -> None:
    response = await utility.post("/internal/members/resolve", json={"filter": {"hazard": ["extreme"]}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "filter.hazard"


async def test_member_snapshots_have_the_contract_shape_in_the_order_asked(utility: Utility) -> None:
    rows = rows_of(utility.data)
    wanted = [r for r in rows if r.contacts][:40][::-1]
    response = await utility.post(
        "/internal/members/snapshots", json={"assembly_ids": [str(r.assembly.id) for r in wanted]}
    )
    assert response.status_code == 200
    body = response.json()
    organization = OrganizationSnapshot.model_validate(body["organization"])
    assert organization.id == utility.org_id
    members = [MemberSnapshot.model_validate(m) for m in body["members"]]
    assert [m.assembly.id for m in members] == [r.assembly.id for r in wanted]
    # exactly the contract's keys: the snapshots are built as dicts, not as the models
    assert set(body["organization"]) == set(OrganizationSnapshot.model_fields)
    for m in body["members"]:
        assert set(m) == set(MemberSnapshot.model_fields)
        assert set(m["assembly"]) == set(AssemblySnapshot.model_fields)
        assert set(m["location"]) == set(LocationSnapshot.model_fields)
        assert set(m["location"]["address"]) == set(PostalAddress.model_fields)
        assert all(set(c) == set(ContactSnapshot.model_fields) for c in m["contacts"])
    assert MemberSnapshots(**body).model_dump(mode="json") == body  # nothing the models would write otherwise
    # the same page as lines, for batches to splice without parsing the members
    as_lines = await utility.client.post(
        "/internal/members/snapshots",
        json={"assembly_ids": [str(r.assembly.id) for r in wanted]},
        headers={**utility.headers, "Accept": MEMBER_LINES},
    )
    assert as_lines.status_code == 200 and as_lines.headers["content-type"].startswith(MEMBER_LINES)
    organization_line, lines = read_member_lines(as_lines.content)
    assert json.loads(organization_line) == body["organization"]
    assert [json.loads(m) for _, _, m in lines] == body["members"]
    assert [a for a, _, _ in lines] == [str(r.assembly.id) for r in wanted]
    for member, row in zip(members, wanted, strict=True):
        assert member.assembly.compliance_status == status_on(row.assembly, today)
        assert member.location.service_area_name == row.zone_name
        assert {c.id for c in member.contacts} == {c.id for c in row.contacts}
        assert all(not c.email_bounced for c in member.contacts)


@pytest.mark.skipif(TEST_DB == "sqlite", reason="PostgreSQL writes the snapshots' JSON itself; SQLite has one path")
async def test_snapshots_written_by_postgresql_equal_the_ones_built_in_python(utility: Utility, app: FastAPI) -> None:
    ids = [a.id for a in utility.data.assemblies]
    today = TODAY.date()
    async with app.state.assemblies.sessions() as session:
        for start in range(0, len(ids), 1000):
            part = ids[start : start + 1000]
            body = json.loads(await queries.member_snapshots_body(session, utility.org_id, part, today, 1000))
            assert body == await queries.member_snapshots(session, utility.org_id, part, today, 1000)
            lines = await queries.member_snapshots_body(session, utility.org_id, part, today, 1000, lines=True)
            organization, members = read_member_lines(lines)
            assert json.loads(organization) == body["organization"]
            assert [json.loads(m) for _, _, m in members] == body["members"]
            assert [(a, loc) for a, loc, _ in members] == [
                (m["assembly"]["id"], m["location"]["id"]) for m in body["members"]
            ]
            statuses = {m["assembly"]["compliance_status"] for m in body["members"]}
            assert {"overdue", "due", "compliant", "non_compliant"} <= statuses
            assert any(c["mailing_address"] for m in body["members"] for c in m["contacts"])
            assert any(len(m["contacts"]) > 1 for m in body["members"])
        for lines_wanted in (False, True):  # an unknown id is named, whatever the format
            with pytest.raises(NotFound):
                await queries.member_snapshots_body(
                    session, utility.org_id, [ids[0], uuid.uuid4()], today, 1000, lines=lines_wanted
                )
        assert read_member_lines(
            await queries.member_snapshots_body(session, utility.org_id, [], today, 1000, lines=True)
        ) == (json.dumps(body["organization"], separators=(",", ":")).encode(), [])


async def test_member_snapshots_are_paged_by_the_caller(utility: Utility) -> None:
    ids = [str(a.id) for a in utility.data.assemblies]
    too_many = ids + [str(uuid.uuid4()) for _ in range(1001 - len(ids))]
    response = await utility.post("/internal/members/snapshots", json={"assembly_ids": too_many})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "assembly_ids"
    members = []
    for start in range(0, len(ids), 500):
        page = await utility.post("/internal/members/snapshots", json={"assembly_ids": ids[start : start + 500]})
        members.extend(page.json()["members"])
    assert [m["assembly"]["id"] for m in members] == ids


async def test_one_contact_for_a_one_time_communication(utility: Utility) -> None:
    contact = utility.data.contacts[3]
    response = await utility.get(f"/internal/contacts/{contact.id}")
    assert response.status_code == 200
    body = response.json()
    assert ContactSnapshot.model_validate(body["contact"]).id == contact.id
    assert LocationSnapshot.model_validate(body["location"]).id == contact.location_id
    assert {AssemblySnapshot.model_validate(a).id for a in body["assemblies"]} == {
        a.id for a in utility.data.assemblies if a.location_id == contact.location_id
    }


async def test_a_viewer_may_read_but_not_import(utility: Utility) -> None:
    viewer = token_headers(utility.org_id, role="viewer")
    assert (await utility.client.get("/assemblies", headers=viewer)).status_code == 200
    response = await utility.client.post(
        "/assemblies/import", headers=viewer, files={"file": ("a.csv", b"account_number\n", "text/csv")}
    )
    assert response.status_code == 403
