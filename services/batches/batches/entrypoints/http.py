"""FastAPI routes of the batches service: parse, call a use case, answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from batches.domain.batch import BatchState, DomainError, ForbiddenTransition
from batches.service_layer import generation, handlers, views
from batches.service_layer.errors import InvalidInput, NotFound, NothingToDo, UpstreamRejected, UpstreamUnavailable
from servicekit.identity import AdminIdentity, CurrentIdentity

router = APIRouter(tags=["batches"])


def _deps(request: Request) -> handlers.Dependencies:
    return request.app.state.deps


Deps = Annotated[handlers.Dependencies, Depends(_deps)]

StatusParam = Literal["generated", "queued", "sending", "sent", "failed", "needs_attention", "skipped", "removed"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateBatch(_Body):
    name: str = Field(min_length=1, max_length=200)
    template_id: UUID
    due_date: date
    filter: dict[str, Any] = Field(default_factory=dict)


class EditBatch(_Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    template_id: UUID | None = None
    due_date: date | None = None


class SendSelection(_Body):
    communication_ids: list[UUID] | None = Field(default=None, min_length=1, max_length=50_000)


class MarkMailed(_Body):
    communication_ids: list[UUID] | None = Field(default=None, min_length=1, max_length=50_000)
    mailed_on: date


class LettersLinkOut(BaseModel):
    url: str
    expires_at: datetime


@router.post("/batches", status_code=201, operation_id="create_batch")
async def create_batch(body: CreateBatch, identity: AdminIdentity, deps: Deps) -> dict[str, Any]:
    batch_id = await handlers.create_batch(
        deps, identity, name=body.name, template_id=body.template_id, due_date=body.due_date, filter=body.filter
    )
    return await views.batch_detail(deps.sessions, identity.org_id, batch_id)


@router.get("/batches", operation_id="list_batches")
async def list_batches(identity: CurrentIdentity, deps: Deps, state: BatchState | None = None) -> dict[str, Any]:
    return await views.list_batches(deps.sessions, identity.org_id, state)


@router.get("/batches/{batch_id}", operation_id="get_batch")
async def get_batch(batch_id: UUID, identity: CurrentIdentity, deps: Deps) -> dict[str, Any]:
    return await views.batch_detail(deps.sessions, identity.org_id, batch_id)


@router.patch("/batches/{batch_id}", operation_id="edit_batch")
async def edit_batch(batch_id: UUID, body: EditBatch, identity: AdminIdentity, deps: Deps) -> dict[str, Any]:
    await handlers.edit_batch(
        deps, identity, batch_id, name=body.name, template_id=body.template_id, due_date=body.due_date
    )
    return await views.batch_detail(deps.sessions, identity.org_id, batch_id)


@router.post("/batches/{batch_id}/generate", status_code=202, operation_id="generate_batch")
async def generate(batch_id: UUID, identity: AdminIdentity, deps: Deps) -> dict[str, Any]:
    started = await generation.generate(deps, identity, batch_id)
    detail = await views.batch_detail(deps.sessions, identity.org_id, batch_id)
    detail["generation"] = started
    return detail


@router.get("/batches/{batch_id}/communications", operation_id="list_batch_communications")
async def communications(
    batch_id: UUID,
    identity: CurrentIdentity,
    deps: Deps,
    status: StatusParam | None = None,
    method: Literal["email", "letter"] | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    return await views.list_communications(
        deps.sessions, identity.org_id, batch_id, status=status, method=method, page=page, page_size=page_size
    )


@router.get("/batches/{batch_id}/skipped", operation_id="list_batch_skipped")
async def skipped(batch_id: UUID, identity: CurrentIdentity, deps: Deps) -> dict[str, Any]:
    return await views.list_skipped(deps.sessions, identity.org_id, batch_id)


@router.post("/batches/{batch_id}/send", status_code=202, operation_id="send_batch")
async def send(
    batch_id: UUID, identity: AdminIdentity, deps: Deps, body: SendSelection | None = None
) -> dict[str, int]:
    return await handlers.send(deps, identity, batch_id, body.communication_ids if body else None)


@router.post("/batches/{batch_id}/retry-failed", status_code=202, operation_id="retry_failed")
async def retry_failed(batch_id: UUID, identity: AdminIdentity, deps: Deps) -> dict[str, int]:
    return await handlers.retry_failed(deps, identity, batch_id)


@router.post("/batches/{batch_id}/letters", operation_id="letters_link")
async def letters(batch_id: UUID, identity: AdminIdentity, deps: Deps) -> LettersLinkOut:
    link = await handlers.letters_link(deps, identity, batch_id)
    return LettersLinkOut(url=link.url, expires_at=link.expires_at)


@router.post("/batches/{batch_id}/letters/mark-mailed", operation_id="mark_letters_mailed")
async def mark_mailed(batch_id: UUID, body: MarkMailed, identity: AdminIdentity, deps: Deps) -> dict[str, int]:
    return await handlers.mark_mailed(deps, identity, batch_id, body.mailed_on, body.communication_ids)


@router.get("/batches/{batch_id}/export.csv", operation_id="export_batch_csv")
async def export_csv(batch_id: UUID, identity: CurrentIdentity, deps: Deps) -> StreamingResponse:
    lines = await views.export_csv(deps.sessions, identity.org_id, batch_id)
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="batch-{batch_id}.csv"'},
    )


@router.post("/batches/{batch_id}/complete", operation_id="complete_batch")
async def complete(batch_id: UUID, identity: AdminIdentity, deps: Deps) -> dict[str, Any]:
    result = await handlers.close_batch(deps, identity, batch_id, BatchState.COMPLETE)
    detail = await views.batch_detail(deps.sessions, identity.org_id, batch_id)
    detail["closed"] = result
    return detail


@router.post("/batches/{batch_id}/archive", operation_id="archive_batch")
async def archive(batch_id: UUID, identity: AdminIdentity, deps: Deps) -> dict[str, Any]:
    result = await handlers.close_batch(deps, identity, batch_id, BatchState.ARCHIVED)
    detail = await views.batch_detail(deps.sessions, identity.org_id, batch_id)
    detail["closed"] = result
    return detail


@router.post("/batches/{batch_id}/clone", status_code=201, operation_id="clone_batch")
async def clone(batch_id: UUID, identity: AdminIdentity, deps: Deps) -> dict[str, Any]:
    new_id = await handlers.clone_batch(deps, identity, batch_id)
    return await views.batch_detail(deps.sessions, identity.org_id, new_id)


@router.get("/batches/{batch_id}/history", operation_id="batch_history")
async def history(batch_id: UUID, identity: CurrentIdentity, deps: Deps) -> dict[str, Any]:
    return await views.history(deps.sessions, identity.org_id, batch_id)


@router.get("/communications", operation_id="communications_about")
async def communications_about(
    identity: CurrentIdentity, deps: Deps, assembly_id: UUID | None = None, location_id: UUID | None = None
) -> dict[str, Any]:
    if assembly_id is None and location_id is None:
        raise InvalidInput("assembly_id", "give assembly_id or location_id", location="query")
    return await views.communications_about(
        deps.sessions, identity.org_id, assembly_id=assembly_id, location_id=location_id
    )


def install_error_handlers(app: FastAPI) -> None:
    """Map the use cases' errors to clear HTTP answers."""

    @app.exception_handler(NotFound)
    async def not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(ForbiddenTransition)
    async def forbidden(_request: Request, exc: ForbiddenTransition) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc), "state": exc.batch_state.value, "allowed_actions": exc.allowed}, status_code=409
        )

    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(NothingToDo)
    async def nothing(_request: Request, exc: NothingToDo) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(InvalidInput)
    async def invalid(_request: Request, exc: InvalidInput) -> JSONResponse:
        detail = [{"loc": [exc.location, exc.field], "msg": exc.message, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(UpstreamRejected)
    async def rejected(_request: Request, exc: UpstreamRejected) -> JSONResponse:
        # e.g. the assemblies service's 422 on a bad filter reaches the caller unchanged
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(UpstreamUnavailable)
    async def unavailable(_request: Request, exc: UpstreamUnavailable) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)
