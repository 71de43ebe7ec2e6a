"""Fakes and builders for the batches tests: member snapshots, fake services, a generator stand-in.

``play_generator`` answers a GenerationRequested the way the generator's contact rules would
in the simple case the tests need: one email per contact with a usable email, else one letter
when the contact has an address; a member with no reachable contact is skipped; a contact
without a first name yields a needs_attention communication naming ``contact.first_name``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from batches.service_layer.errors import UpstreamRejected
from batches.service_layer.ports import LettersLink, ResolvedMembers, TemplateInfo
from contracts.events import CommunicationsGenerated, GeneratedCommunication, GenerationRequested, SkippedMember
from contracts.snapshots import (
    AssemblySnapshot,
    ContactSnapshot,
    LocationSnapshot,
    MemberSnapshot,
    OrganizationSnapshot,
    PostalAddress,
    Recipient,
)


def organization(org_id: UUID) -> OrganizationSnapshot:
    return OrganizationSnapshot(
        id=org_id,
        name="Riverbend Water Utility",
        from_email="backflow@riverbend.example",
        reply_to="help@riverbend.example",
        mailing_address=PostalAddress(line1="1 Main St", city="Riverbend", state="OR", postal_code="97000"),
    )


def location(postal_code: str = "97001", account: str | None = None) -> LocationSnapshot:
    lid = uuid4()
    return LocationSnapshot(
        id=lid,
        account_number=account or f"A-{lid.hex[:6]}",
        name="Site",
        address=PostalAddress(line1="10 Water Rd", city="Riverbend", state="OR", postal_code=postal_code),
        facility_type="commercial",
    )


def contact(loc: LocationSnapshot, email: str = "", first_name: str = "Pat", **kw: Any) -> ContactSnapshot:
    return ContactSnapshot(
        id=uuid4(),
        location_id=loc.id,
        contact_type=kw.pop("contact_type", "owner"),
        name=kw.pop("name", f"{first_name} Owner"),
        first_name=first_name,
        email=email,
        is_primary=True,
        **kw,
    )


def member(
    loc: LocationSnapshot, contacts: list[ContactSnapshot], assembly_type: str = "RP", serial: str | None = None
) -> MemberSnapshot:
    aid = uuid4()
    return MemberSnapshot(
        assembly=AssemblySnapshot(
            id=aid,
            location_id=loc.id,
            serial_number=serial or f"SN-{aid.hex[:6]}",
            assembly_type=assembly_type,
            next_test_due=date(2026, 2, 1),
        ),
        location=loc,
        contacts=contacts,
    )


def play_generator(request: GenerationRequested) -> CommunicationsGenerated:
    """The generator stand-in: one communication per reachable contact per member assembly."""
    communications: list[GeneratedCommunication] = []
    skipped: list[SkippedMember] = []
    for m in request.members:
        produced = 0
        for c in m.contacts:
            if c.do_not_contact:
                continue
            method = "email" if c.email and not c.email_bounced else "letter"
            key = f"{request.batch_id}/{c.id}/{method}/{m.assembly.id}"
            missing = [] if c.first_name else ["contact.first_name"]
            communications.append(
                GeneratedCommunication(
                    communication_id=uuid5(NAMESPACE_URL, key),
                    location_id=m.location.id,
                    contact_id=c.id,
                    assembly_ids=[m.assembly.id],
                    method=method,
                    recipient=Recipient(contact_id=c.id, name=c.name, email=c.email, address=m.location.address),
                    status="needs_attention" if missing else "generated",
                    missing_fields=missing,
                    subject=f"{request.batch_name}: test due for {m.assembly.serial_number}",
                    body_text=f"Dear {c.first_name}, please test {m.assembly.serial_number}.",
                    location=m.location,
                    assemblies=[m.assembly],
                )
            )
            produced += 1
        if not produced:
            skipped.append(
                SkippedMember(assembly_id=m.assembly.id, location_id=m.location.id, reason="no eligible contact")
            )
    return CommunicationsGenerated(
        org_id=request.org_id,
        correlation_id=request.correlation_id,
        batch_id=request.batch_id,
        chunk_index=request.chunk_index,
        chunk_count=request.chunk_count,
        template_id=request.template_id,
        template_version=request.template_version,
        organization=request.organization,
        communications=communications,
        skipped=skipped,
    )


class FakeAssemblies:
    """Members of one organization; the filter ``{"assembly_type": [...]}`` selects by type."""

    def __init__(self, org: OrganizationSnapshot, members: list[MemberSnapshot]) -> None:
        self.org = org
        self.members = {m.assembly.id: m for m in members}
        self.snapshot_calls: list[int] = []

    def resolve(self, filter: dict[str, Any]) -> list[UUID]:
        if "assembly_type" in filter and not isinstance(filter["assembly_type"], list):
            raise UpstreamRejected(
                "assemblies",
                422,
                [{"loc": ["body", "filter", "assembly_type"], "msg": "must be a list", "type": "value_error"}],
            )
        types = filter.get("assembly_type")
        return [a for a, m in self.members.items() if not types or m.assembly.assembly_type in types]

    async def resolve_members(self, identity: Any, filter: dict[str, Any]) -> ResolvedMembers:
        return ResolvedMembers(self.resolve(filter), filter)

    async def member_snapshots(self, identity: Any, assembly_ids: list[UUID]):
        assert len(assembly_ids) <= 1000
        self.snapshot_calls.append(len(assembly_ids))
        return self.org, [self.members[a] for a in assembly_ids if a in self.members]

    async def member_snapshot_lines(self, identity: Any, assembly_ids: list[UUID]):
        org, members = await self.member_snapshots(identity, assembly_ids)
        lines = [(str(m.assembly.id), str(m.location.id), m.model_dump_json().encode()) for m in members]
        return org.model_dump(mode="json"), lines


class FakeTemplates:
    def __init__(self) -> None:
        self.templates: dict[UUID, TemplateInfo] = {}

    def add(
        self,
        published: bool = True,
        name: str = "Annual test notice",
        version: int = 1,
        members_per_chunk: int | None = None,
    ) -> UUID:
        tid = uuid4()
        self.templates[tid] = TemplateInfo(
            id=tid, name=name, version=version, published=published, members_per_chunk=members_per_chunk
        )
        return tid

    async def get_template(self, identity: Any, template_id: UUID) -> TemplateInfo | None:
        return self.templates.get(template_id)


class FakeDocuments:
    def __init__(self) -> None:
        self.requests: list[list[UUID]] = []

    async def combined_letters(self, identity: Any, batch_id: UUID, communication_ids: list[UUID]) -> LettersLink:
        self.requests.append(list(communication_ids))
        return LettersLink(
            url=f"http://docs.local/documents/{uuid4().hex}",
            expires_at=datetime.now(UTC) + timedelta(hours=24),
            document_id=uuid4(),
        )
