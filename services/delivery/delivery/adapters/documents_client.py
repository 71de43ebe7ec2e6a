"""The documents service, as delivery needs it: the PDF bytes of one letter.

Contract: ``GET {documents_url}/internal/documents/{document_id}`` with a ``service``
identity token for the organization answers ``200`` with ``application/pdf`` bytes,
``404`` when the document does not exist (yet) in that organization.
"""

from __future__ import annotations

from uuid import UUID

import httpx

from delivery.service_layer.ports import DocumentUnavailable
from servicekit.service_client import identity_headers, service_http_client


class DocumentsClient:
    def __init__(self, base_url: str, identity_secret: str, timeout: float = 30.0) -> None:
        self._client = service_http_client(base_url, timeout=timeout)
        self._secret = identity_secret

    async def letter_pdf(self, org_id: UUID, document_id: UUID) -> bytes:
        try:
            answer = await self._client.get(
                f"/internal/documents/{document_id}", headers=identity_headers(secret=self._secret, org_id=org_id)
            )
        except httpx.HTTPError as exc:
            raise DocumentUnavailable(f"documents service unreachable: {type(exc).__name__}: {exc}") from exc
        if answer.status_code != 200:
            raise DocumentUnavailable(f"document {document_id}: documents answered {answer.status_code}")
        return answer.content

    async def close(self) -> None:
        await self._client.aclose()
