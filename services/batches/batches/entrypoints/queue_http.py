"""FastAPI routes of auto runs, Create Log, the unsent queue and Communications with Errors."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from batches.service_layer import handlers, queue, queue_actions, queue_views
from servicekit.identity import AdminIdentity, CurrentIdentity

router = APIRouter(tags=["auto and one-time communications"])


def _deps(request: Request) -> handlers.Dependencies:
    return request.app.state.deps


Deps = Annotated[handlers.Dependencies, Depends(_deps)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AutoRunRequest(_Body):
    on: date | None = None
    """The day to run for (default: the organization's today); tests and catch-ups inject it."""
    communication_type_id: UUID | None = None


class Selection(_Body):
    communication_ids: list[UUID] = Field(min_length=1, max_length=50_000)


class OptionalSelection(_Body):
    communication_ids: list[UUID] | None = Field(default=None, min_length=1, max_length=50_000)


class MarkMailed(_Body):
    communication_ids: list[UUID] | None = Field(default=None, min_length=1, max_length=50_000)
    mailed_on: date


class OneTime(_Body):
    contact_id: UUID
    template_id: UUID
    method: Literal["email", "letter"]
    additional_contents: str = Field(default="", max_length=20_000)
    assembly_id: UUID | None = None
    """Optional: write about this assembly only (default: every assembly at the contact's location)."""


class LinkOut(BaseModel):
    url: str
    expires_at: datetime


@router.post("/auto-runs", operation_id="run_auto_now")
async def run_auto_now(body: AutoRunRequest, identity: AdminIdentity, deps: Deps) -> dict[str, Any]:
    """Run the daily auto-generation now for the organization (each type once per day)."""
    return await queue.run_auto(deps, identity, on=body.on, communication_type_id=body.communication_type_id)


@router.get("/auto-runs", operation_id="list_auto_runs")
async def list_auto_runs(
    identity: CurrentIdentity, deps: Deps, on: date | None = None, communication_type_id: UUID | None = None
) -> dict[str, Any]:
    return await queue_views.auto_runs(
        deps.sessions, identity.org_id, on=on, communication_type_id=communication_type_id
    )


@router.get("/communications/unsent", operation_id="list_unsent_communications")
async def list_unsent(
    identity: CurrentIdentity,
    deps: Deps,
    type: UUID | None = None,
    method: Literal["email", "letter"] | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    return await queue_views.unsent(
        deps.sessions, identity.org_id, communication_type_id=type, method=method, page=page, page_size=page_size
    )


@router.post("/communications/send", status_code=202, operation_id="send_unsent_communications")
async def send_unsent(body: Selection, identity: AdminIdentity, deps: Deps) -> dict[str, int]:
    return await queue_actions.send_queued(deps, identity, body.communication_ids)


@router.post("/communications/letters", operation_id="unsent_letters_link")
async def unsent_letters(identity: AdminIdentity, deps: Deps, body: OptionalSelection | None = None) -> LinkOut:
    link = await queue_actions.queued_letters_link(deps, identity, body.communication_ids if body else None)
    return LinkOut(url=link.url, expires_at=link.expires_at)


@router.post("/communications/mark-mailed", operation_id="mark_unsent_letters_mailed")
async def mark_mailed(body: MarkMailed, identity: AdminIdentity, deps: Deps) -> dict[str, int]:
    return await queue_actions.mark_queued_mailed(deps, identity, body.mailed_on, body.communication_ids)


@router.get("/communications/errors", operation_id="list_communications_with_errors")
async def list_errors(
    identity: CurrentIdentity,
    deps: Deps,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    return await queue_views.errors(deps.sessions, identity.org_id, page=page, page_size=page_size)


@router.post("/communications/retry", status_code=202, operation_id="retry_failed_communications")
async def retry(body: Selection, identity: AdminIdentity, deps: Deps) -> dict[str, Any]:
    """Send the named failed emails again, to each contact's current email address."""
    return await queue_actions.retry_failed_emails(deps, identity, body.communication_ids)


@router.post("/communications/one-time", status_code=202, operation_id="create_one_time_communication")
async def one_time(body: OneTime, identity: AdminIdentity, deps: Deps) -> dict[str, Any]:
    """Create Log: one communication to one contact; an email is sent as soon as it is generated."""
    job_id = await queue.create_one_time(
        deps,
        identity,
        contact_id=body.contact_id,
        template_id=body.template_id,
        method=body.method,
        additional_contents=body.additional_contents,
        assembly_id=body.assembly_id,
    )
    return await queue_views.job_detail(deps.sessions, identity.org_id, job_id)


@router.get("/communications/jobs/{job_id}", operation_id="get_communication_job")
async def job(job_id: UUID, identity: CurrentIdentity, deps: Deps) -> dict[str, Any]:
    """An auto run or a one-time communication: its state and the communications it made."""
    return await queue_views.job_detail(deps.sessions, identity.org_id, job_id)
