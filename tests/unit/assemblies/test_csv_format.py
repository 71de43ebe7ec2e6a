"""The CSV format: the header, one row's validation, and agreement between rows of a file."""

from __future__ import annotations

from uuid import uuid4

import pytest

from assemblies.domain.csv_format import (
    REQUIRED_COLUMNS,
    FileConsistency,
    HeaderError,
    RowError,
    check_header,
    parse_row,
)
from assemblies.domain.records import assembly_id, location_id

ORG = uuid4()


def good(**values: str) -> dict[str, str]:
    row = {
        "account_number": "1001",
        "address_line1": "5 Oak St",
        "city": "Riverbend",
        "state": "WA",
        "postal_code": "98001",
        "facility_type": "Residential",
        "serial_number": "DC-77",
        "assembly_type": "dc",
        "hazard": "low",
        "service_type": "domestic",
    }
    row.update(values)
    return row


def test_header_needs_the_required_columns_and_no_unknown_ones() -> None:
    assert check_header([f" {c.upper()} " for c in REQUIRED_COLUMNS]) == list(REQUIRED_COLUMNS)
    with pytest.raises(HeaderError, match="missing column"):
        check_header(list(REQUIRED_COLUMNS[1:]))
    with pytest.raises(HeaderError, match="unknown column"):
        check_header([*REQUIRED_COLUMNS, "notes"])
    with pytest.raises(HeaderError, match="repeated column"):
        check_header([*REQUIRED_COLUMNS, "city"])


def test_a_good_row_becomes_records_with_ids_from_natural_keys() -> None:
    row = parse_row(
        ORG, 2, good(size="3/4", contact_type="owner", contact_name="Ana Lopez", contact_email="A@X.example")
    )
    assert row.location.id == location_id(ORG, "1001")
    assert row.assembly.id == assembly_id(ORG, "1001", "DC-77")
    assert row.assembly.assembly_type == "DC"
    assert row.assembly.size == '3/4"'
    assert row.location.facility_type == "residential"
    assert row.location.active is True
    assert [c.email for c in row.contacts] == ["a@x.example"]
    assert parse_row(ORG, 9, good()).assembly.id == row.assembly.id


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"account_number": ""}, "account_number is required"),
        ({"assembly_type": "RPZ"}, "assembly_type 'RPZ' is not one of"),
        ({"hazard": "medium"}, "hazard 'medium' is not one of"),
        ({"size": "5"}, "size '5' is not one of"),
        ({"installed_on": "03/04/2020"}, "installed_on '03/04/2020' is not a date"),
        ({"location_active": "sometimes"}, "location_active 'sometimes' is not true or false"),
        ({"last_test_result": "pass"}, "last_test_result is given without last_tested_on"),
        ({"contact_email": "x@y.example"}, "contact_type is required"),
        ({"contact2_type": "owner"}, "contact2_name is required"),
        ({"contact_type": "owner", "contact_name": "A", "contact_email": "a@@b"}, "is not an email address"),
        ({"city": "x" * 101}, "city is longer than 100 characters"),
    ],
)
def test_a_bad_row_says_why(values: dict[str, str], reason: str) -> None:
    with pytest.raises(RowError) as error:
        parse_row(ORG, 3, good(**values))
    assert reason in str(error.value)


def test_rows_of_one_file_must_agree() -> None:
    check = FileConsistency()
    check.check(parse_row(ORG, 2, good()))
    check.check(parse_row(ORG, 3, good(serial_number="DC-78")))
    with pytest.raises(RowError, match="already on line 2"):
        check.check(parse_row(ORG, 4, good()))
    with pytest.raises(RowError, match="differ from line 2"):
        check.check(parse_row(ORG, 5, good(serial_number="DC-79", postal_code="98002")))
    check.check(parse_row(ORG, 6, good(serial_number="DC-80", contact_type="owner", contact_name="Ann")))
    with pytest.raises(RowError, match="contact 'ann' differs from line 6"):
        check.check(
            parse_row(
                ORG,
                7,
                good(serial_number="DC-81", contact_type="owner", contact_name="ann", contact_email="a@b.example"),
            )
        )
