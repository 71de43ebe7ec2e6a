"""httpx clients for service-to-service calls, carrying an identity token."""

from __future__ import annotations

from uuid import UUID

import httpx

from servicekit.identity import HEADER, Identity, issue_identity_token


def identity_headers(
    identity: Identity | None = None, *, secret: str = "", org_id: UUID | None = None
) -> dict[str, str]:
    """Forward the caller's token, or mint a short ``service`` token for ``org_id``."""
    if identity is not None and identity.token:
        return {HEADER: identity.token}
    if org_id is None:
        raise ValueError("an identity or an org_id is needed")
    return {HEADER: issue_identity_token(secret, org_id=org_id, role="service", ttl_seconds=60)}


def service_http_client(base_url: str, timeout: float = 30.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=httpx.Limits(max_connections=50))
