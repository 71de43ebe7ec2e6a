"""HTTP routes of the assemblies service: parse, call a use case, answer.

Public routes (the gateway maps ``/api/assemblies`` to ``/assemblies`` and so on) and the
internal ones other services call (``/internal/...``, never routed by the gateway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, File, HTTPException, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assemblies.adapters import orm
from assemblies.config import Settings
from assemblies.domain.working_list import FilterError, parse_filter, parse_list_request
from assemblies.service_layer import csv_import, queries
from assemblies.service_layer.errors import InvalidInput, NotFound
from contracts.snapshots import (
    MEMBER_LINES,
    AssemblySnapshot,
    ContactSnapshot,
    LocationSnapshot,
    MemberSnapshot,
)
from contracts.snapshots import OrganizationSnapshot as OrganizationSnapshotModel
from servicekit.clock import Clock
from servicekit.identity import AdminIdentity, CurrentIdentity


@dataclass
class AppContext:
    """What the routes need, built once by the bootstrap."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    settings: Settings


def _context(request: Request) -> AppContext:
    return request.app.state.assemblies


Context = Annotated[AppContext, Depends(_context)]


def install_error_handlers(app: Any) -> None:
    async def filter_error(_request: Request, exc: FilterError) -> JSONResponse:
        return JSONResponse({"detail": [{"loc": ["query", exc.field], "msg": exc.message}]}, status_code=422)

    async def invalid_input(_request: Request, exc: InvalidInput) -> JSONResponse:
        return JSONResponse({"detail": [{"loc": ["body", exc.field], "msg": exc.message}]}, status_code=422)

    async def not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    app.add_exception_handler(FilterError, filter_error)
    app.add_exception_handler(InvalidInput, invalid_input)
    app.add_exception_handler(NotFound, not_found)


def _query_lists(request: Request) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        values.setdefault(key, []).append(value)
    return values


public = APIRouter(tags=["assemblies"])


@public.get("/assemblies", operation_id="list_assemblies")
async def list_assemblies(request: Request, identity: CurrentIdentity, ctx: Context) -> dict[str, Any]:
    """The working list: every filter of DOMAIN.md (lists as repeated keys), sort, page and total."""
    list_request = parse_list_request(_query_lists(request))
    async with ctx.sessions() as session:
        return await queries.list_assemblies(session, identity.org_id, list_request, ctx.clock.today())


@public.get("/assemblies/{assembly_id}", operation_id="get_assembly")
async def get_assembly(assembly_id: UUID, identity: CurrentIdentity, ctx: Context) -> dict[str, Any]:
    """One assembly with its location and contacts (communication history comes from batches)."""
    async with ctx.sessions() as session:
        return await queries.assembly_detail(session, identity.org_id, assembly_id, ctx.clock.today())


@public.post("/assemblies/import", operation_id="import_assemblies")
async def import_assemblies(
    identity: AdminIdentity, ctx: Context, file: Annotated[UploadFile, File(description="CSV, UTF-8")]
) -> dict[str, Any]:
    """Import a CSV (docs/csv-import.md); answers counts and each bad row with its line and reason."""
    limit = ctx.settings.import_max_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput("file", f"is larger than the {limit} bytes an import accepts")
    async with ctx.sessions.begin() as session:
        report = await csv_import.import_csv(session, identity.org_id, data, limit)
    return report.as_dict()


@public.get("/locations/{location_id}", operation_id="get_location")
async def get_location(location_id: UUID, identity: CurrentIdentity, ctx: Context) -> dict[str, Any]:
    """One location with its contacts and assemblies."""
    async with ctx.sessions() as session:
        return await queries.location_detail(session, identity.org_id, location_id, ctx.clock.today())


@public.get("/service-areas", operation_id="list_service_areas")
async def list_service_areas(identity: CurrentIdentity, ctx: Context) -> list[dict[str, Any]]:
    """The organization's zones, by name."""
    async with ctx.sessions() as session:
        return await queries.service_areas(session, identity.org_id)


