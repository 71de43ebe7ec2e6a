"""Storage of communication types, templates and every template version (SQLAlchemy Core)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from generator.adapters.orm import communication_types, template_versions, templates
from generator.domain.communication_type import CommunicationType
from generator.domain.template import Template, TemplateVersion
from generator.domain.template_settings import TemplateSettings
from generator.domain.templates import TemplateContent


def _version_from_row(row: Any) -> TemplateVersion:
    return TemplateVersion(
        template_id=row.template_id,
        version=row.version,
        org_id=row.org_id,
        communication_type_id=row.communication_type_id,
        name=row.name,
        settings=TemplateSettings.from_dict(row.settings),
        content=_content_from_row(row),
        created_at=row.created_at,
    )


def _type_from_row(row: Any) -> CommunicationType:
    return CommunicationType(
        id=row.id,
        org_id=row.org_id,
        name=row.name,
        source=row.source,
        trigger=row.trigger,
        offset_days=row.offset_days,
        suppression_days=row.suppression_days,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _content_from_row(row: Any) -> TemplateContent:
    return TemplateContent(
        email_subject=row.email_subject,
        email_body_text=row.email_body_text,
        email_body_html=row.email_body_html,
        letter_body=row.letter_body,
    )


def _template_from_row(row: Any) -> Template:
    return Template(
        id=row.id,
        org_id=row.org_id,
        communication_type_id=row.communication_type_id,
        name=row.name,
        settings=TemplateSettings.from_dict(row.settings),
        content=_content_from_row(row),
        version=row.version,
        published=row.published,
        published_at=row.published_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _content_values(t: Template) -> dict[str, Any]:
    return {
        "settings": t.settings.to_dict(),
        "email_subject": t.content.email_subject,
        "email_body_text": t.content.email_body_text,
        "email_body_html": t.content.email_body_html,
        "letter_body": t.content.letter_body,
    }


class Repository:
    """Every query is scoped by the organization."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # communication types

    async def add_type(self, ct: CommunicationType) -> None:
        await self.session.execute(insert(communication_types).values(**_type_values(ct)))

    async def save_type(self, ct: CommunicationType) -> None:
        values = _type_values(ct)
        values.pop("created_at")
        await self.session.execute(
            update(communication_types)
            .where(communication_types.c.id == ct.id, communication_types.c.org_id == ct.org_id)
            .values(**values)
        )

    async def get_type(self, org_id: UUID, type_id: UUID) -> CommunicationType | None:
        row = (
            await self.session.execute(
                select(communication_types).where(
                    communication_types.c.id == type_id, communication_types.c.org_id == org_id
                )
            )
        ).first()
        return _type_from_row(row) if row else None

    async def type_named(self, org_id: UUID, name: str) -> CommunicationType | None:
        row = (
            await self.session.execute(
                select(communication_types).where(
                    communication_types.c.org_id == org_id, communication_types.c.name == name
                )
            )
        ).first()
        return _type_from_row(row) if row else None

    async def list_types(self, org_id: UUID) -> list[CommunicationType]:
        rows = await self.session.execute(
            select(communication_types)
            .where(communication_types.c.org_id == org_id)
            .order_by(communication_types.c.name, communication_types.c.id)
        )
        return [_type_from_row(r) for r in rows]

    # templates

    async def add_template(self, t: Template) -> None:
        await self.session.execute(
            insert(templates).values(
                id=t.id,
                org_id=t.org_id,
                communication_type_id=t.communication_type_id,
                name=t.name,
                version=t.version,
                published=t.published,
                published_at=t.published_at,
                created_at=t.created_at,
                updated_at=t.updated_at,
                **_content_values(t),
            )
        )
        await self._add_version(t)

    async def save_template(self, t: Template, *, new_version: bool) -> None:
        await self.session.execute(
            update(templates)
            .where(templates.c.id == t.id, templates.c.org_id == t.org_id)
            .values(
                name=t.name,
                version=t.version,
                published=t.published,
                published_at=t.published_at,
                updated_at=t.updated_at,
                **_content_values(t),
            )
        )
        if new_version:
            await self._add_version(t)

    async def _add_version(self, t: Template) -> None:
        await self.session.execute(
            insert(template_versions).values(
                template_id=t.id,
                version=t.version,
                org_id=t.org_id,
                communication_type_id=t.communication_type_id,
                name=t.name,
                created_at=t.updated_at,
                **_content_values(t),
            )
        )

    async def get_template(self, org_id: UUID, template_id: UUID, *, for_update: bool = False) -> Template | None:
        query = select(templates).where(templates.c.id == template_id, templates.c.org_id == org_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return _template_from_row(row) if row else None

    async def list_templates(self, org_id: UUID, communication_type_id: UUID | None = None) -> list[Template]:
        query = select(templates).where(templates.c.org_id == org_id)
        if communication_type_id is not None:
            query = query.where(templates.c.communication_type_id == communication_type_id)
        rows = await self.session.execute(query.order_by(templates.c.name, templates.c.id))
        return [_template_from_row(r) for r in rows]

    async def published_templates_of_type(self, org_id: UUID, communication_type_id: UUID) -> list[Template]:
        rows = await self.session.execute(
            select(templates).where(
                templates.c.org_id == org_id,
                templates.c.communication_type_id == communication_type_id,
                templates.c.published.is_(True),
            )
        )
        return [_template_from_row(r) for r in rows]

    async def get_version(self, org_id: UUID, template_id: UUID, version: int) -> TemplateVersion | None:
        row = (
            await self.session.execute(
                select(template_versions).where(
                    template_versions.c.template_id == template_id,
                    template_versions.c.version == version,
                    template_versions.c.org_id == org_id,
                )
            )
        ).first()
        return _version_from_row(row) if row is not None else None

    async def list_versions(self, org_id: UUID, template_id: UUID) -> list[TemplateVersion]:
        rows = await self.session.execute(
            select(template_versions)
            .where(template_versions.c.template_id == template_id, template_versions.c.org_id == org_id)
            .order_by(template_versions.c.version)
        )
        return [_version_from_row(r) for r in rows]


def _type_values(ct: CommunicationType) -> dict[str, Any]:
    return {
        "id": ct.id,
        "org_id": ct.org_id,
        "name": ct.name,
        "source": ct.source,
        "trigger": ct.trigger,
        "offset_days": ct.offset_days,
        "suppression_days": ct.suppression_days,
        "created_at": ct.created_at,
        "updated_at": ct.updated_at,
    }
