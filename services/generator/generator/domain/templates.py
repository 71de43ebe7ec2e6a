"""Communication templates: merge fields, validation at save, sandboxed rendering.

Templates are Jinja2 run in its sandbox. The merge fields are fixed (``MERGE_FIELDS``):
a template that names anything else, or that does not parse, is refused when saved
with the part, line and field named.

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

import contextvars
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from contracts.snapshots import (
    AssemblySnapshot,
    ContactSnapshot,
    LocationSnapshot,
    OrganizationSnapshot,
    PostalAddress,
)

OBJECT_FIELDS: dict[str, frozenset[str]] = {
    "org": frozenset(
        {
            "name",
            "phone",
            "from_email",
            "reply_to",
            "letterhead",
            "address",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
        }
    ),
    "location": frozenset(
        {
            "name",
            "account_number",
            "address",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "service_area",
            "facility_type",
        }
    ),
    "contact": frozenset({"name", "first_name", "email", "contact_type", "mailing_address"}),
    "assembly": frozenset(
        {
            "serial_number",
            "assembly_type",
            "make",
            "model",
            "size",
            "hazard",
            "service_type",
            "placement",
            "installed_on",
            "last_tested_on",
            "last_test_result",
            "next_test_due",
            "compliance_status",
        }
    ),
    "batch": frozenset({"name", "due_date"}),
}
"""Objects a template may use, with the fields of each."""

LIST_FIELDS: dict[str, str] = {"assemblies": "assembly"}
"""Lists a template may loop over, with the kind of their items."""

SCALAR_FIELDS: frozenset[str] = frozenset({"today", "additional_contents"})

MERGE_FIELDS: frozenset[str] = frozenset(OBJECT_FIELDS) | frozenset(LIST_FIELDS) | SCALAR_FIELDS
"""Every top-level name a template may use."""

PARTS: tuple[str, ...] = ("email_subject", "email_body_text", "email_body_html", "letter_body")

ASSEMBLIES_TABLE_MARKER = "[[assemblies_table]]"
"""A line of the letter body where the documents service draws the table of covered assemblies."""


@dataclass(frozen=True)
class TemplateProblem:
    """One reason a template cannot be saved: which part, what, and where."""

    part: str
    message: str
    line: int | None = None
    field: str | None = None


class InvalidTemplate(ValueError):
    """A template that does not parse or names unknown merge fields."""

    def __init__(self, problems: list[TemplateProblem]) -> None:
        super().__init__("; ".join(f"{p.part}: {p.message}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class TemplateContent:
    """The four texts of a template."""

    email_subject: str = ""
    email_body_text: str = ""
    email_body_html: str = ""
    letter_body: str = ""

    def part(self, name: str) -> str:
        return getattr(self, name)


# --- missing data -------------------------------------------------------------------------

_missing_sink: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar("missing_sink", default=None)


def _record_missing(field_name: str) -> None:
    sink = _missing_sink.get()
    if sink is not None:
        sink.add(field_name)


def missing_marker(field_name: str) -> str:
    """What a missing value shows in the output instead of nothing."""
    return f"[missing: {field_name}]"


class MissingValue(Undefined):
    """An empty merge field. Falsy (so ``if`` and ``default`` work); shown, it is recorded."""

    __slots__ = ("_field",)

    def __init__(self, field_name: str) -> None:
        super().__init__(name=field_name)
        self._field = field_name

    def __str__(self) -> str:
        _record_missing(self._field)
        return missing_marker(self._field)

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> MissingValue:  # type: ignore[override]
        return self

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> NoReturn:
        _record_missing(self._field)
        raise self._undefined_exception(f"{self._field} is missing")

    def __repr__(self) -> str:
        return f"MissingValue({self._field!r})"


# Undefined binds its operators (+, <, [], ...) to the base failure at class creation: rebind them
# so a missing value used in arithmetic or comparison is recorded by name too.
for _name, _value in list(vars(Undefined).items()):
    if _value is Undefined._fail_with_undefined_error and _name != "_fail_with_undefined_error":
        setattr(MissingValue, _name, MissingValue._fail_with_undefined_error)


class MergeObject:
    """A merge-field object (``contact``, ``assembly``...): plain attributes, empty ones missing."""

    _label: str

    def __init__(self, kind: str, label: str, values: dict[str, Any]) -> None:
        fields = self.__dict__
        fields["_label"] = label
        for key, value in values.items():
            if value is None or (value.__class__ is str and (not value or value.isspace())):
                value = MissingValue(f"{kind}.{key}")
            fields[key] = value

    def __str__(self) -> str:
        return self._label


def format_address(address: PostalAddress | None) -> str:
    """An address on one line: "12 Elm St, Unit 4, Springfield, IL 62704" ("" when empty)."""
    if address is None:
        return ""
    city_line = " ".join(p for p in (address.state.strip(), address.postal_code.strip()) if p)
    parts = [address.line1.strip(), address.line2.strip(), address.city.strip(), city_line]
    return ", ".join(p for p in parts if p)


def _humanize(value: str | None) -> str:
    return (value or "").replace("_", " ")


def org_fields(org: OrganizationSnapshot) -> MergeObject:
    a = org.mailing_address
    return MergeObject(
        "org",
        org.name,
        {
            "name": org.name,
            "phone": org.phone,
            "from_email": org.from_email,
            "reply_to": org.reply_to or org.from_email,
            "letterhead": org.letterhead or org.name,
            "address": format_address(a),
            "address_line1": a.line1,
            "address_line2": a.line2,
            "city": a.city,
            "state": a.state,
            "postal_code": a.postal_code,
        },
    )


def location_fields(location: LocationSnapshot) -> MergeObject:
    a = location.address
    address = format_address(a)
    return MergeObject(
        "location",
        address,
        {
            "name": location.name,
            "account_number": location.account_number,
            "address": address,
            "address_line1": a.line1,
            "address_line2": a.line2,
            "city": a.city,
            "state": a.state,
            "postal_code": a.postal_code,
            "service_area": location.service_area_name,
            "facility_type": _humanize(location.facility_type),
        },
    )


def contact_fields(contact: ContactSnapshot, location: LocationSnapshot) -> MergeObject:
    mailing = contact.mailing_address if contact.mailing_address and contact.mailing_address.line1 else None
    return MergeObject(
        "contact",
        contact.name or contact.first_name,
        {
            "name": contact.name,
            "first_name": contact.first_name,
            "email": contact.email,
            "contact_type": _humanize(contact.contact_type),
            "mailing_address": format_address(mailing or location.address),
        },
    )


def assembly_fields(assembly: AssemblySnapshot) -> MergeObject:
    return MergeObject(
        "assembly",
        assembly.serial_number,
        {
            "serial_number": assembly.serial_number,
            "assembly_type": assembly.assembly_type,
            "make": assembly.make,
            "model": assembly.model,
            "size": assembly.size,
            "hazard": assembly.hazard,
            "service_type": assembly.service_type,
            "placement": assembly.placement,
            "installed_on": assembly.installed_on,
            "last_tested_on": assembly.last_tested_on,
            "last_test_result": assembly.last_test_result,
            "next_test_due": assembly.next_test_due,
            "compliance_status": _humanize(assembly.compliance_status),
        },
    )


def batch_fields(name: str, due_date: date | None) -> MergeObject:
    return MergeObject("batch", name, {"name": name, "due_date": due_date})


def today_in(timezone_name: str, moment: datetime) -> date:
    """The calendar date of ``moment`` in the organization's timezone (UTC when unknown)."""
    try:
        zone = ZoneInfo(timezone_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).date()


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