@public.get("/organization", operation_id="get_organization")
async def get_organization(identity: CurrentIdentity, ctx: Context) -> dict[str, Any]:
    """The caller's organization: name, mailing address, sender addresses, phone, letterhead."""
    async with ctx.sessions() as session:
        return await queries.organization_view(session, identity.org_id)


# ------------------------------------------------------------------ internal (service callers)

internal = APIRouter(prefix="/internal", tags=["internal"])


class ResolveMembers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filter: dict[str, Any] = Field(default_factory=dict)


class ResolvedMembers(BaseModel):
    assembly_ids: list[UUID]
    count: int
    filter: dict[str, Any]
    """The filter as applied, normalized (store this with the batch)."""
    resolved_on: str


class SnapshotsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assembly_ids: list[UUID]


class MemberSnapshots(BaseModel):
    organization: OrganizationSnapshotModel
    members: list[MemberSnapshot]


class ContactWithContext(BaseModel):
    organization: OrganizationSnapshotModel
    contact: ContactSnapshot
    location: LocationSnapshot
    assemblies: list[AssemblySnapshot]


@internal.post("/members/resolve", operation_id="resolve_members", response_model=ResolvedMembers)
async def resolve_members(body: ResolveMembers, identity: CurrentIdentity, ctx: Context) -> dict[str, Any]:
    """Every assembly id the filter matches today, in account number order, with the count."""
    try:
        f = parse_filter(body.filter)
    except FilterError as exc:
        raise InvalidInput(f"filter.{exc.field}", exc.message) from exc
    async with ctx.sessions() as session:
        resolved = await queries.resolve_members(session, identity.org_id, f, ctx.clock.today())
    resolved["resolved_on"] = resolved["resolved_on"].isoformat()
    return resolved


@internal.post("/members/snapshots", operation_id="member_snapshots", response_model=MemberSnapshots)
async def member_snapshots(
    body: SnapshotsRequest, identity: CurrentIdentity, ctx: Context, request: Request
) -> Response:
    """Assemblies (at most ``snapshot_max_ids`` per call) with their location and contacts.

    The page is written as JSON with the keys of ``MemberSnapshots`` (by PostgreSQL itself when
    it is the database) and sent as it is, without validating a thousand members against the models.
    With ``Accept: application/x-ndjson`` the answer is lines (``contracts.snapshots.MEMBER_LINES``),
    which batches splices into its generation requests without parsing the members."""
    lines = MEMBER_LINES in request.headers.get("accept", "")
    async with ctx.sessions() as session:
        page = await queries.member_snapshots_body(
            session,
            identity.org_id,
            body.assembly_ids,
            ctx.clock.today(),
            ctx.settings.snapshot_max_ids,
            lines=lines,
        )
    return Response(page, media_type=MEMBER_LINES if lines else "application/json")


class OrganizationRef(BaseModel):
    id: UUID
    name: str
    timezone: str


@internal.get("/organizations", operation_id="list_organizations", response_model=list[OrganizationRef])
async def list_organizations(identity: CurrentIdentity, ctx: Context) -> list[dict[str, Any]]:
    """Every organization's id, name and timezone, for schedulers (batches' daily auto run).

    Crosses organizations by nature, so only an internal ``service`` caller may ask.
    """
    if identity.role != "service":
        raise HTTPException(status_code=403, detail="only services may list organizations")
    async with ctx.sessions() as session:
        rows = await session.execute(
            select(orm.organizations.c.id, orm.organizations.c.name, orm.organizations.c.timezone).order_by(
                orm.organizations.c.id
            )
        )
        return [{"id": r.id, "name": r.name, "timezone": r.timezone or "UTC"} for r in rows]


@internal.get("/contacts/{contact_id}", operation_id="contact_snapshot", response_model=ContactWithContext)
async def contact_snapshot(contact_id: UUID, identity: CurrentIdentity, ctx: Context) -> dict[str, Any]:
    """One contact with its organization, location and the location's assemblies."""
    async with ctx.sessions() as session:
        return await queries.contact_with_context(session, identity.org_id, contact_id, ctx.clock.today())
