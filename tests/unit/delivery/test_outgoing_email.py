"""Building an email from a request: values that could inject headers never make it into one."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy

import pytest

from delivery.adapters.mime import render
from delivery.domain.outgoing_email import EmailRequest, InvalidEmail, build_email, single_line


def _request(**changes: object) -> EmailRequest:
    values: dict[str, object] = {
        "message_id": "<c-1@riverbend.example>",
        "from_email": "ccc@riverbend.example",
        "from_name": "Riverbend Water Utility",
        "to_email": "owner@customer.example",
        "to_name": "Pat Owner",
        "reply_to": "backflow@riverbend.example",
        "subject": "Annual backflow test due",
        "body_text": "Your assembly is due.",
        "body_html": "<p>Your assembly is due.</p>",
        "cc": ["manager@customer.example"],
        "bcc": ["records@riverbend.example"],
        "attachment_filename": "letter.pdf",
    }
    values.update(changes)
    return EmailRequest(**values)  # type: ignore[arg-type]


def _wire(request: EmailRequest, pdf: bytes | None = None):
    raw = render(build_email(request, pdf), datetime(2026, 3, 1, tzinfo=UTC))
    return raw, message_from_bytes(raw, policy=email_policy.default)


def test_the_email_has_the_organizations_from_reply_to_copies_and_both_bodies() -> None:
    raw, msg = _wire(_request())
    assert str(msg["From"]) == "Riverbend Water Utility <ccc@riverbend.example>"
    assert str(msg["Reply-To"]) == "backflow@riverbend.example"
    assert str(msg["To"]) == "Pat Owner <owner@customer.example>"
    assert str(msg["Cc"]) == "manager@customer.example"
    assert msg["Bcc"] is None and b"records@riverbend.example" not in raw
    assert str(msg["Message-ID"]) == "<c-1@riverbend.example>"
    assert msg["Date"] is not None
    assert msg.get_content_type() == "multipart/alternative"
    assert msg.get_body(("plain",)).get_content().strip() == "Your assembly is due."
    assert msg.get_body(("html",)).get_content().strip() == "<p>Your assembly is due.</p>"


def test_bcc_is_only_in_the_envelope_and_each_recipient_once() -> None:
    email = build_email(_request(cc=["Owner@Customer.example", "manager@customer.example"]))
    assert email.envelope_recipients == [
        "owner@customer.example",
        "manager@customer.example",
        "records@riverbend.example",
    ]


def test_a_pdf_attachment_makes_a_mixed_message_with_the_letter() -> None:
    _raw, msg = _wire(_request(attachment_filename='../evil"\r\nX: y.pdf'), b"%PDF-1.4 letter")
    assert msg.get_content_type() == "multipart/mixed"
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.4 letter"
    assert attachment.get_filename() == ".._evil X: y.pdf"


@pytest.mark.parametrize(
    "subject",
    ["Due\r\nBcc: evil@attacker.example", "Due\nBcc: evil@attacker.example", "Due\rBcc: evil@attacker.example"],
)
def test_line_breaks_in_the_subject_cannot_add_headers(subject: str) -> None:
    raw, msg = _wire(_request(subject=subject))
    assert msg["Bcc"] is None
    assert str(msg["Subject"]) == "Due Bcc: evil@attacker.example"
    assert b"\nBcc:" not in raw


def test_line_breaks_in_display_names_cannot_add_headers() -> None:
    _raw, msg = _wire(_request(to_name="Pat\r\nBcc: evil@attacker.example", from_name="Utility\nX-Evil: 1"))
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert msg["To"].addresses[0].addr_spec == "owner@customer.example"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to_email", "owner@customer.example, thief@attacker.example"),
        ("to_email", "owner@customer.example\r\nBcc: thief@attacker.example"),
        ("to_email", "Thief <thief@attacker.example>"),
        ("to_email", "not-an-address"),
        ("to_email", ""),
        ("from_email", "ccc@riverbend.example\nBcc: x@y.example"),
        ("reply_to", "a@b.example; c@d.example"),
    ],
)
def test_anything_but_one_plain_address_is_refused_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(InvalidEmail) as refused:
        build_email(_request(**{field: value}))
    assert refused.value.field == field


def test_a_bad_copy_address_is_refused_as_cc() -> None:
    with pytest.raises(InvalidEmail) as refused:
        build_email(_request(cc=["fine@customer.example", "no good"]))
    assert refused.value.field == "cc"


@pytest.mark.parametrize("bad", ["<a b@c>", "<x@y>\r\nBcc: e@f.example", "no-at-sign", ""])
def test_a_message_id_must_be_one_token_in_angle_brackets(bad: str) -> None:
    with pytest.raises(InvalidEmail) as refused:
        build_email(_request(message_id=bad))
    assert refused.value.field == "message_id"


def test_a_message_id_without_brackets_gets_them() -> None:
    assert build_email(_request(message_id="c-2@riverbend.example")).message_id == "<c-2@riverbend.example>"


def test_single_line_flattens_every_kind_of_line_break() -> None:
    assert single_line(" a\r\nb\u2028c\x00d\te ") == "a b c d e"


def test_non_ascii_names_subject_bodies_and_filename_survive_the_trip() -> None:
    _raw, msg = _wire(
        _request(
            subject="Essai annuel du dispositif antirefoulement – échéance " + "é" * 200,
            from_name="Régie des eaux de Rivière",
            to_name="José Núñez",
            body_text="Votre dispositif doit être testé.",
            body_html="<p>Votre dispositif doit être testé.</p>",
            attachment_filename="lettre-échéance.pdf",
        ),
        b"%PDF-1.4",
    )
    assert str(msg["Subject"]) == "Essai annuel du dispositif antirefoulement – échéance " + "é" * 200
    assert msg["From"].addresses[0].display_name == "Régie des eaux de Rivière"
    assert msg["To"].addresses[0].display_name == "José Núñez"
    assert msg.get_body(("plain",)).get_content().strip() == "Votre dispositif doit être testé."
    assert msg.get_body(("html",)).get_content().strip() == "<p>Votre dispositif doit être testé.</p>"
    assert next(msg.iter_attachments()).get_filename() == "lettre-échéance.pdf"


def test_every_line_on_the_wire_is_short_and_crlf_terminated() -> None:
    raw, msg = _wire(_request(subject="x" * 3000, body_text="y" * 5000), b"%PDF" * 1000)
    lines = raw.split(b"\r\n")
    assert all(len(line) <= 998 for line in lines)
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert str(msg["Subject"]) == "x" * 3000
    assert msg.get_body(("plain",)).get_content().strip() == "y" * 5000
