import io
import tracemalloc
from datetime import date
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from documents.adapters.pdf_concat import ConcatenationResult, concatenate
from documents.adapters.pdf_letter import render_letter
from documents.service_layer.letters import build_letter
from tests.unit.documents import factories
from tests.unit.documents.pdftools import page_count, pdfinfo, squashed, text


@pytest.mark.parametrize("fast", [True, False], ids=["fast-reader", "pypdf-reader"])
def test_concatenated_letters_keep_every_page_in_the_given_order(tmp_path: Path, fast: bool):
    org = factories.organization()
    names = ["Ann Able", "Bob Baker", "Cy Long", "Dee Dunn"]
    comms = [factories.communication(name=n, assemblies=80 if n == "Cy Long" else 2) for n in names]
    pdfs = [render_letter(build_letter(c, org, date(2026, 1, 5))) for c in comms]
    result = ConcatenationResult()
    out = tmp_path / "combined.pdf"
    with out.open("wb") as f:
        for chunk in concatenate((p.pdf for p in pdfs), result, title="Letters of batch X", fast=fast):
            f.write(chunk)
    expected_pages = sum(p.pages for p in pdfs)
    assert expected_pages > len(names)
    assert result.pages == expected_pages == page_count(out)
    assert result.documents == 4 and result.bytes_written == out.stat().st_size
    assert pdfinfo(out)["Title"] == "Letters of batch X"
    flat = squashed(text(out))
    positions = [flat.index(f"Dear {n},") for n in names]
    assert positions == sorted(positions)
    # each letter's own pages follow it: the long letter's page 3 comes before Dee's letter
    cy_pages = pdfs[2].pages
    assert flat.index(f"Page {cy_pages} of {cy_pages}") < flat.index("Dear Dee Dunn,")


def test_concatenating_nothing_is_refused_rather_than_writing_an_invalid_pdf():
    with pytest.raises(ValueError, match="no page"):
        b"".join(concatenate([]))


def test_a_pdf_the_fast_reader_does_not_handle_is_copied_the_general_way(tmp_path: Path):
    # a page with a link annotation (a string in a dictionary) between two letters
    linked = io.BytesIO()
    c = canvas.Canvas(linked)
    c.drawString(72, 700, "See the program rules online")
    c.linkURL("https://example.org/rules", (72, 690, 300, 712))
    c.showPage()
    c.save()
    org = factories.organization()
    letters = [render_letter(build_letter(factories.communication(name=n), org, date(2026, 1, 5))).pdf for n in "AB"]
    out = tmp_path / "mixed.pdf"
    result = ConcatenationResult()
    out.write_bytes(b"".join(concatenate([letters[0], linked.getvalue(), letters[1]], result)))
    assert page_count(out) == result.pages == 3
    flat = squashed(text(out))
    assert flat.index("Dear A,") < flat.index("See the program rules online") < flat.index("Dear B,")


def test_memory_stays_flat_when_the_number_of_letters_grows(tmp_path: Path):
    org = factories.organization()
    samples = [render_letter(build_letter(factories.communication(name=n), org, date(2026, 1, 5))).pdf for n in "ABC"]

    def peak_for(count: int) -> int:
        tracemalloc.start()
        try:
            with (tmp_path / f"{count}.pdf").open("wb") as out:
                for chunk in concatenate(samples[i % 3] for i in range(count)):
                    out.write(chunk)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak_for(200), peak_for(1600)
    assert page_count(tmp_path / "1600.pdf") == 1600
    grown_output = (tmp_path / "1600.pdf").stat().st_size - (tmp_path / "200.pdf").stat().st_size
    # eight times the letters: the peak grows by the cross-reference offsets (a few bytes per
    # object), far less than the output, which never sits in memory
    assert large - small < grown_output / 3, (small, large, grown_output)
