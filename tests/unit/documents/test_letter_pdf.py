"""Letters opened with poppler (pdfinfo, pdftotext), as the admin's PDF reader would."""

from datetime import date
from pathlib import Path

from documents.adapters.pdf_letter import render_letter
from documents.service_layer.letters import build_letter
from tests.unit.documents import factories
from tests.unit.documents.pdftools import POINTS_PER_INCH, fonts, page_count, squashed, text, words

# The #10 window on the unfolded letter: 4.5" x 1.125", 7/8" from the left, 2" from the top.
WINDOW = (0.875 * POINTS_PER_INCH, 2.0 * POINTS_PER_INCH, 5.375 * POINTS_PER_INCH, 3.125 * POINTS_PER_INCH)


def write_letter(tmp_path: Path, **kwargs) -> Path:
    comm = factories.communication(**kwargs)
    rendered = render_letter(build_letter(comm, factories.organization(), date(2026, 1, 5)))
    path = tmp_path / f"{comm.communication_id}.pdf"
    path.write_bytes(rendered.pdf)
    assert rendered.pages == page_count(path)
    return path


def test_a_letter_shows_letterhead_date_address_merge_values_table_and_signature(tmp_path: Path):
    path = write_letter(tmp_path, name="Jane Smith", street="12 Elm Street", postal_code="97001", due="March 1, 2026")
    info = text(path)
    flat = squashed(info)
    assert page_count(path) == 1
    assert "Riverbend Water Utility" in flat
    assert "Cross-Connection Control Program" in flat
    assert "January 5, 2026" in flat
    for line in ("Jane Smith", "12 Elm Street", "Suite 4", "Riverbend, OR 97001"):
        assert line in flat
    assert "Dear Jane Smith," in flat
    assert "must be tested by March 1, 2026." in flat
    assert "• Hire a certified tester" in flat
    assert "Send the report to Riverbend Water & keep a copy" in flat
    assert 'SN-0000-97001 RP 3/4" 12 Elm Street, Suite 4, Basement 2026-03-01' in flat
    assert "SN-0001-97001 DC" in flat
    assert "Sincerely," in flat and "(541) 555-0100" in flat
    assert "[[assemblies_table]]" not in info and "**" not in info
    assert "Page 1 of" not in info
    # bold and italic markup use the bold and oblique faces
    assert {"Helvetica", "Helvetica-Bold", "Helvetica-Oblique"} <= fonts(path)


def test_the_address_block_falls_inside_the_number_10_envelope_window(tmp_path: Path):
    name = "Maximilian Alexander Worthington-Smythe III of the Very Long Name Holdings Company"
    path = write_letter(tmp_path, name=name, street="12345 Long Avenue", postal_code="97001-1234")
    left, top, right, bottom = WINDOW
    # what lies between the letterhead rule and the body, left of the date: the address block
    block = [w for w in words(path, 1) if 1.8 * POINTS_PER_INCH < w.y_min < 3.4 * POINTS_PER_INCH and w.x_min < right]
    assert " ".join(w.text for w in block).startswith("Maximilian Alexander Worthington-Smythe III")
    assert " ".join(w.text for w in block).endswith("12345 Long Avenue Suite 4 Riverbend, OR 97001-1234")
    for w in block:
        assert left <= w.x_min and w.x_max <= right, w
        assert top <= w.y_min and w.y_max <= bottom, w


def test_a_long_letter_runs_over_pages_numbered_page_i_of_n(tmp_path: Path):
    path = write_letter(tmp_path, assemblies=90)
    pages = page_count(path)
    assert pages >= 3
    for number in range(1, pages + 1):
        assert f"Page {number} of {pages}" in text(path, first=number, last=number)
    flat = squashed(text(path))
    assert "SN-0089-97001" in flat
    # the table header repeats on the following pages
    assert squashed(text(path, first=2, last=2)).count("Serial number Type Size") == 1


def test_a_one_assembly_letter_without_placeholder_has_no_table(tmp_path: Path):
    path = write_letter(tmp_path, assemblies=1, body="Hello *there*.\n\nBye.")
    flat = squashed(text(path))
    assert "Hello there." in flat and "Serial number" not in flat
