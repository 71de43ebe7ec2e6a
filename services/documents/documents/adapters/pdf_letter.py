"""Letter PDFs with reportlab.

Page layout (US Letter, inches from the top-left corner of the page):

* letterhead from 0.5" down, above 1.75";
* the date, right-aligned, at 2.3" (outside the envelope window);
* the recipient's address block at 1.0" from the left and 2.2" from the top (first
  baseline), so it shows through a standard #10 window envelope (window 4.5" x 1.125",
  7/8" from the left, 2" from the top of the letter folded in thirds);
* the body from 3.4" on the first page and 1" on the next ones, to 1" above the bottom;
* "Page i of n" at the bottom of every page when the letter runs over one page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from documents.domain.letter import Letter, format_letter_date
from documents.domain.markup import AssembliesTable, BulletList, Span
from documents.domain.markup import Paragraph as BodyParagraph

# binary (Flate only) content streams: smaller files and less work than ASCII85 on top
rl_config.useA85 = 0

PAGE_WIDTH, PAGE_HEIGHT = LETTER

# The #10 window, measured on the unfolded letter.
WINDOW_LEFT = 0.875 * inch
WINDOW_TOP = 2.0 * inch
WINDOW_WIDTH = 4.5 * inch
WINDOW_HEIGHT = 1.125 * inch

ADDRESS_LEFT = 1.0 * inch
ADDRESS_FIRST_BASELINE = 2.2 * inch
ADDRESS_FONT = "Helvetica"
ADDRESS_SIZE = 10.0
ADDRESS_LEADING = 12.0
ADDRESS_MAX_LINES = 5
ADDRESS_MAX_WIDTH = WINDOW_LEFT + WINDOW_WIDTH - ADDRESS_LEFT - 0.125 * inch

MARGIN = 1.0 * inch
FIRST_BODY_TOP = 3.4 * inch

_BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=10.5, leading=14, spaceAfter=8)
_ITEM = ParagraphStyle("item", parent=_BODY, leftIndent=18, bulletIndent=6, spaceAfter=3)
_CELL = ParagraphStyle("cell", fontName="Helvetica", fontSize=9, leading=11)
_SIGN = ParagraphStyle("sign", parent=_BODY, spaceAfter=0)
_TABLE_STYLE = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.92, 0.95)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9, 11),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 9, 11),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
)
_TABLE_HEADER = ("Serial number", "Type", "Size", "Location", "Next test due")
_TABLE_WIDTHS = (1.25 * inch, 0.7 * inch, 0.6 * inch, 2.6 * inch, 1.35 * inch)


@dataclass(frozen=True)
class RenderedLetter:
    pdf: bytes
    pages: int


def _markup(spans: tuple[Span, ...]) -> str:
    out = []
    for span in spans:
        text = escape(span.text).replace("\n", "<br/>")
        if span.bold:
            text = f"<b>{text}</b>"
        if span.italic:
            text = f"<i>{text}</i>"
        out.append(text)
    return "".join(out)


def _fit(text: str, font: str, size: float, width: float) -> tuple[str, float]:
    """Shrink a line down to 7 pt, then cut it, so that it stays inside ``width``."""
    while size > 7.0 and stringWidth(text, font, size) > width:
        size -= 0.5
    if stringWidth(text, font, size) > width:
        while text and stringWidth(text + "…", font, size) > width:
            text = text[:-1]
        text += "…"
    return text, size


class _NumberedCanvas(rl_canvas.Canvas):
    """Holds the pages until the end so each can say "Page i of n" when there are several."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            if total > 1:
                self.setFont("Helvetica", 8.5)
                self.drawCentredString(PAGE_WIDTH / 2, 0.5 * inch, f"Page {number} of {total}")
            super().showPage()
        super().save()


