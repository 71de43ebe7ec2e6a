"""``members_per_chunk``: a chunk of that many members yields a result under the size limit,
even when every member has a contact of each allowed type and the texts are long."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from contracts.events import CommunicationsGenerated
from generator.domain.generation import BatchContext, generate_chunk
from generator.domain.template import members_per_chunk
from generator.domain.template_settings import CONTACT_TYPES, TemplateSettings
from generator.domain.templates import CompiledTemplate, TemplateContent
from generator.service_layer.generation import CHUNK_RESULT_BUDGET, RESULT_SIZE_LIMIT, estimated_size
from tests.unit.generator.builders import a_contact, a_location, an_org, members_at

LONG = "Our records show that {{ assembly.serial_number }} at {{ location.address }} is due. " * 40
SHORT = "Dear {{ contact.name }}, {{ assembly.serial_number }} is due by {{ batch.due_date }}."


@pytest.mark.parametrize(
    "settings, content",
    [
        (
            TemplateSettings(contact_types=CONTACT_TYPES, methods=("email", "letter"), include_pdf_in_email=True),
            TemplateContent(email_subject="Test due", email_body_text=LONG, email_body_html=LONG, letter_body=LONG),
        ),
        (
            TemplateSettings(contact_types=("owner", "tenant"), methods=("email",)),
            TemplateContent(email_subject="Test due", email_body_text=LONG),
        ),
        (
            TemplateSettings(contact_types=("owner",), methods=("email", "letter")),
            TemplateContent(email_subject="Test due", email_body_text=SHORT, letter_body=SHORT),
        ),
    ],
)
def test_a_chunk_of_members_per_chunk_worst_case_members_stays_under_the_limit(
    settings: TemplateSettings, content: TemplateContent
) -> None:
    n = members_per_chunk(settings, content, CHUNK_RESULT_BUDGET)
    members = []
    while len(members) < n:  # locations of two assemblies, a contact of every allowed type each
        location = a_location()
        contacts = [a_contact(location, t) for t in settings.contact_types]
        members.extend(members_at(location, contacts, assemblies=min(2, n - len(members))))
    org = an_org()
    chunk = generate_chunk(
        members,
        settings,
        CompiledTemplate(content),
        org,
        BatchContext(batch_id=uuid4(), name="Spring", due_date=date(2026, 4, 1), today=date(2026, 3, 1)),
    )
    expected = len(settings.contact_types) * len(settings.methods) * n
    assert len(chunk.communications) == expected  # the worst case did happen
    assert estimated_size(chunk.communications) <= RESULT_SIZE_LIMIT  # the generator's guard lets it through
    result = CommunicationsGenerated(
        org_id=org.id,
        batch_id=uuid4(),
        chunk_index=0,
        chunk_count=1,
        template_id=uuid4(),
        template_version=1,
        organization=org,
        communications=chunk.communications,
    )
    assert len(result.to_json_bytes()) <= CHUNK_RESULT_BUDGET * 1.1  # about the budget it planned for


def test_the_benchmark_s_template_allows_a_chunk_of_about_nine_hundred_members() -> None:
    settings = TemplateSettings(contact_types=("owner",), methods=("email", "letter"))
    content = TemplateContent(email_subject="x" * 80, email_body_text="y" * 250, letter_body="y" * 250)
    assert 800 <= members_per_chunk(settings, content, CHUNK_RESULT_BUDGET) <= 1_000


def test_fewer_contacts_or_methods_allow_larger_chunks() -> None:
    content = TemplateContent(email_subject="Due", email_body_text=LONG, letter_body=LONG)
    every = TemplateSettings(contact_types=CONTACT_TYPES, methods=("email", "letter"))
    primary = TemplateSettings(contact_types=CONTACT_TYPES, methods=("email", "letter"), use_primary_contact=True)
    first_method = TemplateSettings(
        contact_types=CONTACT_TYPES, methods=("email", "letter"), first_available_method_only=True
    )
    budget = CHUNK_RESULT_BUDGET
    assert members_per_chunk(every, content, budget) < members_per_chunk(first_method, content, budget)
    assert members_per_chunk(first_method, content, budget) < members_per_chunk(primary, content, budget)
    assert members_per_chunk(every, content, 10) == 1  # never less than one member
