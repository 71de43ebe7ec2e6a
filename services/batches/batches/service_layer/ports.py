"""What the use cases need from other services; adapters implement these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from contracts.snapshots import MemberSnapshot, OrganizationSnapshot
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


@dataclass(frozen=True)
class LettersLink:
    url: str
    expires_at: datetime
    document_id: UUID | None = None


class Assemblies(Protocol):
    async def resolve_members(self, identity: Identity, filter: dict[str, Any]) -> ResolvedMembers: ...

    async def member_snapshots(
        self, identity: Identity, assembly_ids: list[UUID]
    ) -> tuple[OrganizationSnapshot, list[MemberSnapshot]]: ...


class Templates(Protocol):
    async def get_template(self, identity: Identity, template_id: UUID) -> TemplateInfo | None: ...


class Documents(Protocol):
    async def combined_letters(
        self, identity: Identity, batch_id: UUID, communication_ids: list[UUID]
    ) -> LettersLink: ...