class _LetterDoc(BaseDocTemplate):
    def __init__(self, buffer: io.BytesIO, letter: Letter) -> None:
        super().__init__(
            buffer,
            pagesize=LETTER,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN,
            title=f"Letter to {letter.recipient_name}",
            author=letter.organization_name,
            invariant=1,
        )
        self.letter = letter
        width = PAGE_WIDTH - 2 * MARGIN
        first = Frame(MARGIN, MARGIN, width, PAGE_HEIGHT - FIRST_BODY_TOP - MARGIN, id="first", showBoundary=0)
        later = Frame(MARGIN, MARGIN, width, PAGE_HEIGHT - 2 * MARGIN, id="later", showBoundary=0)
        self.addPageTemplates(
            [
                PageTemplate("first", [first], onPage=self._first_page, autoNextPageTemplate="later"),
                PageTemplate("later", [later], onPage=self._later_page),
            ]
        )

    def _first_page(self, canvas: rl_canvas.Canvas, _doc: Any) -> None:
        letter = self.letter
        canvas.saveState()
        y = PAGE_HEIGHT - 0.5 * inch - 12
        name, size = _fit(letter.organization_name, "Helvetica-Bold", 14, PAGE_WIDTH - 2 * MARGIN)
        canvas.setFont("Helvetica-Bold", size)
        canvas.drawString(MARGIN, y, name)
        y -= 13
        canvas.setFont("Helvetica", 9)
        for line in (*letter.letterhead_lines, *letter.organization_contact_lines)[:6]:
            text, fsize = _fit(line, "Helvetica", 9, PAGE_WIDTH - 2 * MARGIN)
            canvas.setFont("Helvetica", fsize)
            canvas.drawString(MARGIN, y, text)
            y -= 11
        canvas.setStrokeColor(colors.grey)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, PAGE_HEIGHT - 1.75 * inch, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 1.75 * inch)
        canvas.setFont("Helvetica", 10)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 2.3 * inch, format_letter_date(letter.letter_date))
        y = PAGE_HEIGHT - ADDRESS_FIRST_BASELINE
        for line in letter.address_block[:ADDRESS_MAX_LINES]:
            text, fsize = _fit(line, ADDRESS_FONT, ADDRESS_SIZE, ADDRESS_MAX_WIDTH)
            canvas.setFont(ADDRESS_FONT, fsize)
            canvas.drawString(ADDRESS_LEFT, y, text)
            y -= ADDRESS_LEADING
        canvas.restoreState()

    def _later_page(self, canvas: rl_canvas.Canvas, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8.5)
        canvas.drawString(MARGIN, PAGE_HEIGHT - 0.6 * inch, self.letter.organization_name)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 0.6 * inch, self.letter.recipient_name)
        canvas.restoreState()


def _cell(text: str, width: float) -> str | Paragraph:
    """Plain text when it fits the column (cheap to draw), a wrapping paragraph otherwise."""
    text = text if len(text) <= 200 else text[:199] + "…"
    if stringWidth(text, _CELL.fontName, _CELL.fontSize) <= width - 8:
        return text
    return Paragraph(escape(text), _CELL)


def _assemblies_table(letter: Letter) -> Table | None:
    if not letter.assemblies:
        return None
    rows: list[list[Any]] = [list(_TABLE_HEADER)]
    for a in letter.assemblies:
        cells = (a.serial_number, a.assembly_type, a.size, a.location, a.next_test_due)
        rows.append([_cell(c, w) for c, w in zip(cells, _TABLE_WIDTHS, strict=True)])
    table = Table(rows, colWidths=_TABLE_WIDTHS, repeatRows=1, hAlign="LEFT")
    table.setStyle(_TABLE_STYLE)
    return table


def letter_flowables(letter: Letter) -> list[Flowable]:
    """The body, the assemblies table where the placeholder is, and the signature."""
    story: list[Flowable] = []
    for block in letter.body:
        if isinstance(block, BodyParagraph):
            story.append(Paragraph(_markup(block.spans), _BODY))
        elif isinstance(block, BulletList):
            story.extend(Paragraph(_markup(item), _ITEM, bulletText="•") for item in block.items)
            story.append(Spacer(1, 5))
        elif isinstance(block, AssembliesTable):
            table = _assemblies_table(letter)
            if table is not None:
                story.extend([table, Spacer(1, 10)])
    signature = [Spacer(1, 6)]
    signature.extend(Paragraph(escape(line) or "&nbsp;", _SIGN) for line in letter.signature_lines)
    story.append(KeepTogether(signature))
    return story


def render_letter(letter: Letter) -> RenderedLetter:
    """The letter as a PDF, and its number of pages."""
    buffer = io.BytesIO()
    doc = _LetterDoc(buffer, letter)
    doc.build(letter_flowables(letter), canvasmaker=_NumberedCanvas)
    return RenderedLetter(buffer.getvalue(), doc.page)
