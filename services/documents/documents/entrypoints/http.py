"""HTTP routes of the documents service: parse, call a use case, answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, BinaryIO
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from documents.domain.links import LinkExpired, LinkRefused
from documents.service_layer.downloads import (
    READ_CHUNK,
    DocumentGone,
    DocumentInPreparation,
    DocumentNotFound,
    IssuedLink,
    LettersNotReady,
    OpenedDocument,
)
from documents.service_layer.handlers import DocumentsService
from servicekit.identity import AdminIdentity, CurrentIdentity

EXPIRED_MESSAGE = "This download link has expired. Open the batch page and request the letters again to get a new link."
PURGED_MESSAGE = (
    "This file was removed after the retention period. Open the batch page and request the "
    "letters again: they will be prepared anew."
)
PREPARING_MESSAGE = "The letters are still being prepared. Try this link again in a minute."
REFUSED_MESSAGE = "This download link is not valid. Request a new one from the batch page."


def _service(request: Request) -> DocumentsService:
    return request.app.state.documents


ServiceDep = Annotated[DocumentsService, Depends(_service)]


class CombinedRequest(BaseModel):
    communication_ids: list[UUID] = Field(min_length=1, max_length=100_000)


class LinkAnswer(BaseModel):
    url: str
    expires_at: datetime
    document_id: UUID
    ready: bool = True
    """False while a large combined PDF is still being built; the link serves it once done."""

    @classmethod
    def of(cls, link: IssuedLink) -> LinkAnswer:
        return cls(url=link.url, expires_at=link.expires_at, document_id=link.document_id, ready=link.ready)


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(READ_CHUNK):
            yield chunk


def _pdf_response(doc: OpenedDocument) -> StreamingResponse:
    return StreamingResponse(
        _chunks(doc.stream),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{doc.filename}"',
            "Content-Length": str(doc.size_bytes),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _fail(exc: Exception) -> HTTPException:
    if isinstance(exc, DocumentNotFound):
        return HTTPException(404, str(exc))
    if isinstance(exc, LettersNotReady):
        return HTTPException(409, str(exc))
    if isinstance(exc, DocumentGone):
        return HTTPException(410, PURGED_MESSAGE)
    raise exc


router = APIRouter()


@router.post(
    "/internal/batches/{batch_id}/combined",
    operation_id="request_combined_letters",
    response_model=LinkAnswer,
    tags=["internal"],
)
async def request_combined(
    batch_id: UUID, body: CombinedRequest, identity: AdminIdentity, service: ServiceDep
) -> LinkAnswer:
    """A fresh signed link to the combined PDF of these letters, ordered by postal code."""
    try:
        link = await service.request_combined(identity.org_id, batch_id, body.communication_ids)
    except (DocumentNotFound, LettersNotReady) as exc:
        raise _fail(exc) from exc
    return LinkAnswer.of(link)


@router.post(
    "/internal/letters/combined",
    operation_id="request_combined_letters_of_selection",
    response_model=LinkAnswer,
    tags=["internal"],
)
async def request_combined_selection(body: CombinedRequest, identity: AdminIdentity, service: ServiceDep) -> LinkAnswer:
    """The same for letters outside one batch (auto-generated and one-time communications)."""
    try:
        link = await service.request_combined(identity.org_id, None, body.communication_ids)
    except (DocumentNotFound, LettersNotReady) as exc:
        raise _fail(exc) from exc
    return LinkAnswer.of(link)


@router.post(
    "/internal/communications/{communication_id}/link",
    operation_id="request_letter_link",
    response_model=LinkAnswer,
    tags=["internal"],
)
async def request_letter_link(communication_id: UUID, identity: CurrentIdentity, service: ServiceDep) -> LinkAnswer:
    """A fresh signed link to one letter."""
    try:
        link = await service.request_letter_link(identity.org_id, communication_id)
    except DocumentNotFound as exc:
        raise _fail(exc) from exc
    return LinkAnswer.of(link)


@router.get(
    "/internal/communications/{communication_id}/document",
    operation_id="get_letter_pdf",
    tags=["internal"],
    response_class=StreamingResponse,
)
async def letter_pdf(communication_id: UUID, identity: CurrentIdentity, service: ServiceDep) -> StreamingResponse:
    """The PDF of one letter communication (rendered again if its file was purged)."""
    try:
        return _pdf_response(await service.letter_pdf(identity.org_id, communication_id))
    except (DocumentNotFound, DocumentGone) as exc:
        raise _fail(exc) from exc


@router.get(
    "/internal/documents/{document_id}",
    operation_id="get_document_pdf",
    tags=["internal"],
    response_class=StreamingResponse,
)
async def document_pdf(document_id: UUID, identity: CurrentIdentity, service: ServiceDep) -> StreamingResponse:
    """A document's PDF bytes (delivery attaches letters to emails)."""
    try:
        return _pdf_response(await service.document_pdf(identity.org_id, document_id))
    except (DocumentNotFound, DocumentGone) as exc:
        raise _fail(exc) from exc


@router.get(
    "/documents/{token}",
    operation_id="download_document",
    tags=["downloads"],
    response_class=StreamingResponse,
    responses={
        403: {"description": "altered link"},
        410: {"description": "expired link, or file purged"},
        503: {"description": "combined PDF still being prepared (Retry-After)"},
    },
)
async def download(token: str, service: ServiceDep) -> StreamingResponse:
    """The PDF behind a signed link; no login: the signature is the permission."""
    try:
        return _pdf_response(await service.open_link(token))
    except LinkRefused as exc:
        raise HTTPException(403, REFUSED_MESSAGE) from exc
    except LinkExpired as exc:
        raise HTTPException(410, EXPIRED_MESSAGE) from exc
    except DocumentInPreparation as exc:
        raise HTTPException(503, PREPARING_MESSAGE, headers={"Retry-After": "30"}) from exc
    except (DocumentNotFound, DocumentGone) as exc:
        raise _fail(exc) from exc
