"""The demo utility is deterministic and holds every kind of record the filters need."""

from __future__ import annotations

from collections import Counter
from datetime import date

from assemblies.demo import generate
from assemblies.domain.compliance import compliance_status
from assemblies.domain.vocabulary import ASSEMBLY_TYPES, COMPLIANCE_STATUSES, CONTACT_TYPES, FACILITY_TYPES
from servicekit.demo import DEMO_ORG_ID

TODAY = date(2026, 3, 15)


def test_the_same_arguments_give_the_same_utility() -> None:
    assert generate(DEMO_ORG_ID, 300, seed=5, today=TODAY) == generate(DEMO_ORG_ID, 300, seed=5, today=TODAY)
    assert generate(DEMO_ORG_ID, 300, seed=5, today=TODAY) != generate(DEMO_ORG_ID, 300, seed=6, today=TODAY)


def test_the_demo_utility_covers_every_kind_of_record() -> None:
    data = generate(DEMO_ORG_ID, 600, today=TODAY)
    assert data.organization.name == "Riverbend Water Utility"
    assert len(data.assemblies) == 600
    assert len({a.id for a in data.assemblies}) == 600
    assert {a.assembly_type for a in data.assemblies} == set(ASSEMBLY_TYPES)
    assert {loc.facility_type for loc in data.locations} == set(FACILITY_TYPES)
    assert {c.contact_type for c in data.contacts} == set(CONTACT_TYPES)
    statuses = Counter(compliance_status(a.last_test_result, a.next_test_due, TODAY) for a in data.assemblies)
    assert set(statuses) == set(COMPLIANCE_STATUSES)
    assert len(data.service_areas) >= 4
    assert any(not c.email for c in data.contacts)
    assert any(c.do_not_contact for c in data.contacts)
    with_contacts = {c.location_id for c in data.contacts}
    with_primary = {c.location_id for c in data.contacts if c.is_primary}
    assert with_contacts - with_primary, "some locations have contacts but no primary contact"
    assert all(c.email.endswith(".example") for c in data.contacts if c.email)
    assert data.organization.from_email.endswith(".example")
