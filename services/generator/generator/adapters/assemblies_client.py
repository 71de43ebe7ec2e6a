"""The assemblies service, asked for member snapshots (for a template preview)."""

from __future__ import annotations

from uuid import UUID

import httpx

from contracts.snapshots import MemberSnapshot, OrganizationSnapshot
from generator.service_layer.errors import NotFound, UpstreamUnavailable


class AssembliesClient:
    """``POST /internal/members/snapshots {assembly_ids}`` → ``{organization, members}``."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def member_snapshots(
        self, headers: dict[str, str], assembly_ids: list[UUID]
    ) -> tuple[OrganizationSnapshot, list[MemberSnapshot]]:
        try:
            response = await self.http.post(
                "/internal/members/snapshots",
                json={"assembly_ids": [str(a) for a in assembly_ids]},
                headers=headers,
            )
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"the assemblies service cannot be reached: {exc}") from exc
        if response.status_code == 404:
            raise NotFound("assembly not found")
        if response.status_code >= 400:
            raise UpstreamUnavailable(f"the assemblies service answered {response.status_code}")
        body = response.json()
        organization = OrganizationSnapshot.model_validate(body["organization"])
        members = [MemberSnapshot.model_validate(m) for m in body.get("members", [])]
        return organization, members
