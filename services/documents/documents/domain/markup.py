"""The small markup of a letter body (see ``docs/letter-markup.md``).

The generator renders a template's letter body with Jinja2 into plain text that uses
this markup; documents turns it into blocks for the PDF:

* paragraphs are separated by one or more blank lines; a single line break inside a
  paragraph is kept as a line break;
* ``**bold**`` and ``*italic*`` (``***both***``); ``\\*`` is a literal asterisk;
* a line starting with ``- `` is a list item; consecutive items form one list; a
  following line indented by at least two spaces continues the item;
* a line holding only ``[[assemblies_table]]`` is where the table of the assemblies
  the letter covers goes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ASSEMBLIES_TABLE_PLACEHOLDER = "[[assemblies_table]]"


@dataclass(frozen=True)
class Span:
    """A run of text with one style; ``\\n`` inside ``text`` is a line break."""

    text: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True)
class Paragraph:
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class BulletList:
    items: tuple[tuple[Span, ...], ...]


@dataclass(frozen=True)
class AssembliesTable:
    """Where the table of the covered assemblies goes."""


Block = Paragraph | BulletList | AssembliesTable

_TOKEN = re.compile(r"\\\*|\*\*|\*")
_ITEM = re.compile(r"^\s*- (.*)$")


def parse_inline(text: str) -> tuple[Span, ...]:
    """Split ``text`` into styled spans; an unmatched ``**`` or ``*`` stays literal."""
    tokens = [(m.start(), m.group()) for m in _TOKEN.finditer(text)]
    literal: set[int] = set()
    for marker in ("**", "*"):
        positions = [pos for pos, tok in tokens if tok == marker]
        if len(positions) % 2:
            literal.add(positions[-1])
    spans: list[Span] = []
    bold = italic = False
    buf: list[str] = []
    last = 0

    def flush() -> None:
        if buf:
            chunk = "".join(buf)
            if chunk:
                if spans and spans[-1].bold == bold and spans[-1].italic == italic:
                    spans[-1] = Span(spans[-1].text + chunk, bold, italic)
                else:
                    spans.append(Span(chunk, bold, italic))
            buf.clear()

    for pos, tok in tokens:
        buf.append(text[last:pos])
        last = pos + len(tok)
        if tok == "\\*":
            buf.append("*")
        elif pos in literal:
            buf.append(tok)
        elif tok == "**":
            flush()
            bold = not bold
        else:
            flush()
            italic = not italic
    buf.append(text[last:])
    flush()
    return tuple(spans)


def parse_letter_body(text: str) -> tuple[Block, ...]:
    """Parse a rendered letter body into paragraphs, lists and the table placeholder."""
    blocks: list[Block] = []
    paragraph: list[str] = []
    items: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            blocks.append(Paragraph(parse_inline("\n".join(paragraph))))
            paragraph.clear()

    def end_list() -> None:
        if items:
            blocks.append(BulletList(tuple(parse_inline(item) for item in items)))
            items.clear()

    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        if not line.strip():
            end_paragraph()
            end_list()
            continue
        if line.strip() == ASSEMBLIES_TABLE_PLACEHOLDER:
            end_paragraph()
            end_list()
            blocks.append(AssembliesTable())
            continue
        item = _ITEM.match(line)
        if item:
            end_paragraph()
            items.append(item.group(1).strip())
            continue
        if items and line.startswith("  "):
            items[-1] = f"{items[-1]} {line.strip()}"
            continue
        end_list()
        paragraph.append(line.strip())
    end_paragraph()
    end_list()
    return tuple(blocks)
