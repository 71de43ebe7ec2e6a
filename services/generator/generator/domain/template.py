"""A template: its current texts and settings, a version that grows with each change, published or not."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from generator.domain.template_check import validate_template
from generator.domain.template_settings import TemplateSettings
from generator.domain.templates import TemplateContent


@dataclass(frozen=True)
class TemplateVersion:
    """One saved version of a template, exactly as it was saved; batches render the one they recorded."""

    template_id: UUID
    version: int
    org_id: UUID
    communication_type_id: UUID
    name: str
    settings: TemplateSettings
    content: TemplateContent
    created_at: datetime | None = None


class InvalidTemplateName(ValueError):
    field = "name"


@dataclass(frozen=True)
class Template:
    """The current version of a template. Every version is kept: a batch renders the one it recorded."""

    id: UUID
    org_id: UUID
    communication_type_id: UUID
    name: str
    settings: TemplateSettings
    content: TemplateContent
    version: int = 1
    published: bool = False
    published_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def new(
        cls,
        *,
        id: UUID,
        org_id: UUID,
        communication_type_id: UUID,
        name: str,
        settings: TemplateSettings,
        content: TemplateContent,
        now: datetime,
    ) -> Template:
        """A first version, validated (``InvalidTemplate`` names each problem)."""
        _check_name(name)
        validate_template(content, settings.methods, group_by_location=settings.group_by_location)
        return cls(
            id=id,
            org_id=org_id,
            communication_type_id=communication_type_id,
            name=name.strip(),
            settings=settings,
            content=content,
            created_at=now,
            updated_at=now,
        )

    def revised(
        self,
        *,
        now: datetime,
        name: str | None = None,
        settings: TemplateSettings | None = None,
        content: TemplateContent | None = None,
    ) -> Template:
        """This template after an edit: a new version when the texts or settings changed."""
        new_name = self.name if name is None else name
        _check_name(new_name)
        new_settings = settings or self.settings
        new_content = content or self.content
        validate_template(new_content, new_settings.methods, group_by_location=new_settings.group_by_location)
        content_changed = new_settings != self.settings or new_content != self.content
        return replace(
            self,
            name=new_name.strip(),
            settings=new_settings,
            content=new_content,
            version=self.version + 1 if content_changed else self.version,
            updated_at=now,
        )

    def publish(self, now: datetime) -> Template:
        """Published (the caller unpublishes the type's other template in the same transaction)."""
        if self.published:
            return self
        return replace(self, published=True, published_at=now, updated_at=now)

    def unpublish(self, now: datetime) -> Template:
        return replace(self, published=False, updated_at=now)


def _check_name(name: str) -> None:
    if not name.strip():
        raise InvalidTemplateName("name: must not be empty")
    if len(name) > 200:
        raise InvalidTemplateName("name: at most 200 characters")


def communication_size(text_length: int, assemblies: int) -> int:
    """A cheap upper estimate of one rendered communication's serialized size (bytes): its texts
    and a quarter more for JSON escapes, 1,000 bytes of ids and recipient, 600 per assembly snapshot."""
    return text_length + text_length // 4 + 1_000 + 600 * assemblies


def members_per_chunk(settings: TemplateSettings, content: TemplateContent, budget: int) -> int:
    """The most members one generation request may carry for this template's result to stay
    under ``budget`` bytes, on the worst assumptions: every member has a contact of each allowed
    type (one when only the primary contact is used), each reached by every method, each text
    rendering twice as long as it is written. A batch cuts its chunks no larger (batches asks
    with the template check); the generator still refuses a result that grows too large.
    """
    contacts = 1 if settings.use_primary_contact else len(settings.contact_types)
    email_text = len(content.email_subject) + len(content.email_body_text) + len(content.email_body_html)
    if settings.include_pdf_in_email:
        email_text += len(content.letter_body)
    texts = {"email": email_text, "letter": len(content.letter_body)}
    # per communication as the generator's size guard counts it, texts rendered twice as long
    per_method = [communication_size(2 * texts[m], 1) for m in settings.methods]
    per_member = contacts * (max(per_method) if settings.first_available_method_only else sum(per_method))
    return max(1, budget // per_member)