_TEXT_ENV = _environment(autoescape=False)
_HTML_ENV = _environment(autoescape=True)
_LETTER_ENV = _environment(autoescape=False, finalize=_finalize_letter)


# --- validation -----------------------------------------------------------------------------


def _unwrap(node: nodes.Node) -> nodes.Node:
    while isinstance(node, nodes.Filter | nodes.Test) and node.node is not None:
        node = node.node
    return node


class _FieldChecker:
    """Walks a template's syntax tree and collects unknown or unavailable merge fields."""

    def __init__(self, part: str, group_by_location: bool) -> None:
        self.part = part
        self.group_by_location = group_by_location
        self.problems: list[TemplateProblem] = []

    def problem(self, node: nodes.Node, message: str, field_name: str | None) -> None:
        line = getattr(node, "lineno", None)
        self.problems.append(TemplateProblem(self.part, f"{message} (line {line})", line, field_name))

    def walk(self, node: nodes.Node, scope: dict[str, str | None]) -> None:
        if isinstance(node, nodes.For):
            self.walk(node.iter, scope)
            inner = dict(scope)
            source = _unwrap(node.iter)
            item_kind = LIST_FIELDS.get(source.name) if isinstance(source, nodes.Name) else None
            for target in _names(node.target):
                inner[target] = item_kind if isinstance(node.target, nodes.Name) else None
            for child in [*node.body, *node.else_, *([node.test] if node.test is not None else [])]:
                self.walk(child, inner)
            return
        if isinstance(node, nodes.Include | nodes.Extends | nodes.Import | nodes.FromImport):
            self.problem(node, "including or importing other templates is not allowed", None)
            return
        if isinstance(node, nodes.Getattr | nodes.Getitem) and isinstance(node.node, nodes.Name):
            attr = node.attr if isinstance(node, nodes.Getattr) else _const_str(node.arg)
            if attr is not None:
                self.check_attribute(node, node.node.name, attr, scope)
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            self.problem(node, f"'{node.attr}' is not allowed in a template", node.attr)
        if (
            isinstance(node, nodes.Name)
            and node.ctx == "load"
            and node.name == "assembly"
            and "assembly" not in scope
            and self.group_by_location
        ):
            self.problem(
                node,
                "'assembly' is not available when grouping by location: loop over 'assemblies' "
                "({% for a in assemblies %}{{ a.serial_number }}{% endfor %})",
                "assembly",
            )
        for child in node.iter_child_nodes():
            self.walk(child, scope)

    def check_attribute(self, node: nodes.Node, name: str, attr: str, scope: dict[str, str | None]) -> None:
        kind = scope[name] if name in scope else (name if name in OBJECT_FIELDS else None)
        if kind is None:
            if name in LIST_FIELDS and name not in scope:
                self.problem(node, f"'{name}' is a list: loop over it to use '{attr}'", f"{name}.{attr}")
            return
        if attr not in OBJECT_FIELDS[kind]:
            known = ", ".join(sorted(OBJECT_FIELDS[kind]))
            self.problem(node, f"unknown merge field '{name}.{attr}' (fields of {kind}: {known})", f"{kind}.{attr}")


