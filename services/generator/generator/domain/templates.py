"""Communication templates: their content, the sandboxed Jinja2 environments, rendering.

Templates are Jinja2 run in its sandbox. What a template may name and the values it gets
are in ``merge_fields``; the checks at save in ``template_check``.

Data that is missing when a communication is rendered never shows as an empty string
or a raw ``{{ token }}``: a referenced empty value renders as ``[missing: contact.first_name]``
and the communication is marked ``needs_attention`` with the field named. A template
may test a value first (``{% if contact.first_name %}``) or give a default
(``{{ contact.first_name | default("Customer") }}``): neither counts as missing.

Dates render as "March 1, 2026" by default; ``|date("%m/%d/%Y")`` picks another format.
The HTML body is autoescaped; the text body and subject are not; in the letter body
(light markup, see docs/letter-markup.md) a ``*`` coming from merge data is escaped
so that data never turns into bold or italic.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from jinja2 import StrictUndefined, Undefined
from jinja2.sandbox import SandboxedEnvironment

from generator.domain.merge_fields import MergeObject, MissingValue, missing_marker, missing_sink

PARTS: tuple[str, ...] = ("email_subject", "email_body_text", "email_body_html", "letter_body")

ASSEMBLIES_TABLE_MARKER = "[[assemblies_table]]"
"""A line of the letter body where the documents service draws the table of covered assemblies."""


@dataclass(frozen=True)
class TemplateContent:
    """The four texts of a template."""

    email_subject: str = ""
    email_body_text: str = ""
    email_body_html: str = ""
    letter_body: str = ""

    def part(self, name: str) -> str:
        return getattr(self, name)


# --- the environment ------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _formatted(value: date, fmt: str | None) -> str:
    if fmt:
        return value.strftime(fmt)
    return f"{value:%B} {value.day}, {value.year}"


def format_date(value: Any, fmt: str | None = None) -> Any:
    """``|date``: "March 1, 2026" by default, or a ``strftime`` format. Missing stays missing."""
    if isinstance(value, Undefined):
        return value
    if isinstance(value, datetime | date):
        return _formatted(value, fmt)
    if isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value), fmt)
        except ValueError:
            return value
    return value


def _finalize(value: Any) -> Any:
    if isinstance(value, date):  # datetime is a date too
        return format_date(value)
    return value


def _finalize_letter(value: Any) -> str:
    # merge data must not turn into letter markup: a name with "*" stays a name
    return str(_finalize(value)).replace("*", "\\*")


class _MergeSandbox(SandboxedEnvironment):
    """The sandbox, with a fast path for merge objects: they hold only data we put there
    (strings, dates, lists of merge objects, missing values), so a public field is safe to
    read without the general checks. Anything else goes through the full sandbox."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is MergeObject and attribute[:1] != "_":
            try:
                return obj.__dict__[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def _environment(autoescape: bool, finalize: Any = _finalize) -> SandboxedEnvironment:
    env = _MergeSandbox(
        autoescape=autoescape,
        undefined=StrictUndefined,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["date"] = format_date
    return env


TEXT_ENV = _environment(autoescape=False)
"""Subject and text body; ``template_check`` parses and compiles every part with it."""
_HTML_ENV = _environment(autoescape=True)
_LETTER_ENV = _environment(autoescape=False, finalize=_finalize_letter)


# --- rendering ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeData:
    """Everything one communication's texts may use."""

    org: MergeObject
    location: MergeObject
    contact: MergeObject
    assemblies: list[MergeObject]
    batch: MergeObject
    today: date
    additional_contents: str = ""

    def context(self) -> dict[str, Any]:
        extra = self.additional_contents
        return {
            "org": self.org,
            "location": self.location,
            "contact": self.contact,
            "assembly": self.assemblies[0] if self.assemblies else MissingValue("assembly"),
            "assemblies": self.assemblies,
            "batch": self.batch,
            "today": self.today,
            "additional_contents": extra if extra.strip() else MissingValue("additional_contents"),
        }


@dataclass(frozen=True)
class RenderedTexts:
    subject: str = ""
    body_text: str = ""
    body_html: str = ""
    letter_body: str = ""
    missing_fields: tuple[str, ...] = field(default_factory=tuple)

    @property
    def needs_attention(self) -> bool:
        return bool(self.missing_fields)


class CompiledTemplate:
    """A template version compiled once, rendered for many communications."""

    def __init__(self, content: TemplateContent) -> None:
        self.content = content
        self._subject = TEXT_ENV.from_string(content.email_subject) if content.email_subject.strip() else None
        self._text = TEXT_ENV.from_string(content.email_body_text) if content.email_body_text.strip() else None
        self._html = _HTML_ENV.from_string(content.email_body_html) if content.email_body_html.strip() else None
        self._letter = _LETTER_ENV.from_string(content.letter_body) if content.letter_body.strip() else None

    def render(self, data: MergeData, *, email: bool, letter: bool) -> RenderedTexts:
        """Render the email parts and/or the letter; missing data is named, never left empty."""
        sink: set[str] = set()
        token = missing_sink.set(sink)
        try:
            ctx = {**TEXT_ENV.globals, **data.context()}
            subject = body_text = body_html = letter_body = ""
            if email:
                subject = " ".join(_render(self._subject, ctx, sink, "email_subject").split())
                body_text = _render(self._text, ctx, sink, "email_body_text")
                body_html = _render(self._html, ctx, sink, "email_body_html") if self._html is not None else ""
            if letter:
                letter_body = _render(self._letter, ctx, sink, "letter_body")
        finally:
            missing_sink.reset(token)
        return RenderedTexts(subject, body_text, body_html, letter_body, tuple(sorted(sink)))


def _render(template: Any, ctx: dict[str, Any], sink: set[str], part: str) -> str:
    if template is None:
        sink.add(part)
        return missing_marker(part)
    before = set(sink)
    try:
        # Template.render without its per-call copies: ctx already holds the globals, and
        # includes/imports (which need the globals' keys) are refused when a template is saved
        context = template.environment.context_class(template.environment, ctx, template.name, template.blocks)
        out = template.environment.concat(template.root_render_func(context))
    except Exception as exc:  # a missing value in arithmetic, a sandbox refusal: this one needs attention
        new = sink - before
        if not new:
            new = {f"{part} ({exc})"}
            sink.update(new)
        return f"[could not render {part}: {', '.join(sorted(new))}]"
    if not out.strip():
        sink.add(part)
        return missing_marker(part)
    return out
