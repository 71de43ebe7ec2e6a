"""The list's total stays exact while imports change assemblies (PostgreSQL keeps it in assembly_counts)."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.assemblies.test_import import Importer, row, to_csv

pytestmark = pytest.mark.integration

# the clock of these tests says 2026-03-15
ROWS = [
    row(serial_number="S-1", next_test_due="2026-03-01"),  # overdue, in the current month
    row(serial_number="S-2", next_test_due="2026-01-20"),  # overdue, a whole month before
    row(serial_number="S-3", next_test_due="2026-09-01"),  # compliant
    row(serial_number="S-4", next_test_due="", last_tested_on="", last_test_result=""),  # unknown
    row(serial_number="S-5", last_test_result="fail"),  # non-compliant
]


@pytest.fixture
def importer(http: httpx.AsyncClient) -> Importer:
    return Importer(http)


async def totals(importer: Importer) -> dict[str, int]:
    queries = {
        "all": {},
        "overdue": {"compliance_status": "overdue"},
        "compliant": {"compliance_status": "compliant"},
        "unknown": {"compliance_status": "unknown"},
        "non_compliant": {"compliance_status": "non_compliant"},
        "no_email": {"has_email": "false"},
        "feb_to_sep": {"due_from": "2026-01-15", "due_to": "2026-09-10"},
        "overdue_rp_in_range": {"compliance_status": "overdue", "assembly_type": "RP", "due_from": "2026-01-25"},
    }
    return {name: (await importer.assemblies(**params))["total"] for name, params in queries.items()}


async def test_totals_follow_imported_changes_of_due_dates_results_and_emails(importer: Importer) -> None:
    assert (await importer.upload(to_csv(ROWS))).status_code == 200
    assert await totals(importer) == {
        "all": 5,
        "overdue": 2,
        "compliant": 1,
        "unknown": 1,
        "non_compliant": 1,
        "no_email": 0,
        "feb_to_sep": 4,
        "overdue_rp_in_range": 1,
    }

    changed = [
        row(serial_number="S-1", next_test_due="2026-09-05"),  # now compliant
        row(serial_number="S-2", next_test_due="2026-01-20", assembly_type="DC", hazard="low"),
        row(serial_number="S-3", next_test_due="2026-09-01"),
        row(serial_number="S-4", next_test_due="", last_tested_on="", last_test_result=""),
        row(serial_number="S-5", last_test_result="pass"),  # passed its retest: compliant
    ]
    response = await importer.upload(to_csv(changed))
    assert response.json()["updated"] == 3
    assert await totals(importer) == {
        "all": 5,
        "overdue": 1,
        "compliant": 3,
        "unknown": 1,
        "non_compliant": 0,
        "no_email": 0,
        "feb_to_sep": 4,
        "overdue_rp_in_range": 0,
    }

    # the location's only contact loses its email: every assembly there has no usable email
    without_email = [dict(r, contact_email="") for r in changed]
    await importer.upload(to_csv(without_email))
    assert (await totals(importer))["no_email"] == 5
