"""httpx clients of the assemblies, generator and documents services' internal endpoints."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
from pydantic import BaseModel, ConfigDict

from batches.domain.queue import AutoRule
from batches.service_layer.errors import UpstreamRejected, UpstreamUnavailable
from batches.service_layer.ports import ContactContext, LettersLink, OrganizationRef, ResolvedMembers, TemplateInfo
from contracts.snapshots import (
    MEMBER_LINES,
    AssemblySnapshot,
    ContactSnapshot,
    LocationSnapshot,
    MemberSnapshot,
    OrganizationSnapshot,
    read_member_lines,
)
from servicekit.identity import Identity
from servicekit.service_client import identity_headers


class _SnapshotPage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    organization: OrganizationSnapshot
    members: list[MemberSnapshot]


class _ContactPage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    organization: OrganizationSnapshot
    contact: ContactSnapshot
    location: LocationSnapshot
    assemblies: list[AssemblySnapshot]


def _detail(response: httpx.Response) -> Any:
    try:
        return response.json().get("detail", response.text)
    except ValueError:
        return response.text


class _Client:
    service = "upstream"

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def _call(
        self, method: str, path: str, identity: Identity, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        try:
            headers = {**identity_headers(identity), **(headers or {})}
            response = await self.client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(self.service, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500:
            raise UpstreamUnavailable(self.service, f"HTTP {response.status_code}")
        return response

    def _reject(self, response: httpx.Response) -> UpstreamRejected:
        return UpstreamRejected(self.service, response.status_code, _detail(response))


class AssembliesClient(_Client):
    service = "assemblies"

    async def resolve_members(self, identity: Identity, filter: dict[str, Any]) -> ResolvedMembers:
        response = await self._call("POST", "/internal/members/resolve", identity, json={"filter": filter})
        if response.status_code != 200:
            raise self._reject(response)
        body = response.json()
        return ResolvedMembers(
            assembly_ids=[UUID(str(i)) for i in body["assembly_ids"]], filter=body.get("filter", filter)
        )

    async def member_snapshots(
        self, identity: Identity, assembly_ids: list[UUID]
    ) -> tuple[OrganizationSnapshot, list[MemberSnapshot]]:
        response = await self._call(
            "POST", "/internal/members/snapshots", identity, json={"assembly_ids": [str(i) for i in assembly_ids]}
        )
        if response.status_code != 200:
            raise self._reject(response)
        # parsed straight from the bytes: a page is up to 1000 members with their contacts
        page = _SnapshotPage.model_validate_json(response.content)
        return page.organization, page.members

    async def member_snapshot_lines(
        self, identity: Identity, assembly_ids: list[UUID]
    ) -> tuple[dict[str, Any], list[tuple[str, str, bytes]]]:
        response = await self._call(
            "POST",
            "/internal/members/snapshots",
            identity,
            json={"assembly_ids": [str(i) for i in assembly_ids]},
            headers={"Accept": MEMBER_LINES},
        )
        if response.status_code != 200:
            raise self._reject(response)
        try:
            organization, members = read_member_lines(response.content)
            return json.loads(organization), members
        except ValueError as exc:
            raise UpstreamUnavailable(self.service, f"member snapshots are not snapshot lines: {exc}") from exc

    async def contact(self, identity: Identity, contact_id: UUID) -> ContactContext:
        response = await self._call("GET", f"/internal/contacts/{contact_id}", identity)
        if response.status_code != 200:
            raise self._reject(response)
        page = _ContactPage.model_validate_json(response.content)
        return ContactContext(page.organization, page.contact, page.location, page.assemblies)

    async def organization(self, identity: Identity) -> OrganizationRef:
        response = await self._call("GET", "/organization", identity)
        if response.status_code != 200:
            raise self._reject(response)
        body = response.json()
        return OrganizationRef(UUID(str(body["id"])), body.get("name", ""), body.get("timezone") or "UTC")

    async def organizations(self, identity: Identity) -> list[OrganizationRef]:
        response = await self._call("GET", "/internal/organizations", identity)
        if response.status_code != 200:
            raise self._reject(response)
        return [
            OrganizationRef(UUID(str(o["id"])), o.get("name", ""), o.get("timezone") or "UTC") for o in response.json()
        ]


class GeneratorClient(_Client):
    service = "generator"

    async def get_template(self, identity: Identity, template_id: UUID) -> TemplateInfo | None:
        response = await self._call("GET", f"/internal/templates/{template_id}", identity)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._reject(response)
        body = response.json()
        type_id = body.get("communication_type_id")
        return TemplateInfo(
            id=UUID(str(body["id"])),
            name=body.get("name", ""),
            version=int(body.get("version", 1)),
            published=bool(body.get("published", False)),
            communication_type_id=UUID(str(type_id)) if type_id else None,
            members_per_chunk=int(body["members_per_chunk"]) if body.get("members_per_chunk") else None,
        )

    async def auto_rules(self, identity: Identity) -> list[AutoRule]:
        response = await self._call("GET", "/internal/communication-types", identity, params={"trigger": "auto"})
        if response.status_code != 200:
            raise self._reject(response)
        rules = []
        for t in response.json():
            template = t.get("template") or {}
            rules.append(
                AutoRule(
                    communication_type_id=UUID(str(t["id"])),
                    name=t.get("name", ""),
                    offset_days=int(t.get("offset_days") or 0),
                    suppression_days=int(t.get("suppression_days") or 0),
                    template_id=UUID(str(template["id"])) if template.get("id") else None,
                    template_version=int(template["version"]) if template.get("version") else None,
                    template_name=template.get("name", ""),
                )
            )
        return rules


class DocumentsClient(_Client):
    service = "documents"

    async def combined_letters(self, identity: Identity, batch_id: UUID, communication_ids: list[UUID]) -> LettersLink:
        response = await self._call(
            "POST",
            f"/internal/batches/{batch_id}/combined",
            identity,
            json={"communication_ids": [str(i) for i in communication_ids]},
        )
        if response.status_code not in (200, 201):
            raise self._reject(response)
        body = response.json()
        document_id = body.get("document_id")
        return LettersLink(
            url=body["url"],
            expires_at=datetime.fromisoformat(str(body["expires_at"]).replace("Z", "+00:00")),
            document_id=UUID(str(document_id)) if document_id else None,
        )
