"""The hand-written wire form parses back, with the standard library, to exactly what was asked.

Awkward values on purpose: quotes and specials in names, non-ASCII everywhere, long lines,
lone dots, trailing spaces, bare CR/LF in bodies, text that looks like a boundary, and
random strings (seeded) made of the characters that tend to break things.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage

import pytest

from delivery.adapters.mime import render
from delivery.domain.outgoing_email import EmailRequest, build_email

DATE = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


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
        "cc": [],
        "bcc": [],
        "attachment_filename": "letter.pdf",
    }
    values.update(changes)
    return EmailRequest(**values)  # type: ignore[arg-type]


def _parse(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=email_policy.default)
    assert isinstance(msg, EmailMessage)
    for part in msg.walk():
        assert not part.defects, part.defects
    return msg


def _wire_rules(raw: bytes) -> None:
    assert b"\n" not in raw.replace(b"\r\n", b""), "a bare LF"
    assert b"\r" not in raw.replace(b"\r\n", b""), "a bare CR"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n")), "a line over 998 octets"
    assert raw.isascii(), "8-bit content without 8BITMIME"


def _norm(text: str) -> str:
    """How a body reads back: every line end is a newline."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def test_headers_of_a_plain_email_in_order_and_each_once() -> None:
    raw = render(build_email(_request(cc=["manager@customer.example"], bcc=["records@riverbend.example"])), DATE)
    _wire_rules(raw)
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    names = [line.split(":", 1)[0] for line in head.split("\r\n") if line and not line[0].isspace()]
    assert names == ["From", "To", "Cc", "Reply-To", "Subject", "Message-ID", "Date", "MIME-Version", "Content-Type"]
    msg = _parse(raw)
    assert str(msg["Date"]) == "Sun, 01 Mar 2026 08:30:00 +0000"
    assert str(msg["Message-ID"]) == "<c-1@riverbend.example>"
    assert b"records@riverbend.example" not in raw


def test_text_only_email_is_a_single_part() -> None:
    msg = _parse(render(build_email(_request(body_html="")), DATE))
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content() == "Your assembly is due."


@pytest.mark.parametrize(
    "name",
    [
        'Pat "The Owner" O\'Brien',
        "Smith, Pat",
        "Dr. Pat (owner) <pat@evil.example>",
        "back\\slash",
        "José Núñez",
        "Régie des eaux " * 30,
        "x" * 400,
        "=?utf-8?q?not_an_encoded_word?=",
        "Ω" * 1000,
    ],
)
def test_display_names_come_back_as_given_and_never_change_the_address(name: str) -> None:
    raw = render(build_email(_request(to_name=name, from_name=name, cc=["a@b.example"])), DATE)
    _wire_rules(raw)
    msg = _parse(raw)
    [to] = msg["To"].addresses
    [sender] = msg["From"].addresses
    assert to.addr_spec == "owner@customer.example" and sender.addr_spec == "ccc@riverbend.example"
    # an ASCII value that looks encoded is decoded by readers, not ours to fix; an absurdly long
    # name is folded into several encoded words, between which readers disagree about spaces
    if not name.startswith("=?") and len(name) < 500:
        assert to.display_name == name.strip() and sender.display_name == name.strip()


def test_several_copies_each_with_a_name() -> None:
    request = _request(cc=["one@customer.example", "two@customer.example", "three@customer.example"])
    msg = _parse(render(build_email(request), DATE))
    assert [a.addr_spec for a in msg["Cc"].addresses] == [
        "one@customer.example",
        "two@customer.example",
        "three@customer.example",
    ]


@pytest.mark.parametrize(
    "body",
    [
        "line one\nline two\n",
        "windows\r\nline ends\r\n",
        "old mac\rline ends",
        ".\nA lone dot above and below\n.\n",
        "From the utility: trailing spaces   \nand tabs\t\n",
        "--=_0123456789abcdef01234567\nlooks like a boundary\n--=_0123456789abcdef01234567--",
        "y" * 5000,
        "accents: été, ç, ü — and emoji 💧",
        "control \x00 \x07 \x1b \x7f characters",
        "= signs =3D and =\nsoft break look-alikes",
    ],
)
def test_bodies_come_back_as_given(body: str) -> None:
    raw = render(build_email(_request(body_text=body, body_html=f"<pre>{body}</pre>")), DATE)
    _wire_rules(raw)
    msg = _parse(raw)
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    assert _norm(text.get_content()).rstrip("\n") == _norm(body).rstrip("\n")
    assert _norm(html.get_content()).rstrip("\n") == f"<pre>{_norm(body)}</pre>".rstrip("\n")


