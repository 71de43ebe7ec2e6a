"""HTTP routes of the generator: communication types, templates, preview, and the internal template check."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from contracts.events import GeneratedCommunication, SkippedMember
from contracts.snapshots import ContactType
from generator.domain.communication_type import DEFAULT_SUPPRESSION_DAYS, CommunicationType
from generator.domain.template import Template, TemplateVersion, members_per_chunk
from generator.service_layer.catalog import Catalog
from generator.service_layer.errors import Conflict, InvalidInput, NotFound, UpstreamUnavailable
from generator.service_layer.generation import CHUNK_RESULT_BUDGET
from servicekit.identity import AdminIdentity, CurrentIdentity
from servicekit.service_client import identity_headers

MethodName = Literal["email", "letter"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CommunicationTypeIn(_In):
    name: str = Field(min_length=1, max_length=200)
    source: Literal["assembly", "location", "ad_hoc"] = "assembly"
    trigger: Literal["batch", "auto"] = "batch"
    offset_days: int | None = None
    suppression_days: int = DEFAULT_SUPPRESSION_DAYS


class CommunicationTypeUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    source: Literal["assembly", "location", "ad_hoc"] | None = None
    trigger: Literal["batch", "auto"] | None = None
    offset_days: int | None = None
    suppression_days: int | None = None


class CommunicationTypeOut(BaseModel):
    id: UUID
    name: str
    source: str
    trigger: str
    offset_days: int | None
    suppression_days: int
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, ct: CommunicationType) -> CommunicationTypeOut:
        return cls(**{k: getattr(ct, k) for k in cls.model_fields})


class TemplateSettingsIn(_In):
    contact_types: list[ContactType] = ["owner"]
    methods: list[MethodName] = ["email", "letter"]
    use_primary_contact: bool = False
    first_available_method_only: bool = False
    group_by_location: bool = False
    include_pdf_in_email: bool = False
    cc: list[str] = []
    bcc: list[str] = []


class TemplateSettingsPatch(_In):
    contact_types: list[ContactType] | None = None
    methods: list[MethodName] | None = None
    use_primary_contact: bool | None = None
    first_available_method_only: bool | None = None
    group_by_location: bool | None = None
    include_pdf_in_email: bool | None = None
    cc: list[str] | None = None
    bcc: list[str] | None = None


class TemplateIn(_In):
    communication_type_id: UUID
    name: str = Field(min_length=1, max_length=200)
    settings: TemplateSettingsIn = TemplateSettingsIn()
    email_subject: str = ""
    email_body_text: str = ""
    email_body_html: str = ""
    letter_body: str = ""


class TemplateUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: TemplateSettingsPatch | None = None
    email_subject: str | None = None
    email_body_text: str | None = None
    email_body_html: str | None = None
    letter_body: str | None = None


class TemplateOut(BaseModel):
    id: UUID
    communication_type_id: UUID
    name: str
    version: int
    published: bool
    published_at: datetime | None
    settings: dict[str, Any]
    email_subject: str
    email_body_text: str
    email_body_html: str
    letter_body: str
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, t: Template) -> TemplateOut:
        return cls(
            id=t.id,
            communication_type_id=t.communication_type_id,
            name=t.name,
            version=t.version,
            published=t.published,
            published_at=t.published_at,
            settings=t.settings.to_dict(),
            email_subject=t.content.email_subject,
            email_body_text=t.content.email_body_text,
            email_body_html=t.content.email_body_html,
            letter_body=t.content.letter_body,
            created_at=t.created_at,
            updated_at=t.updated_at,
        )


class TemplateVersionOut(BaseModel):
    """One saved version, exactly as batches that recorded it render it."""

    template_id: UUID
    version: int
    name: str
    settings: dict[str, Any]
    email_subject: str
    email_body_text: str
    email_body_html: str
    letter_body: str
    created_at: datetime | None

    @classmethod
    def of(cls, v: TemplateVersion) -> TemplateVersionOut:
        return cls(
            template_id=v.template_id,
            version=v.version,
            name=v.name,
            settings=v.settings.to_dict(),
            email_subject=v.content.email_subject,
            email_body_text=v.content.email_body_text,
            email_body_html=v.content.email_body_html,
            letter_body=v.content.letter_body,
            created_at=v.created_at,
        )


class TemplateCheck(BaseModel):
    """What batches needs to accept a template for a batch."""

    id: UUID
    name: str
    version: int
    published: bool
    communication_type_id: UUID
    settings: dict[str, Any]
    members_per_chunk: int
    """The most members a generation request for this template should carry: its result then
    stays well under the largest message (``domain.template.members_per_chunk``)."""


class PreviewIn(_In):
    assembly_id: UUID
    version: int | None = Field(default=None, ge=1)
    due_date: date | None = None
    batch_name: str | None = Field(default=None, max_length=200)


class PreviewOut(BaseModel):
    template_id: UUID
    version: int
    communications: list[GeneratedCommunication]
    skipped: list[SkippedMember]


def _catalog(request: Request) -> Catalog:
    return request.app.state.catalog


CatalogDep = Annotated[Catalog, Depends(_catalog)]


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(exclude_unset=True)


router = APIRouter()


@router.get("/communication-types", operation_id="list_communication_types", tags=["communication types"])
async def list_communication_types(identity: CurrentIdentity, catalog: CatalogDep) -> list[CommunicationTypeOut]:
    return [CommunicationTypeOut.of(ct) for ct in await catalog.list_types(identity.org_id)]


@router.post(
    "/communication-types", status_code=201, operation_id="create_communication_type", tags=["communication types"]
)
async def create_communication_type(
    body: CommunicationTypeIn, identity: AdminIdentity, catalog: CatalogDep
) -> CommunicationTypeOut:
    return CommunicationTypeOut.of(await catalog.create_type(identity.org_id, body.model_dump()))


@router.get("/communication-types/{type_id}", operation_id="get_communication_type", tags=["communication types"])
async def get_communication_type(type_id: UUID, identity: CurrentIdentity, catalog: CatalogDep) -> CommunicationTypeOut:
    return CommunicationTypeOut.of(await catalog.get_type(identity.org_id, type_id))


@router.put("/communication-types/{type_id}", operation_id="update_communication_type", tags=["communication types"])
async def update_communication_type(
    type_id: UUID, body: CommunicationTypeUpdate, identity: AdminIdentity, catalog: CatalogDep
) -> CommunicationTypeOut:
    return CommunicationTypeOut.of(await catalog.update_type(identity.org_id, type_id, _dump(body)))


@router.get("/templates", operation_id="list_templates", tags=["templates"])
async def list_templates(
    identity: CurrentIdentity, catalog: CatalogDep, communication_type_id: Annotated[UUID | None, Query()] = None
) -> list[TemplateOut]:
    return [TemplateOut.of(t) for t in await catalog.list_templates(identity.org_id, communication_type_id)]


@router.post("/templates", status_code=201, operation_id="create_template", tags=["templates"])
async def create_template(body: TemplateIn, identity: AdminIdentity, catalog: CatalogDep) -> TemplateOut:
    return TemplateOut.of(await catalog.create_template(identity.org_id, body.model_dump()))


@router.get("/templates/{template_id}", operation_id="get_template", tags=["templates"])
async def get_template(template_id: UUID, identity: CurrentIdentity, catalog: CatalogDep) -> TemplateOut:
    return TemplateOut.of(await catalog.get_template(identity.org_id, template_id))


@router.put("/templates/{template_id}", operation_id="update_template", tags=["templates"])
async def update_template(
    template_id: UUID, body: TemplateUpdate, identity: AdminIdentity, catalog: CatalogDep
) -> TemplateOut:
    changes = _dump(body)
    if body.settings is not None:
        changes["settings"] = body.settings.model_dump(exclude_unset=True)
    return TemplateOut.of(await catalog.update_template(identity.org_id, template_id, changes))


@router.get("/templates/{template_id}/versions", operation_id="list_template_versions", tags=["templates"])
async def list_template_versions(
    template_id: UUID, identity: CurrentIdentity, catalog: CatalogDep
) -> list[TemplateVersionOut]:
    return [TemplateVersionOut.of(v) for v in await catalog.template_versions(identity.org_id, template_id)]


@router.get("/templates/{template_id}/versions/{version}", operation_id="get_template_version", tags=["templates"])
async def get_template_version(
    template_id: UUID, version: int, identity: CurrentIdentity, catalog: CatalogDep
) -> TemplateVersionOut:
    return TemplateVersionOut.of(await catalog.template_version(identity.org_id, template_id, version))


@router.post("/templates/{template_id}/publish", operation_id="publish_template", tags=["templates"])
async def publish_template(template_id: UUID, identity: AdminIdentity, catalog: CatalogDep) -> TemplateOut:
    return TemplateOut.of(await catalog.publish_template(identity.org_id, template_id))


@router.post("/templates/{template_id}/preview", operation_id="preview_template", tags=["templates"])
async def preview_template(
    template_id: UUID, body: PreviewIn, identity: CurrentIdentity, catalog: CatalogDep
) -> PreviewOut:
    _, version, communications, skipped = await catalog.preview(
        identity.org_id,
        template_id,
        body.assembly_id,
        headers=identity_headers(identity),
        version=body.version,
        due_date=body.due_date,
        batch_name=body.batch_name,
    )
    return PreviewOut(template_id=template_id, version=version, communications=communications, skipped=skipped)


@router.get("/internal/templates/{template_id}", operation_id="check_template", tags=["internal"])
async def check_template(template_id: UUID, identity: CurrentIdentity, catalog: CatalogDep) -> TemplateCheck:
    t = await catalog.get_template(identity.org_id, template_id)
    return TemplateCheck(
        id=t.id,
        name=t.name,
        version=t.version,
        published=t.published,
        communication_type_id=t.communication_type_id,
        settings=t.settings.to_dict(),
        members_per_chunk=members_per_chunk(t.settings, t.content, CHUNK_RESULT_BUDGET),
    )


class PublishedTemplateRef(BaseModel):
    id: UUID
    name: str
    version: int


class CommunicationTypeRule(BaseModel):
    """A communication type with its published template: what an auto run needs."""

    id: UUID
    name: str
    trigger: str
    offset_days: int | None
    suppression_days: int
    template: PublishedTemplateRef | None


@router.get("/internal/communication-types", operation_id="communication_type_rules", tags=["internal"])
async def communication_type_rules(
    identity: CurrentIdentity,
    catalog: CatalogDep,
    trigger: Annotated[Literal["batch", "auto"] | None, Query()] = None,
) -> list[CommunicationTypeRule]:
    """The organization's communication types (``trigger=auto``: the auto rules), each with its published template."""
    published = {t.communication_type_id: t for t in await catalog.list_templates(identity.org_id) if t.published}
    rules = []
    for ct in await catalog.list_types(identity.org_id):
        if trigger is not None and ct.trigger != trigger:
            continue
        t = published.get(ct.id)
        rules.append(
            CommunicationTypeRule(
                id=ct.id,
                name=ct.name,
                trigger=ct.trigger,
                offset_days=ct.offset_days,
                suppression_days=ct.suppression_days,
                template=PublishedTemplateRef(id=t.id, name=t.name, version=t.version) if t else None,
            )
        )
    return rules


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc) or "not found"}, status_code=404)

    @app.exception_handler(Conflict)
    async def conflict(_request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(UpstreamUnavailable)
    async def upstream(_request: Request, exc: UpstreamUnavailable) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=502)

    @app.exception_handler(InvalidInput)
    async def invalid(_request: Request, exc: InvalidInput) -> JSONResponse:
        detail = []
        for e in exc.errors:
            item: dict[str, Any] = {
                "loc": ["body", *e.field.split(".")],
                "msg": e.message,
                "type": "value_error",
            }
            if e.line is not None:
                item["line"] = e.line
            if e.merge_field is not None:
                item["merge_field"] = e.merge_field
            detail.append(item)
        return JSONResponse({"detail": detail}, status_code=422)
