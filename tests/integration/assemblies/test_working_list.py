"""The Assemblies list: every filter alone and combined, counts, sorting, paging, bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from tests.integration.assemblies.conftest import TODAY, Utility
from tests.integration.assemblies.expectations import (
    Row,
    has_email,
    ordered,
    rows_of,
    status_on,
    text_matches,
)

pytestmark = pytest.mark.integration

today = TODAY.date()


async def all_ids(utility: Utility, params: dict[str, Any], page_size: int = 500) -> tuple[list[str], int]:
    ids: list[str] = []
    page = 1
    while True:
        response = await utility.get("/assemblies", params={**params, "page": page, "page_size": page_size})
        assert response.status_code == 200, response.text
        body = response.json()
        ids.extend(item["id"] for item in body["items"])
        if len(body["items"]) < page_size:
            return ids, body["total"]
        page += 1


def zone_id(utility: Utility, name: str) -> str:
    return str(next(z.id for z in utility.data.service_areas if z.name == name))


# (name, query parameters, who should match); parameters may depend on the data
Case = tuple[str, Callable[[Utility], dict[str, Any]], Callable[[Row, Utility], bool]]

SINGLE_FILTERS: list[Case] = [
    ("type RP", lambda u: {"assembly_type": "RP"}, lambda r, u: r.assembly.assembly_type == "RP"),
    (
        "types of vacuum breakers",
        lambda u: {"assembly_type": ["PVB", "AVB", "SVB"]},
        lambda r, u: r.assembly.assembly_type in ("PVB", "AVB", "SVB"),
    ),
    ("size 3/4 inch", lambda u: {"size": '3/4"'}, lambda r, u: r.assembly.size == '3/4"'),
    ("high hazard", lambda u: {"hazard": "high"}, lambda r, u: r.assembly.hazard == "high"),
    ("fire service", lambda u: {"service_type": "fire"}, lambda r, u: r.assembly.service_type == "fire"),
    (
        "commercial or industrial",
        lambda u: {"facility_type": ["commercial", "industrial"]},
        lambda r, u: r.location.facility_type in ("commercial", "industrial"),
    ),
    ("zone B", lambda u: {"service_area_id": zone_id(u, "Zone B")}, lambda r, u: r.zone_name == "Zone B"),
    *[
        (
            f"status {status}",
            lambda u, s=status: {"compliance_status": s},
            lambda r, u, s=status: status_on(r.assembly, today) == s,
        )
        for status in ("non_compliant", "overdue", "due", "compliant", "unknown")
    ],
    (
        "overdue or failed",
        lambda u: {"compliance_status": ["overdue", "non_compliant"]},
        lambda r, u: status_on(r.assembly, today) in ("overdue", "non_compliant"),
    ),
    (
        "due in the next quarter",
        lambda u: {"due_from": today.isoformat(), "due_to": (today + timedelta(days=90)).isoformat()},
        lambda r, u: (
            r.assembly.next_test_due is not None and today <= r.assembly.next_test_due <= today + timedelta(90)
        ),
    ),
    (
        "due before a day",
        lambda u: {"due_to": "2025-12-31"},
        lambda r, u: r.assembly.next_test_due is not None and r.assembly.next_test_due <= date(2025, 12, 31),
    ),
    ("inactive assemblies", lambda u: {"assembly_active": "false"}, lambda r, u: not r.assembly.active),
    ("inactive locations", lambda u: {"location_active": "false"}, lambda r, u: not r.location.active),
    (
        "postal prefix 1000",
        lambda u: {"postal_code_prefix": "1000"},
        lambda r, u: r.location.postal_code.startswith("1000"),
    ),
    ("postal code 10010", lambda u: {"postal_code_prefix": "10010"}, lambda r, u: r.location.postal_code == "10010"),
    ("has email", lambda u: {"has_email": "true"}, lambda r, u: has_email(r)),
    ("no usable email", lambda u: {"has_email": "false"}, lambda r, u: not has_email(r)),
    ("street name", lambda u: {"q": "Maple"}, lambda r, u: text_matches(r, "maple")),
    ("contact surname", lambda u: {"q": "garcia"}, lambda r, u: text_matches(r, "garcia")),
    ("contact first name in capitals", lambda u: {"q": "MARIA"}, lambda r, u: text_matches(r, "maria")),
    (
        "one serial number",
        lambda u: {"q": u.data.assemblies[17].serial_number},
        lambda r, u: text_matches(r, u.data.assemblies[17].serial_number),
    ),
    (
        "one account number",
        lambda u: {"q": u.data.locations[40].account_number},
        lambda r, u: text_matches(r, u.data.locations[40].account_number),
    ),
    ("a wildcard character is literal", lambda u: {"q": "%"}, lambda r, u: text_matches(r, "%")),
]

COMBINED_FILTERS: list[Case] = [
    ("nothing: the whole organization", lambda u: {}, lambda r, u: True),
    (
        "overdue RP with an email",
        lambda u: {"assembly_type": "RP", "compliance_status": "overdue", "has_email": "true"},
        lambda r, u: r.assembly.assembly_type == "RP" and status_on(r.assembly, today) == "overdue" and has_email(r),
    ),
    (
        "active residential in zone A, postal 10002",
        lambda u: {
            "facility_type": "residential",
            "service_area_id": zone_id(u, "Zone A"),
            "postal_code_prefix": "10002",
            "assembly_active": "true",
        },
        lambda r, u: (
            r.location.facility_type == "residential"
            and r.zone_name == "Zone A"
            and r.location.postal_code.startswith("10002")
            and r.assembly.active
        ),
    ),
    (
        "high hazard due this year at active locations, text 'st'",
        lambda u: {
            "hazard": "high",
            "due_from": "2026-01-01",
            "due_to": "2026-12-31",
            "location_active": "true",
            "q": "st",
        },
        lambda r, u: (
            r.assembly.hazard == "high"
            and r.assembly.next_test_due is not None
            and date(2026, 1, 1) <= r.assembly.next_test_due <= date(2026, 12, 31)
            and r.location.active
            and text_matches(r, "st")
        ),
    ),
    (
        "fire or irrigation service, due or overdue, sizes 1 to 2 inch, zones A and B",
        lambda u: {
            "service_type": ["fire", "irrigation"],
            "compliance_status": ["due", "overdue"],
            "size": ['1"', '1 1/2"', '2"'],
            "service_area_id": [zone_id(u, "Zone A"), zone_id(u, "Zone B")],
        },
        lambda r, u: (
            r.assembly.service_type in ("fire", "irrigation")
            and status_on(r.assembly, today) in ("due", "overdue")
            and r.assembly.size in ('1"', '1 1/2"', '2"')
        ),
    ),
    (
        "without email and not compliant",
        lambda u: {"has_email": "false", "compliance_status": ["non_compliant", "overdue", "unknown", "due"]},
        lambda r, u: not has_email(r) and status_on(r.assembly, today) != "compliant",
    ),
]


@pytest.mark.parametrize("case", SINGLE_FILTERS + COMBINED_FILTERS, ids=lambda c: c[0])
async def test_filter_matches_exactly_the_assemblies_it_describes(utility: Utility, case: Case) -> None:
    name, params, matches = case
    expected = {str(r.assembly.id) for r in rows_of(utility.data) if matches(r, utility)}
    if "wildcard" not in name:  # an empty expectation would prove nothing
        assert 0 < len(expected) < len(utility.data.assemblies) or name.startswith("nothing")
    ids, total = await all_ids(utility, params(utility))
    assert total == len(expected)
    assert len(ids) == len(set(ids))
    assert set(ids) == expected


async def test_every_filter_value_occurs_in_the_generated_utility(utility: Utility) -> None:
    """The filter tests mean something only when each kind of row is there."""
    rows = rows_of(utility.data)
    assert {status_on(r.assembly, today) for r in rows} == {"non_compliant", "overdue", "due", "compliant", "unknown"}
    assert {r.assembly.assembly_type for r in rows} == {"RP", "DC", "PVB", "SVB", "AVB", "RPDA", "DCDA", "AG"}
    assert {has_email(r) for r in rows} == {True, False}
    assert any(not r.location.active for r in rows) and any(not r.assembly.active for r in rows)
    assert any(not any(c.is_primary for c in r.contacts) for r in rows if r.contacts)
    assert any(c.do_not_contact for r in rows for c in r.contacts)


@pytest.mark.parametrize("sort", ["next_test_due", "last_tested_on", "serial_number", "account_number", "postal_code"])
@pytest.mark.parametrize("descending", [False, True])
async def test_first_page_is_sorted_with_ties_broken_by_id(utility: Utility, sort: str, descending: bool) -> None:
    rows = [r for r in rows_of(utility.data) if r.assembly.hazard == "low"]
    expected = [str(r.assembly.id) for r in ordered(rows, sort, descending)[:60]]
    response = await utility.get(
        "/assemblies", params={"hazard": "low", "sort": f"-{sort}" if descending else sort, "page_size": 60}
    )
    assert response.status_code == 200
    assert [i["id"] for i in response.json()["items"]] == expected


async def test_paging_through_the_list_never_repeats_or_drops_an_assembly(utility: Utility) -> None:
    """Postal codes repeat a lot: only the id tiebreak keeps pages stable."""
    rows = [r for r in rows_of(utility.data) if r.location.active]
    ids, total = await all_ids(utility, {"location_active": "true", "sort": "postal_code"}, page_size=37)
    assert total == len(rows)
    assert len(ids) == len(set(ids)) == total
    assert ids == [str(r.assembly.id) for r in ordered(rows, "postal_code", False)]


async def test_a_page_past_the_end_is_empty_with_the_total(utility: Utility) -> None:
    response = await utility.get("/assemblies", params={"page": 999, "page_size": 50})
    body = response.json()
    assert body["items"] == [] and body["total"] == len(utility.data.assemblies)


async def test_each_row_is_ready_for_the_table(utility: Utility) -> None:
    rows = {str(r.assembly.id): r for r in rows_of(utility.data)}
    response = await utility.get("/assemblies", params={"page_size": 100})
    for item in response.json()["items"]:
        row = rows[item["id"]]
        assert item["serial_number"] == row.assembly.serial_number
        assert item["compliance_status"] == status_on(row.assembly, today)
        assert item["location"]["account_number"] == row.location.account_number
        assert item["location"]["service_area_name"] == row.zone_name
        primary = [c for c in row.contacts if c.is_primary]
        if primary:
            assert item["primary_contact"] == {
                "id": str(primary[0].id),
                "name": primary[0].name,
                "email": primary[0].email,
            }
        else:
            assert item["primary_contact"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"assembly_type": ["RP", "XX"]}, "assembly_type"),
        ({"compliance_status": "late"}, "compliance_status"),
        ({"hazard": "medium"}, "hazard"),
        ({"size": "5 inch"}, "size"),
        ({"facility_type": "farm"}, "facility_type"),
        ({"service_type": "sewer"}, "service_type"),
        ({"service_area_id": "zone-1"}, "service_area_id"),
        ({"due_from": "15/03/2026"}, "due_from"),
        ({"due_from": "2026-05-01", "due_to": "2026-04-01"}, "due_to"),
        ({"has_email": "maybe"}, "has_email"),
        ({"assembly_active": ["true", "false"]}, "assembly_active"),
        ({"colour": "red"}, "colour"),
        ({"sort": "-owner"}, "sort"),
        ({"page": "0"}, "page"),
        ({"page_size": "10000"}, "page_size"),
    ],
)
async def test_an_unknown_filter_value_is_refused_naming_the_field(
    utility: Utility, params: dict[str, Any], field: str
) -> None:
    response = await utility.get("/assemblies", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == field


async def test_the_list_needs_an_identity(utility: Utility) -> None:
    response = await utility.client.get("/assemblies")
    assert response.status_code == 401
