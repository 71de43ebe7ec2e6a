"""Generating one chunk: the contact rules decide, the template renders, the result is what batches records.

Pure and deterministic: the same chunk, settings and template version give the same
communications (ids, texts, order) whoever renders it and however often.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from contracts.events import GeneratedCommunication, SkippedMember
from contracts.snapshots import MemberSnapshot, OrganizationSnapshot
from generator.domain.contact_rules import plan_communications
from generator.domain.merge_fields import (
    MergeObject,
    assembly_fields,
    batch_fields,
    contact_fields,
    location_fields,
    org_fields,
)
from generator.domain.template_settings import CONTACT_TYPES, TemplateSettings
from generator.domain.templates import CompiledTemplate, MergeData


@dataclass(frozen=True)
class BatchContext:
    """What a chunk's texts know about their batch."""

    batch_id: UUID
    name: str
    due_date: date | None
    today: date
    additional_contents: str = ""
    communication_type_id: UUID | None = None


@dataclass(frozen=True)
class GeneratedChunk:
    communications: list[GeneratedCommunication]
    skipped: list[SkippedMember]


def restrict_to_one_contact(
    members: Iterable[MemberSnapshot],
    settings: TemplateSettings,
    *,
    contact_id: UUID | None,
    method: str | None,
) -> tuple[list[MemberSnapshot], TemplateSettings]:
    """Narrow a chunk and the template's contact rules for a one-time communication (Create Log).

    With ``contact_id``: every member keeps only that contact, whatever its type or primary flag
    (the admin chose the person), and the location's members make one communication
    (grouped by location). With ``method``: only that method, without the first-available rule.
    A do-not-contact contact, or one that cannot receive the chosen method, is still skipped
    with its reason. Without either, members and settings are returned unchanged.
    """
    members = list(members)
    if contact_id is None and method is None:
        return members, settings
    changes: dict[str, object] = {}
    if contact_id is not None:
        members = [m.model_copy(update={"contacts": [c for c in m.contacts if c.id == contact_id]}) for m in members]
        changes.update(contact_types=CONTACT_TYPES, use_primary_contact=False, group_by_location=True)
    if method is not None:
        changes.update(methods=(method,), first_available_method_only=False)
        if method != "email":
            changes.update(include_pdf_in_email=False)
    return members, replace(settings, **changes)  # type: ignore[arg-type]


def generate_chunk(
    members: Iterable[MemberSnapshot],
    settings: TemplateSettings,
    template: CompiledTemplate,
    organization: OrganizationSnapshot,
    batch: BatchContext,
) -> GeneratedChunk:
    """Apply the contact rules to a chunk's members and render every communication they yield.

    A communication whose merge data is missing is ``needs_attention`` with the fields
    named; its texts show ``[missing: field]`` where the value would be.
    """
    plan = plan_communications(batch.batch_id, members, settings)
    org = org_fields(organization)
    batch_merge = batch_fields(batch.name, batch.due_date)
    locations: dict[UUID, MergeObject] = {}
    contacts: dict[UUID, MergeObject] = {}
    assemblies: dict[UUID, MergeObject] = {}
    communications = []
    for planned in plan.communications:
        loc = planned.location
        location = locations.get(loc.id)
        if location is None:
            location = locations[loc.id] = location_fields(loc)
        contact = contacts.get(planned.contact.id)
        if contact is None:
            contact = contacts[planned.contact.id] = contact_fields(planned.contact, loc)
        merged = []
        for a in planned.assemblies:
            fields = assemblies.get(a.id)
            if fields is None:
                fields = assemblies[a.id] = assembly_fields(a)
            merged.append(fields)
        data = MergeData(
            org=org,
            location=location,
            contact=contact,
            assemblies=merged,
            batch=batch_merge,
            today=batch.today,
            additional_contents=batch.additional_contents,
        )
        is_email = planned.method == "email"
        texts = template.render(data, email=is_email, letter=not is_email or settings.include_pdf_in_email)
        communications.append(
            GeneratedCommunication(
                communication_id=planned.communication_id,
                location_id=loc.id,
                contact_id=planned.contact.id,
                assembly_ids=planned.assembly_ids,
                method=planned.method,  # type: ignore[arg-type]
                recipient=planned.recipient,
                status="needs_attention" if texts.needs_attention else "generated",
                missing_fields=list(texts.missing_fields),
                subject=texts.subject,
                body_text=texts.body_text,
                body_html=texts.body_html,
                letter_body=texts.letter_body,
                cc=list(settings.cc) if is_email else [],
                bcc=list(settings.bcc) if is_email else [],
                include_pdf_in_email=is_email and settings.include_pdf_in_email,
                location=loc,
                assemblies=list(planned.assemblies),
                communication_type_id=batch.communication_type_id,
            )
        )
    skipped = [
        SkippedMember(assembly_id=s.assembly_id, location_id=s.location_id, reason=s.reason) for s in plan.skipped
    ]
    return GeneratedChunk(communications=communications, skipped=skipped)
