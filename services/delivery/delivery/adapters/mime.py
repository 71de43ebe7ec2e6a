"""The wire form of an outgoing email: multipart/alternative text + HTML, the PDF attached.

Written by hand, straight to bytes, instead of through ``email.mime`` and a generator:
the standard library builds a tree of ``Message`` objects, re-parses its own parameters
and compiles a regular expression per boundary, which cost ~175 µs per email — more
than the SMTP conversation itself. Here a plain email costs a few microseconds.

Safety does not depend on this module being clever: it only takes an ``OutgoingEmail``,
whose header values the domain has already made single-line and whose addresses are
validated plain ``local@domain`` (``domain.outgoing_email``). On top of that:

- display names are written as atoms, a quoted string (``\\`` and ``"`` escaped) or
  RFC 2047 encoded words (non-ASCII or very long), never raw;
- a subject that is not short ASCII becomes encoded words, folded;
- bodies are 7bit when they are ASCII with short lines and no stray control
  characters, quoted-printable UTF-8 otherwise (so no line is ever longer than 998);
- the attachment is base64 in 76-character lines, its file name quoted or RFC 2231
  encoded;
- every line ends with CRLF; the boundaries are random and checked against the bodies.

The result parses back (``email.policy.default``) to the same headers, bodies and
attachment; ``tests/unit/delivery/test_mime.py`` checks it on awkward values.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from datetime import datetime
from email.header import Header
from email.utils import format_datetime
from functools import lru_cache
from urllib.parse import quote

from delivery.domain.outgoing_email import Address, OutgoingEmail

CRLF = "\r\n"
_MAX_LINE = 998
# what may stay as it is in a 7bit body: tab, line ends and printable ASCII, lines under the limit
_NOT_7BIT = re.compile(r"[^\t\n\x20-\x7e]|[^\n]{900}")
# RFC 5322 specials: a display name with any of them is written as a quoted string
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')
_FILENAME_PLAIN = re.compile(r"^[\x20-\x7e]{1,200}$")


def _encoded_words(value: str, header_name: str) -> str:
    """``value`` as RFC 2047 encoded words (UTF-8), folded with CRLF + space."""
    return Header(value, "utf-8", header_name=header_name).encode(linesep=CRLF)


@lru_cache(maxsize=8192)
def _address(display_name: str, addr_spec: str, header_name: str) -> str:
    """``Name <local@domain>`` (or the bare address without a name), safely quoted."""
    if not display_name:
        return addr_spec
    if display_name.isascii() and len(display_name) < 800:
        if _SPECIALS.search(display_name):
            name = '"' + display_name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        else:
            name = display_name
    else:
        # one encoded word while it fits on the line: readers differ on the space between adjacent ones
        name = Header(display_name, "utf-8", maxlinelen=0).encode()
        if len(name) > 800:
            name = _encoded_words(display_name, header_name)
    return f"{name} <{addr_spec}>"


def _addresses(addresses: tuple[Address, ...], header_name: str) -> str:
    return ("," + CRLF + " ").join(_address(a.display_name, a.addr_spec, header_name) for a in addresses)


def _subject(subject: str) -> str:
    if subject.isascii() and len(subject) < 800:
        return subject
    return _encoded_words(subject, "Subject")


_last_date: tuple[datetime, str] | None = None


def _date(date: datetime) -> str:
    """The Date header value, formatted once per second (the clock's second is all it shows)."""
    global _last_date
    date = date.replace(microsecond=0)
    last = _last_date
    if last is not None and last[0] == date and last[0].utcoffset() == date.utcoffset():
        return last[1]
    formatted = format_datetime(date)
    _last_date = (date, formatted)
    return formatted


def _lines(text: str) -> str:
    """``text`` with every line end (CRLF, CR or LF) made LF."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _text_part(body: str, subtype: str) -> tuple[str, bytes]:
    """The headers and the encoded content of one text part."""
    text = _lines(body)
    if not _NOT_7BIT.search(text):
        headers = f'Content-Type: text/{subtype}; charset="us-ascii"{CRLF}Content-Transfer-Encoding: 7bit{CRLF}'
        return headers, text.replace("\n", CRLF).encode("ascii")
    encoded = binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")
    headers = f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}Content-Transfer-Encoding: quoted-printable{CRLF}'
    return headers, encoded


def _filename_param(filename: str) -> str:
    if _FILENAME_PLAIN.match(filename):
        # safe_filename already removed quotes, backslashes and line breaks
        return f'filename="{filename}"'
    # RFC 2231: percent-encoded UTF-8, in continuations that never split an escape
    chunks: list[str] = []
    current = ""
    for ch in filename:
        piece = quote(ch, safe="")
        if len(current) + len(piece) > 60:
            chunks.append(current)
            current = ""
        current += piece
    chunks.append(current)
    return (";" + CRLF + " ").join(
        f"filename*{n}*=utf-8''{chunk}" if n == 0 else f"filename*{n}*={chunk}" for n, chunk in enumerate(chunks)
    )


def _boundary(*contents: bytes) -> str:
    while True:
        boundary = "=_" + os.urandom(12).hex()
        marker = boundary.encode()
        if not any(marker in c for c in contents):
            return boundary


def _multipart(subtype: str, parts: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    """Headers and content of a multipart entity made of ``(headers, content)`` parts."""
    boundary = _boundary(*(c for _h, c in parts))
    delimiter = f"--{boundary}{CRLF}".encode()
    out = bytearray()
    for headers, content in parts:
        out += delimiter
        out += headers.encode("ascii")
        out += b"\r\n"
        out += content
        out += b"\r\n"
    out += f"--{boundary}--{CRLF}".encode()
    return f'Content-Type: multipart/{subtype}; boundary="{boundary}"{CRLF}', bytes(out)


def render(email: OutgoingEmail, date: datetime) -> bytes:
    """The message as it goes on the wire (CRLF line ends).

    Headers From, To, Cc, Reply-To, Subject, Message-ID, Date, MIME-Version; never a Bcc header.
    """
    body = _text_part(email.body_text, "plain")
    if email.body_html:
        body = _multipart("alternative", [body, _text_part(email.body_html, "html")])
    if email.attachment is not None:
        a = email.attachment
        data = base64.encodebytes(a.content).replace(b"\n", b"\r\n")
        attachment_headers = (
            f"Content-Type: {a.maintype}/{a.subtype}{CRLF}"
            f"Content-Transfer-Encoding: base64{CRLF}"
            f"Content-Disposition: attachment; {_filename_param(a.filename)}{CRLF}"
        )
        body = _multipart("mixed", [body, (attachment_headers, data.removesuffix(b"\r\n"))])
    content_headers, content = body

    head = [f"From: {_address(email.sender.display_name, email.sender.addr_spec, 'From')}"]
    head.append(f"To: {_address(email.to.display_name, email.to.addr_spec, 'To')}")
    if email.cc:
        head.append(f"Cc: {_addresses(email.cc, 'Cc')}")
    if email.reply_to is not None:
        head.append(f"Reply-To: {_address(email.reply_to.display_name, email.reply_to.addr_spec, 'Reply-To')}")
    head.append(f"Subject: {_subject(email.subject)}")
    head.append(f"Message-ID: {email.message_id}")
    head.append(f"Date: {_date(date)}")
    head.append("MIME-Version: 1.0")
    header_block = CRLF.join(head) + CRLF + content_headers + CRLF
    return header_block.encode("ascii") + content
