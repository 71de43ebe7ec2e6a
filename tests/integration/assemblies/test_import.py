"""CSV import: good rows in, bad rows reported by line and reason, re-import is a no-op."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from assemblies.domain.csv_format import COLUMNS
from tests.integration.assemblies.conftest import token_headers

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "assemblies-import.csv"


class Importer:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.org_id = uuid.uuid4()
        self.http = http
        self.headers = token_headers(self.org_id)

    async def upload(self, data: bytes, name: str = "assemblies.csv") -> httpx.Response:
        return await self.http.post(
            "/assemblies/import", headers=self.headers, files={"file": (name, data, "text/csv")}
        )

    async def assemblies(self, **params: str) -> dict:
        response = await self.http.get("/assemblies", headers=self.headers, params={"page_size": 500, **params})
        return response.json()


@pytest.fixture
def importer(http: httpx.AsyncClient) -> Importer:
    return Importer(http)


def row(**values: str) -> dict[str, str]:
    base = {
        "account_number": "A-1",
        "location_name": "Nguyen Bakery",
        "address_line1": "12 Elm St",
        "city": "Springfield",
        "state": "WA",
        "postal_code": "10001",
        "service_area": "Zone A",
        "facility_type": "commercial",
        "serial_number": "S-1",
        "assembly_type": "RP",
        "size": '2"',
        "hazard": "high",
        "service_type": "domestic",
        "last_tested_on": "2025-06-01",
        "last_test_result": "pass",
        "next_test_due": "2026-06-01",
        "contact_type": "owner",
        "contact_name": "Mei Nguyen",
        "contact_email": "mei@bakery.example",
        "contact_is_primary": "true",
    }
    base.update(values)
    return base


def to_csv(rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


MIXED = [
    row(),  # line 2
    row(serial_number="S-2", assembly_type="DC", hazard="low", size="3/4"),  # line 3: size without the inch mark
    row(serial_number="S-3", assembly_type="XY"),  # line 4: bad
    row(account_number="A-2", address_line1="3 Oak St", postal_code="", contact_name="Ivan Hall"),  # line 5: bad
    row(account_number="A-3", address_line1="7 Pine St", serial_number="S-9", next_test_due="2026-02-30"),  # 6: bad
    row(serial_number="S-1"),  # line 7: bad, repeats line 2
    row(serial_number="S-4", city="Shelbyville"),  # line 8: bad, location differs from line 2
    row(account_number="A-4", address_line1="9 Cedar Ln", serial_number="S-5", contact_email="not-an-email"),  # 9: bad
    row(
        account_number="A-5",
        address_line1="1 Birch Rd",
        facility_type="fire",
        serial_number="F-1",
        assembly_type="DCDA",
        service_type="fire",
        hazard="low",
        contact_type="property_manager",
        contact_name="Rosa Clark",
        contact_email="",
        contact2_type="billing",
        contact2_name="Birch Holdings",
        contact2_email="ap@birch.example",
        contact2_do_not_contact="yes",
    ),  # line 10
    row(serial_number="S-6", last_test_result="fail", last_tested_on=""),  # line 11: bad
]
EXPECTED_ERRORS = [
    {"line": 4, "reason": "assembly_type 'XY' is not one of RP, DC, PVB, SVB, AVB, RPDA, DCDA, AG"},
    {"line": 5, "reason": "postal_code is required"},
    {"line": 6, "reason": "next_test_due '2026-02-30' is not a date (YYYY-MM-DD)"},
    {"line": 7, "reason": "assembly 'S-1' at account 'A-1' is already on line 2"},
    {"line": 8, "reason": "location columns of account 'A-1' differ from line 2"},
    {"line": 9, "reason": "contact_email 'not-an-email' is not an email address"},
    {"line": 11, "reason": "last_test_result is given without last_tested_on"},
]


async def test_good_rows_are_imported_and_each_bad_row_is_reported(importer: Importer) -> None:
    response = await importer.upload(to_csv(MIXED))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "imported": 3,
        "updated": 0,
        "unchanged": 0,
        "errors": EXPECTED_ERRORS,
        "error_count": len(EXPECTED_ERRORS),
    }
    listed = await importer.assemblies()
    assert sorted(i["serial_number"] for i in listed["items"]) == ["F-1", "S-1", "S-2"]
    assert listed["total"] == 3
    by_serial = {i["serial_number"]: i for i in listed["items"]}
    assert by_serial["S-2"]["size"] == '3/4"'
    assert by_serial["S-1"]["location"]["service_area_name"] == "Zone A"
    assert by_serial["S-1"]["primary_contact"]["email"] == "mei@bakery.example"
    # the fire location's only email belongs to a do-not-contact billing contact
    assert (await importer.assemblies(has_email="false"))["total"] == 1
    location = await importer.http.get(f"/locations/{by_serial['F-1']['location']['id']}", headers=importer.headers)
    assert {c["name"] for c in location.json()["contacts"]} == {"Rosa Clark", "Birch Holdings"}
    # nothing of a bad row was stored: no location
    for account in ("A-2", "A-3", "A-4"):
        assert (await importer.assemblies(q=account))["total"] == 0


async def test_importing_the_same_file_again_changes_nothing(importer: Importer) -> None:
    data = to_csv(MIXED)
    await importer.upload(data)
    before = await importer.assemblies()
    again = await importer.upload(data)
    assert again.json() == {
        "imported": 0,
        "updated": 0,
        "unchanged": 3,
        "errors": EXPECTED_ERRORS,
        "error_count": len(EXPECTED_ERRORS),
    }
    assert await importer.assemblies() == before


async def test_a_changed_row_updates_its_records(importer: Importer) -> None:
    await importer.upload(to_csv([row(), row(serial_number="S-2")]))
    changed = [row(next_test_due="2026-09-01"), row(serial_number="S-2"), row(serial_number="S-3")]
    response = await importer.upload(to_csv(changed))
    assert response.json()["imported"] == 1
    assert response.json()["updated"] == 1
    assert response.json()["unchanged"] == 1
    # a new contact at the location changes what the other rows' assemblies are found by
    with_tenant = [row(serial_number="S-2", contact2_type="tenant", contact2_name="Omar Baker")]
    response = await importer.upload(to_csv(with_tenant))
    assert response.json()["updated"] == 1
    assert (await importer.assemblies(q="omar baker"))["total"] == 3


async def test_the_documented_example_file_imports_cleanly(importer: Importer) -> None:
    response = await importer.upload(EXAMPLE.read_bytes())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["errors"] == []
    assert body["imported"] == 5
    statuses = {i["serial_number"]: i["compliance_status"] for i in (await importer.assemblies())["items"]}
    assert statuses["RPDA0088003"] == "non_compliant"
    assert statuses["AG0900005"] == "unknown"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (to_csv([row()], columns=tuple(c for c in COLUMNS if c != "hazard")), "missing column(s): hazard"),
        (to_csv([row()]).replace(b"account_number", b"acount_number", 1), "unknown column(s): 'acount_number'"),
        ("account_number,city\nA-1,Zürich\n".encode("latin-1"), "is not UTF-8 text"),
        (b"", "is empty"),
        (to_csv([row()]) + b'A-9,"unclosed\n', "not valid CSV"),
    ],
    ids=["missing column", "unknown column", "latin-1", "empty", "unclosed quote"],
)
async def test_a_file_that_cannot_be_read_is_refused_and_imports_nothing(
    importer: Importer, data: bytes, message: str
) -> None:
    response = await importer.upload(data)
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"][-1] == "file"
    assert message in detail["msg"]
    assert (await importer.assemblies())["total"] == 0


async def test_a_too_large_file_is_refused_and_imports_nothing(
    importer: Importer, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = to_csv([row(serial_number=f"S-{i}") for i in range(200)])
    monkeypatch.setattr(app.state.assemblies.settings, "import_max_bytes", len(data) - 1)
    response = await importer.upload(data)
    assert response.status_code == 422
    assert "larger than" in response.json()["detail"][0]["msg"]
    assert (await importer.assemblies())["total"] == 0


async def test_a_row_spanning_lines_is_reported_on_the_line_it_starts(importer: Importer) -> None:
    rows = [row(location_name="Nguyen\nBakery"), row(account_number="A-7", address_line1="", serial_number="S-7")]
    response = await importer.upload(to_csv(rows))
    assert response.json()["errors"] == [{"line": 4, "reason": "address_line1 is required"}]
