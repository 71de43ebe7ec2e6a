"""What the use cases need from other services; adapters implement these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from batches.domain.queue import AutoRule
from contracts.snapshots import (
    AssemblySnapshot,
    ContactSnapshot,
    LocationSnapshot,
    MemberSnapshot,
    OrganizationSnapshot,
)
from servicekit.identity import Identity


@dataclass(frozen=True)
class ResolvedMembers:
    assembly_ids: list[UUID]
    filter: dict[str, Any]
    """The filter as the assemblies service applied it (normalised)."""


@dataclass(frozen=True)
class TemplateInfo:
    id: UUID
    name: str
    version: int
    published: bool
    communication_type_id: UUID | None = None
    members_per_chunk: int | None = None
    """The most members the generator plans one request of this template for (its result's size)."""


@dataclass(frozen=True)
class LettersLink:
    url: str
    expires_at: datetime
    document_id: UUID | None = None


@dataclass(frozen=True)
class ContactContext:
    """One contact with its organization, location and the location's assemblies (Create Log)."""

    organization: OrganizationSnapshot
    contact: ContactSnapshot
    location: LocationSnapshot
    assemblies: list[AssemblySnapshot]


@dataclass(frozen=True)
class OrganizationRef:
    id: UUID
    name: str
    timezone: str


class Assemblies(Protocol):
    async def resolve_members(self, identity: Identity, filter: dict[str, Any]) -> ResolvedMembers: ...

    async def member_snapshots(
        self, identity: Identity, assembly_ids: list[UUID]
    ) -> tuple[OrganizationSnapshot, list[MemberSnapshot]]: ...

    async def member_snapshot_lines(
        self, identity: Identity, assembly_ids: list[UUID]
    ) -> tuple[dict[str, Any], list[tuple[str, str, bytes]]]:
        """The same page as ``member_snapshots``: the organization, and each member as
        ``(assembly id, location id, its JSON)`` (``contracts.snapshots.MEMBER_LINES``)."""
        ...

    async def contact(self, identity: Identity, contact_id: UUID) -> ContactContext: ...

    async def organization(self, identity: Identity) -> OrganizationRef: ...

    async def organizations(self, identity: Identity) -> list[OrganizationRef]: ...


class Templates(Protocol):
    async def get_template(self, identity: Identity, template_id: UUID) -> TemplateInfo | None: ...

    async def auto_rules(self, identity: Identity) -> list[AutoRule]: ...


class Documents(Protocol):
    async def combined_letters(
        self, identity: Identity, batch_id: UUID, communication_ids: list[UUID]
    ) -> LettersLink: ...
