"""Requests of the unsent queue (auto runs, Create Log): one chosen contact, one method, free text, job ids."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from contracts.events import CommunicationsGenerated, GenerationRequested
from generator.adapters.orm import metadata
from generator.adapters.repository import TemplateVersion
from generator.domain.contact_rules import plan_communications
from generator.domain.generation import restrict_to_one_contact
from generator.domain.template_settings import TemplateSettings
from generator.domain.templates import CompiledTemplate, TemplateContent
from generator.service_layer.generation import render_requested_chunk
from servicekit.db import create_engine, create_session_factory
from tests.unit.generator.builders import a_contact, a_location, an_org, members_at

CONTENT = TemplateContent(
    email_subject="Notice for {{ location.account_number }}",
    email_body_text="Dear {{ contact.first_name }}, {{ additional_contents }}",
    letter_body="Dear {{ contact.first_name }},\n\n{{ additional_contents }}",
)
OWNERS_BY_EMAIL = TemplateSettings(contact_types=("owner",), methods=("email",), first_available_method_only=True)


class OneTemplate:
    """Stands in for the compiled-template cache: one stored version."""

    def __init__(self, org_id: UUID, settings: TemplateSettings) -> None:
        self.stored = TemplateVersion(
            template_id=uuid4(),
            version=1,
            org_id=org_id,
            communication_type_id=uuid4(),
            name="Letter to one contact",
            settings=settings,
            content=CONTENT,
        )
        self.compiled = CompiledTemplate(CONTENT)

    async def get(self, _session: Any, org_id: UUID, template_id: UUID, version: int) -> Any:
        if (org_id, template_id, version) == (self.stored.org_id, self.stored.template_id, self.stored.version):
            return self.stored, self.compiled
        return None


@pytest.fixture
async def sessions() -> AsyncIterator[Any]:
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()


def request(template: OneTemplate, members: list[Any], **kw: Any) -> GenerationRequested:
    return GenerationRequested(
        org_id=template.stored.org_id,
        occurred_at=datetime(2026, 5, 4, 15, tzinfo=UTC),
        batch_id=kw.pop("batch_id", uuid4()),
        chunk_index=0,
        chunk_count=1,
        template_id=template.stored.template_id,
        template_version=1,
        batch_name="",
        organization=an_org(template.stored.org_id),
        members=members,
        **kw,
    )


async def generated(sessions: Any, template: OneTemplate, event: GenerationRequested) -> CommunicationsGenerated:
    async with sessions() as session:
        result = await render_requested_chunk(session, event, template)  # type: ignore[arg-type]
    return CommunicationsGenerated.from_json_bytes(result.to_json_bytes())  # as its consumers read it


async def test_a_one_time_letter_goes_to_the_chosen_tenant_only_with_the_admins_text(sessions: Any) -> None:
    template = OneTemplate(uuid4(), OWNERS_BY_EMAIL)
    location = a_location()
    owner = a_contact(location, "owner", is_primary=True)
    tenant = a_contact(location, "tenant", first_name="Robin")
    members = members_at(location, [owner, tenant], assemblies=2)
    event = request(
        template,
        members,
        only_contact_id=tenant.id,
        only_method="letter",
        additional_contents="Your meter pit flooded; please call us.",
    )

    result = await generated(sessions, template, event)

    assert len(result.communications) == 1  # one communication covering the location's two assemblies
    sent = result.communications[0]
    assert (sent.contact_id, sent.method) == (tenant.id, "letter")
    assert sorted(sent.assembly_ids) == sorted(m.assembly.id for m in members)
    assert sent.letter_body == "Dear Robin,\n\nYour meter pit flooded; please call us."
    assert sent.status == "generated"
    assert sent.communication_type_id == template.stored.communication_type_id


async def test_a_job_of_the_queue_keys_its_ids_on_the_job_and_echoes_it(sessions: Any) -> None:
    template = OneTemplate(uuid4(), OWNERS_BY_EMAIL)
    location = a_location()
    members = members_at(location, [a_contact(location, "owner")])
    queue = uuid4()
    first = await generated(sessions, template, request(template, members, batch_id=queue, job_id=uuid4()))
    second = await generated(sessions, template, request(template, members, batch_id=queue, job_id=uuid4()))
    assert first.batch_id == second.batch_id == queue
    assert first.job_id != second.job_id and first.job_id is not None
    # two runs of the same queue for the same assembly are two communications, not one
    assert first.communications[0].communication_id != second.communications[0].communication_id


async def test_missing_additional_text_needs_attention_when_the_template_uses_it(sessions: Any) -> None:
    template = OneTemplate(uuid4(), OWNERS_BY_EMAIL)
    location = a_location()
    owner = a_contact(location, "owner")
    result = await generated(
        sessions, template, request(template, members_at(location, [owner]), only_contact_id=owner.id)
    )
    assert result.communications[0].status == "needs_attention"
    assert result.communications[0].missing_fields == ["additional_contents"]


def test_a_do_not_contact_choice_is_still_skipped_with_its_reason() -> None:
    location = a_location()
    chosen = a_contact(location, "site", do_not_contact=True)
    members, settings = restrict_to_one_contact(
        members_at(location, [a_contact(location, "owner"), chosen]),
        OWNERS_BY_EMAIL,
        contact_id=chosen.id,
        method="email",
    )
    assert [c.id for m in members for c in m.contacts] == [chosen.id]
    assert "site" in settings.contact_types and settings.methods == ("email",)
    plan = plan_communications(uuid4(), members, settings)
    assert plan.communications == []
    assert [s.reason for s in plan.skipped] == ["all eligible contacts are do-not-contact"]


def test_without_a_chosen_contact_or_method_nothing_changes() -> None:
    location = a_location()
    members = members_at(location, [a_contact(location, "owner")], assemblies=2)
    same, settings = restrict_to_one_contact(members, OWNERS_BY_EMAIL, contact_id=None, method=None)
    assert same == members and settings is OWNERS_BY_EMAIL


def test_choosing_letters_drops_the_email_attachment_setting() -> None:
    settings = TemplateSettings(methods=("email", "letter"), include_pdf_in_email=True)
    _, narrowed = restrict_to_one_contact([], settings, contact_id=None, method="letter")
    assert narrowed.methods == ("letter",) and not narrowed.include_pdf_in_email
