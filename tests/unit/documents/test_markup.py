from documents.domain.markup import (
    AssembliesTable,
    BulletList,
    Paragraph,
    Span,
    parse_inline,
    parse_letter_body,
)


def test_bold_italic_and_both_are_styled_spans():
    assert parse_inline("Due **now**, *please* ***really***") == (
        Span("Due "),
        Span("now", bold=True),
        Span(", "),
        Span("please", italic=True),
        Span(" "),
        Span("really", bold=True, italic=True),
    )


def test_unmatched_and_escaped_asterisks_stay_literal():
    assert parse_inline(r"5 * 3 and \*not italic\*") == (Span("5 * 3 and *not italic*"),)
    assert parse_inline("a **b") == (Span("a **b"),)


def test_blank_lines_separate_paragraphs_and_single_breaks_stay_inside():
    blocks = parse_letter_body("Dear Jane,\n\nFirst line\nsecond line\n\n\nLast.")
    assert blocks == (
        Paragraph((Span("Dear Jane,"),)),
        Paragraph((Span("First line\nsecond line"),)),
        Paragraph((Span("Last."),)),
    )


def test_dash_lines_make_one_list_and_the_placeholder_a_table():
    blocks = parse_letter_body(
        "What to do:\n- Hire a **certified** tester\n- Send the report\n  within 10 days\n[[assemblies_table]]\nThanks"
    )
    assert blocks == (
        Paragraph((Span("What to do:"),)),
        BulletList(
            (
                (Span("Hire a "), Span("certified", bold=True), Span(" tester")),
                (Span("Send the report within 10 days"),),
            )
        ),
        AssembliesTable(),
        Paragraph((Span("Thanks"),)),
    )


def test_windows_line_endings_and_empty_body():
    assert parse_letter_body("a\r\n\r\nb") == (Paragraph((Span("a"),)), Paragraph((Span("b"),)))
    assert parse_letter_body("") == ()
