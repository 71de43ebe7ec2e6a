"""Parsing the working list's filter, sort and page from a query string or a JSON body."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from assemblies.domain.working_list import (
    AssemblyFilter,
    FilterError,
    parse_filter,
    parse_list_request,
    parse_sort,
)


def test_repeated_keys_combine_and_normalize_in_a_canonical_order() -> None:
    zone = uuid4()
    f = parse_filter(
        {
            "assembly_type": ["RP", "DC", "RP"],
            "compliance_status": ["overdue", "non_compliant"],
            "service_area_id": [str(zone)],
            "has_email": "true",
            "due_from": "2026-01-01",
            "q": "  maple  ",
        }
    )
    assert f.assembly_type == ("RP", "DC")
    assert f.compliance_status == ("non_compliant", "overdue")
    assert f.service_area_id == (zone,)
    assert f.has_email is True
    assert f.due_from == date(2026, 1, 1)
    assert f.normalized() == {
        "q": "maple",
        "assembly_type": ["RP", "DC"],
        "service_area_id": [str(zone)],
        "compliance_status": ["non_compliant", "overdue"],
        "due_from": "2026-01-01",
        "has_email": True,
    }


def test_an_empty_filter_matches_everything_and_normalizes_to_nothing() -> None:
    assert parse_filter({}) == AssemblyFilter()
    assert parse_filter({"hazard": [""], "q": ""}).normalized() == {}


def test_json_booleans_and_lists_are_accepted() -> None:
    f = parse_filter({"location_active": False, "size": ['3/4"', '1"']})
    assert f.location_active is False
    assert f.size == ('3/4"', '1"')


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"assembly_type": ["RP", "XYZ"]}, "assembly_type"),
        ({"size": "3/4"}, "size"),
        ({"service_area_id": "north"}, "service_area_id"),
        ({"due_to": "yesterday"}, "due_to"),
        ({"due_from": "2026-02-01", "due_to": "2026-01-01"}, "due_to"),
        ({"has_email": "perhaps"}, "has_email"),
        ({"location_active": ["true", "false"]}, "location_active"),
        ({"q": "x" * 201}, "q"),
        ({"hazard": [1]}, "hazard"),
        ({"owner": "me"}, "owner"),
    ],
)
def test_bad_values_name_their_field(raw: dict, field: str) -> None:
    with pytest.raises(FilterError) as error:
        parse_filter(raw)
    assert error.value.field == field


def test_sort_keys_and_directions() -> None:
    assert str(parse_sort("-next_test_due")) == "-next_test_due"
    assert parse_sort(None).key == "next_test_due"
    assert parse_sort("postal_code").descending is False
    with pytest.raises(FilterError) as error:
        parse_sort("name")
    assert error.value.field == "sort"


def test_a_list_request_separates_paging_from_the_filter() -> None:
    request = parse_list_request({"hazard": ["high"], "page": ["3"], "page_size": ["20"], "sort": ["-postal_code"]})
    assert request.filter.hazard == ("high",)
    assert (request.page.number, request.page.size, request.page.offset) == (3, 20, 40)
    assert str(request.sort) == "-postal_code"
    for bad in ({"page": ["0"]}, {"page_size": ["501"]}, {"page": ["two"]}, {"page": ["1", "2"]}):
        with pytest.raises(FilterError):
            parse_list_request(bad)
