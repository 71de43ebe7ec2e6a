"""Use cases of communication types and templates: create, change, version, publish, preview."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, Protocol
from uuid import UUID, uuid4, uuid5

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.events import GeneratedCommunication, SkippedMember
from contracts.snapshots import MemberSnapshot, OrganizationSnapshot
from generator.adapters.repository import Repository
from generator.domain.communication_type import CommunicationType, InvalidCommunicationType
from generator.domain.generation import BatchContext, generate_chunk
from generator.domain.merge_fields import today_in
from generator.domain.template import InvalidTemplateName, Template, TemplateVersion
from generator.domain.template_check import InvalidTemplate
from generator.domain.template_settings import InvalidSettings, TemplateSettings
from generator.domain.templates import CompiledTemplate, TemplateContent
from generator.service_layer.errors import Conflict, FieldError, InvalidInput, NotFound
from servicekit.clock import Clock, SystemClock

PREVIEW_NAMESPACE = UUID("0b7e3a90-5c1d-5e2f-8a4b-6c7d8e9f0a1b")
CONTENT_FIELDS = ("email_subject", "email_body_text", "email_body_html", "letter_body")


class MemberSource(Protocol):
    """Where a preview gets the snapshot of one real assembly (the assemblies service)."""

    async def member_snapshots(
        self, headers: dict[str, str], assembly_ids: list[UUID]
    ) -> tuple[OrganizationSnapshot, list[MemberSnapshot]]: ...


def _invalid_template(exc: InvalidTemplate) -> InvalidInput:
    return InvalidInput(
        [FieldError(field=p.part, message=p.message, line=p.line, merge_field=p.field) for p in exc.problems]
    )


def _settings(data: dict[str, Any]) -> TemplateSettings:
    try:
        return TemplateSettings.from_dict(data)
    except InvalidSettings as exc:
        raise InvalidInput([FieldError(f"settings.{exc.field}", exc.message)]) from exc


class Catalog:
    """Communication types and templates of each organization."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Clock | None = None,
        new_id: Callable[[], UUID] = uuid4,
        members: MemberSource | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()
        self.new_id = new_id
        self.members = members

    # --- communication types ------------------------------------------------------------

    async def list_types(self, org_id: UUID) -> list[CommunicationType]:
        async with self.sessions() as session:
            return await Repository(session).list_types(org_id)

    async def get_type(self, org_id: UUID, type_id: UUID) -> CommunicationType:
        async with self.sessions() as session:
            ct = await Repository(session).get_type(org_id, type_id)
        if ct is None:
            raise NotFound("communication type not found")
        return ct

    async def create_type(self, org_id: UUID, data: dict[str, Any]) -> CommunicationType:
        now = self.clock.now()
        try:
            ct = CommunicationType(id=self.new_id(), org_id=org_id, created_at=now, updated_at=now, **data)
        except InvalidCommunicationType as exc:
            raise InvalidInput([FieldError(exc.field, exc.message)]) from exc
        try:
            async with self.sessions.begin() as session:
                repo = Repository(session)
                await self._check_name_free(repo, ct)
                await repo.add_type(ct)
        except IntegrityError as exc:
            raise InvalidInput([FieldError("name", "a communication type with this name exists")]) from exc
        return ct

    async def update_type(self, org_id: UUID, type_id: UUID, changes: dict[str, Any]) -> CommunicationType:
        try:
            async with self.sessions.begin() as session:
                repo = Repository(session)
                current = await repo.get_type(org_id, type_id)
                if current is None:
                    raise NotFound("communication type not found")
                try:
                    ct = current.changed(**changes, updated_at=self.clock.now())
                except InvalidCommunicationType as exc:
                    raise InvalidInput([FieldError(exc.field, exc.message)]) from exc
                if ct.name != current.name:
                    await self._check_name_free(repo, ct)
                await repo.save_type(ct)
        except IntegrityError as exc:
            raise InvalidInput([FieldError("name", "a communication type with this name exists")]) from exc
        return ct

    async def _check_name_free(self, repo: Repository, ct: CommunicationType) -> None:
        other = await repo.type_named(ct.org_id, ct.name)
        if other is not None and other.id != ct.id:
            raise InvalidInput([FieldError("name", "a communication type with this name exists")])

    # --- templates ----------------------------------------------------------------------

    async def list_templates(self, org_id: UUID, communication_type_id: UUID | None = None) -> list[Template]:
        async with self.sessions() as session:
            return await Repository(session).list_templates(org_id, communication_type_id)

    async def get_template(self, org_id: UUID, template_id: UUID) -> Template:
        async with self.sessions() as session:
            t = await Repository(session).get_template(org_id, template_id)
        if t is None:
            raise NotFound("template not found")
        return t

    async def create_template(self, org_id: UUID, data: dict[str, Any]) -> Template:
        settings = _settings(data.get("settings") or {})
        content = TemplateContent(**{k: data.get(k) or "" for k in CONTENT_FIELDS})
        async with self.sessions.begin() as session:
            repo = Repository(session)
            if await repo.get_type(org_id, data["communication_type_id"]) is None:
                raise NotFound("communication type not found")
            try:
                t = Template.new(
                    id=self.new_id(),
                    org_id=org_id,
                    communication_type_id=data["communication_type_id"],
                    name=data.get("name") or "",
                    settings=settings,
                    content=content,
                    now=self.clock.now(),
                )
            except InvalidTemplate as exc:
                raise _invalid_template(exc) from exc
            except InvalidTemplateName as exc:
                raise InvalidInput([FieldError("name", str(exc).removeprefix("name: "))]) from exc
            await repo.add_template(t)
        return t

    async def update_template(self, org_id: UUID, template_id: UUID, changes: dict[str, Any]) -> Template:
        """Change name, settings (only the keys given) or texts; texts or settings make a new version."""
        async with self.sessions.begin() as session:
            repo = Repository(session)
            current = await repo.get_template(org_id, template_id, for_update=True)
            if current is None:
                raise NotFound("template not found")
            settings = None
            if changes.get("settings") is not None:
                settings = _settings({**current.settings.to_dict(), **changes["settings"]})
            content = None
            if any(changes.get(k) is not None for k in CONTENT_FIELDS):
                content = TemplateContent(
                    **{k: changes[k] if changes.get(k) is not None else current.content.part(k) for k in CONTENT_FIELDS}
                )
            try:
                t = current.revised(now=self.clock.now(), name=changes.get("name"), settings=settings, content=content)
            except InvalidTemplate as exc:
                raise _invalid_template(exc) from exc
            except InvalidTemplateName as exc:
                raise InvalidInput([FieldError("name", str(exc).removeprefix("name: "))]) from exc
            await repo.save_template(t, new_version=t.version != current.version)
        return t

    async def publish_template(self, org_id: UUID, template_id: UUID) -> Template:
        """Publish; the type's previously published template is unpublished in the same transaction."""
        try:
            async with self.sessions.begin() as session:
                repo = Repository(session)
                t = await repo.get_template(org_id, template_id, for_update=True)
                if t is None:
                    raise NotFound("template not found")
                if t.published:
                    return t
                now = self.clock.now()
                for other in await repo.published_templates_of_type(org_id, t.communication_type_id):
                    await repo.save_template(other.unpublish(now), new_version=False)
                await session.flush()
                published = t.publish(now)
                await repo.save_template(published, new_version=False)
        except IntegrityError as exc:
            raise Conflict("another template of this type was published at the same moment; try again") from exc
        return published

    async def template_versions(self, org_id: UUID, template_id: UUID) -> list[TemplateVersion]:
        """Every saved version of a template, oldest first."""
        async with self.sessions() as session:
            versions = await Repository(session).list_versions(org_id, template_id)
        if not versions:
            raise NotFound("template not found")
        return versions

    async def template_version(self, org_id: UUID, template_id: UUID, version: int) -> TemplateVersion:
        async with self.sessions() as session:
            v = await Repository(session).get_version(org_id, template_id, version)
        if v is None:
            raise NotFound(f"template version {version} not found")
        return v

    # --- preview ------------------------------------------------------------------------

    async def preview(
        self,
        org_id: UUID,
        template_id: UUID,
        assembly_id: UUID,
        *,
        headers: dict[str, str],
        version: int | None = None,
        due_date: date | None = None,
        batch_name: str | None = None,
    ) -> tuple[Template, int, list[GeneratedCommunication], list[SkippedMember]]:
        """The communications (texts rendered) the template yields for one real assembly, and skips."""
        template = await self.get_template(org_id, template_id)
        v = await self.template_version(org_id, template_id, version or template.version)
        if self.members is None:
            raise RuntimeError("no member source configured")
        organization, members = await self.members.member_snapshots(headers, [assembly_id])
        if organization.id != org_id or not members:
            raise NotFound("assembly not found")
        communications, skipped = preview_communications(
            v.settings,
            v.content,
            organization,
            members,
            template_id=template_id,
            version=v.version,
            batch_name=batch_name or f"Preview of {v.name}",
            due_date=due_date,
            today=today_in(organization.timezone, self.clock.now()),
            communication_type_id=v.communication_type_id,
        )
        return template, v.version, communications, skipped


def preview_communications(
    settings: TemplateSettings,
    content: TemplateContent,
    organization: OrganizationSnapshot,
    members: list[MemberSnapshot],
    *,
    template_id: UUID,
    version: int,
    batch_name: str,
    due_date: date | None,
    today: date,
    communication_type_id: UUID | None = None,
) -> tuple[list[GeneratedCommunication], list[SkippedMember]]:
    """Render a template for the given members as a batch would (due date defaults to 30 days ahead)."""
    chunk = generate_chunk(
        members,
        settings,
        CompiledTemplate(content),
        organization,
        BatchContext(
            batch_id=uuid5(PREVIEW_NAMESPACE, f"{template_id}:{version}"),
            name=batch_name,
            due_date=due_date or today + timedelta(days=30),
            today=today,
            communication_type_id=communication_type_id,
        ),
    )
    return chunk.communications, chunk.skipped
