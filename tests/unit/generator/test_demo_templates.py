"""The demo catalogue: every template is valid for its settings and renders a complete record fully."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from generator.demo import CATALOG
from generator.domain.generation import BatchContext, generate_chunk
from generator.domain.template_check import validate_template
from generator.domain.template_settings import TemplateSettings
from generator.domain.templates import CompiledTemplate, TemplateContent
from tests.unit.generator.builders import a_contact, a_location, an_org, members_at


@pytest.mark.parametrize("spec", CATALOG, ids=lambda s: s.name)
def test_each_demo_template_is_valid_and_renders_without_missing_data(spec) -> None:  # type: ignore[no-untyped-def]
    settings = TemplateSettings.from_dict(spec.settings)
    content = TemplateContent(**spec.content)
    validate_template(content, settings.methods, group_by_location=settings.group_by_location)
    loc = a_location()
    members = members_at(loc, [a_contact(loc, "owner"), a_contact(loc, "property_manager", email="")], assemblies=2)
    batch = BatchContext(uuid4(), "Spring 2026", date(2026, 4, 15), date(2026, 3, 1))
    communications = generate_chunk(members, settings, CompiledTemplate(content), an_org(), batch).communications
    assert communications
    for c in communications:
        assert c.status == "generated", c.missing_fields
        text = c.body_text if c.method == "email" else c.letter_body
        assert "\n\nPlease" in text or "[[assemblies_table]]" in text


def test_the_annual_notice_emails_owners_and_writes_to_contacts_without_email_once_per_location() -> None:
    spec = next(s for s in CATALOG if s.name == "Annual test notice")
    settings = TemplateSettings.from_dict(spec.settings)
    loc = a_location()
    owner, manager = a_contact(loc, "owner"), a_contact(loc, "property_manager", email="")
    members = members_at(loc, [owner, manager, a_contact(loc, "tenant")], assemblies=3)
    batch = BatchContext(uuid4(), "Spring 2026", date(2026, 4, 15), date(2026, 3, 1))
    comms = generate_chunk(members, settings, CompiledTemplate(TemplateContent(**spec.content)), an_org(), batch)
    assert {(c.contact_id, c.method, len(c.assembly_ids)) for c in comms.communications} == {
        (owner.id, "email", 3),
        (manager.id, "letter", 3),
    }