def test_ascii_bodies_with_short_lines_stay_7bit_and_others_are_quoted_printable() -> None:
    raw = render(build_email(_request(body_text="plain ascii", body_html="<p>été</p>")), DATE)
    msg = _parse(raw)
    assert msg.get_body(("plain",))["Content-Transfer-Encoding"] == "7bit"
    assert msg.get_body(("html",))["Content-Transfer-Encoding"] == "quoted-printable"


@pytest.mark.parametrize(
    "subject", ["x" * 3000, "Échéance du test annuel " * 20, "Due", 'semi; colon, comma: (paren) "quote"']
)
def test_subjects_come_back_as_given(subject: str) -> None:
    email = build_email(_request(subject=subject))
    raw = render(email, DATE)
    _wire_rules(raw)
    assert str(_parse(raw)["Subject"]) == subject.strip() == email.subject


@pytest.mark.parametrize("filename", ["letter.pdf", "lettre-échéance.pdf", "a b;c=d.pdf", "l" * 300 + ".pdf"])
def test_the_attachment_and_its_name_come_back_as_given(filename: str) -> None:
    pdf = bytes(range(256)) * 400
    raw = render(build_email(_request(attachment_filename=filename), pdf), DATE)
    _wire_rules(raw)
    msg = _parse(raw)
    assert msg.get_content_type() == "multipart/mixed"
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_content() == pdf
    assert attachment.get_filename() == filename
    assert msg.get_body(("plain",)).get_content() == "Your assembly is due."  # type: ignore[union-attr]
    assert msg.get_body(("html",)).get_content() == "<p>Your assembly is due.</p>"  # type: ignore[union-attr]


def test_boundaries_differ_between_emails_and_never_occur_in_the_content() -> None:
    email = build_email(_request())
    first, second = render(email, DATE), render(email, DATE)
    assert first != second  # fresh random boundaries
    msg = _parse(first)
    boundary = msg.get_boundary()
    assert boundary is not None and first.count(boundary.encode()) == 4  # the header, two delimiters, the close
    assert first.count(f"--{boundary}\r\n".encode()) == 2


def test_random_hostile_values_never_add_a_header_and_always_come_back() -> None:
    rng = random.Random(20260301)
    alphabet = "aZ09 .,;:<>\"'()[]\\@=?_-\t\r\n\x00\x0b\x1b\u2028\u0085éßЖ中💧"
    for _ in range(300):

        def junk(n: int) -> str:
            return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, n)))

        request = _request(
            subject=junk(120),
            to_name=junk(60),
            from_name=junk(60),
            body_text=junk(400),
            body_html=junk(400) or "<p/>",
            cc=["copy@customer.example"],
            bcc=["hidden@riverbend.example"],
            attachment_filename=junk(40),
        )
        email = build_email(request, b"%PDF-1.4 " + junk(50).encode())
        raw = render(email, DATE)
        _wire_rules(raw)
        msg = _parse(raw)
        assert sorted(msg.keys()) == sorted(
            ["From", "To", "Cc", "Reply-To", "Subject", "Message-ID", "Date", "MIME-Version", "Content-Type"]
        )
        assert [a.addr_spec for a in msg["To"].addresses] == ["owner@customer.example"]
        assert [a.addr_spec for a in msg["From"].addresses] == ["ccc@riverbend.example"]
        assert str(msg["Subject"]) == email.subject
        # readers collapse runs of spaces in a decoded name (not significant in a phrase)
        assert msg["To"].addresses[0].display_name.split() == email.to.display_name.split()
        assert _norm(msg.get_body(("plain",)).get_content()).rstrip("\n") == _norm(request.body_text).rstrip("\n")  # type: ignore[union-attr]
        [attachment] = list(msg.iter_attachments())
        assert attachment.get_filename() == email.attachment.filename  # type: ignore[union-attr]
        assert b"hidden@riverbend.example" not in raw