def _names(target: nodes.Node) -> Iterator[str]:
    if isinstance(target, nodes.Name):
        yield target.name
    elif isinstance(target, nodes.Tuple):
        for item in target.items:
            yield from _names(item)


def _const_str(node: nodes.Node) -> str | None:
    return node.value if isinstance(node, nodes.Const) and isinstance(node.value, str) else None


def _first_line_of(ast: nodes.Template, name: str) -> int | None:
    for node in ast.find_all(nodes.Name):
        if node.name == name:
            return node.lineno
    return None


def check_part(part: str, source: str, *, group_by_location: bool) -> list[TemplateProblem]:
    """The problems of one template text (empty list when it can be saved)."""
    try:
        ast = _TEXT_ENV.parse(source)
        undeclared = meta.find_undeclared_variables(ast)  # also refuses unknown filters and tests
        _TEXT_ENV.compile(source)
    except TemplateSyntaxError as exc:  # its subclass TemplateAssertionError: an unknown filter or test
        kind = "syntax error" if type(exc) is TemplateSyntaxError else "error"
        return [TemplateProblem(part, f"{kind} on line {exc.lineno}: {exc.message}", exc.lineno)]
    problems: list[TemplateProblem] = []
    for name in sorted(undeclared):
        if name not in MERGE_FIELDS:
            line = _first_line_of(ast, name)
            known = ", ".join(sorted(MERGE_FIELDS))
            problems.append(
                TemplateProblem(part, f"unknown merge field '{name}' on line {line} (known: {known})", line, name)
            )
    checker = _FieldChecker(part, group_by_location)
    checker.walk(ast, {})
    problems.extend(checker.problems)
    return problems


def validate_template(content: TemplateContent, methods: Iterable[str], *, group_by_location: bool) -> None:
    """Refuse (``InvalidTemplate``) a template that cannot render for its settings.

    Email needs a subject and a text body; letters need a letter body. Every part must
    parse and name only known merge fields.
    """
    methods = tuple(methods)
    problems: list[TemplateProblem] = []
    required = []
    if "email" in methods:
        required += ["email_subject", "email_body_text"]
    if "letter" in methods:
        required.append("letter_body")
    for part in required:
        if not content.part(part).strip():
            problems.append(TemplateProblem(part, "must not be empty for the methods chosen", None, part))
    for part in PARTS:
        source = content.part(part)
        if source.strip():
            problems.extend(check_part(part, source, group_by_location=group_by_location))
    if problems:
        raise InvalidTemplate(problems)


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
        self._subject = _TEXT_ENV.from_string(content.email_subject) if content.email_subject.strip() else None
        self._text = _TEXT_ENV.from_string(content.email_body_text) if content.email_body_text.strip() else None
        self._html = _HTML_ENV.from_string(content.email_body_html) if content.email_body_html.strip() else None
        self._letter = _LETTER_ENV.from_string(content.letter_body) if content.letter_body.strip() else None

    def render(self, data: MergeData, *, email: bool, letter: bool) -> RenderedTexts:
        """Render the email parts and/or the letter; missing data is named, never left empty."""
        sink: set[str] = set()
        token = _missing_sink.set(sink)
        try:
            ctx = {**_TEXT_ENV.globals, **data.context()}
            subject = body_text = body_html = letter_body = ""
            if email:
                subject = " ".join(_render(self._subject, ctx, sink, "email_subject").split())
                body_text = _render(self._text, ctx, sink, "email_body_text")
                body_html = _render(self._html, ctx, sink, "email_body_html") if self._html is not None else ""
            if letter:
                letter_body = _render(self._letter, ctx, sink, "letter_body")
        finally:
            _missing_sink.reset(token)
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
