"""Validation at save: a template that cannot render for its settings is refused.

The merge fields are fixed (``MERGE_FIELDS``): a template that names anything else, or that
does not parse, is refused when saved with the part, line and field named
(``TemplateProblem``s in an ``InvalidTemplate``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from jinja2 import TemplateSyntaxError, meta, nodes

from generator.domain.merge_fields import LIST_FIELDS, MERGE_FIELDS, OBJECT_FIELDS
from generator.domain.templates import PARTS, TEXT_ENV, TemplateContent


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
        ast = TEXT_ENV.parse(source)
        undeclared = meta.find_undeclared_variables(ast)  # also refuses unknown filters and tests
        TEXT_ENV.compile(source)
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
