"""An outgoing email, built only from values that are safe to put in headers.

Header injection is prevented here, before anything reaches an SMTP library: every
header value is single-line (CR, LF and other control characters are replaced by a
space) and every address must parse as exactly one ``local@domain`` address. The
Bcc addresses are kept for the envelope only; they never become a header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
# RFC 5322 dot-atom local part (no quoted strings, no comments) @ a DNS name
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDR_SPEC = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+$")
_MESSAGE_ID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")


class InvalidEmail(ValueError):
    """A value that cannot go into an email; ``field`` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def single_line(value: str) -> str:
    """``value`` with every line break or control character replaced by one space, trimmed."""
    return _CONTROL.sub(" ", value).strip()


@dataclass(frozen=True)
class Address:
    """One mailbox: an optional display name (single line) and a plain ``local@domain``."""

    display_name: str
    addr_spec: str


@lru_cache(maxsize=4096)  # the organization's From and Reply-To repeat in every email of a batch
def mailbox(addr: str, display_name: str = "", *, field: str) -> Address:
    """One validated address (with an optional display name) for header ``field``.

    Refuses anything that is not exactly one plain ``local@domain`` address (dot-atom
    local part, DNS domain with a dot, at most 254 characters): a value with a line
    break, a list, a display name or angle brackets smuggling a second address.
    """
    raw = addr.strip()
    if not raw:
        raise InvalidEmail(field, "empty address")
    if _CONTROL.search(addr):
        raise InvalidEmail(field, "line break or control character in address")
    if len(raw) > 254 or not _ADDR_SPEC.match(raw):
        raise InvalidEmail(field, f"not a single valid address: {raw!r}")
    return Address(display_name=single_line(display_name), addr_spec=raw)


def message_id(value: str) -> str:
    """The Message-ID header value: ``<left@right>``, no spaces or line breaks."""
    mid = value.strip()
    if mid and not mid.startswith("<"):
        mid = f"<{mid}>"
    if not _MESSAGE_ID.match(mid):
        raise InvalidEmail("message_id", f"not a valid Message-ID: {value!r}")
    return mid


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


@dataclass(frozen=True)
class OutgoingEmail:
    """Everything needed to send one communication's email, already validated."""

    message_id: str
    sender: Address
    to: Address
    subject: str
    body_text: str
    body_html: str = ""
    reply_to: Address | None = None
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()
    attachment: Attachment | None = None

    @property
    def envelope_sender(self) -> str:
        return self.sender.addr_spec

    @property
    def envelope_recipients(self) -> list[str]:
        """To, Cc and Bcc addresses, each once, in that order (Bcc is only ever here)."""
        seen: dict[str, None] = {}
        for a in (self.to, *self.cc, *self.bcc):
            seen.setdefault(a.addr_spec.lower(), None)
        return list(seen)


@dataclass(frozen=True)
class EmailRequest:
    """The raw values of a delivery request, as they came in (nothing validated yet)."""

    message_id: str
    from_email: str
    to_email: str
    subject: str
    body_text: str
    from_name: str = ""
    to_name: str = ""
    reply_to: str = ""
    body_html: str = ""
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    attachment_filename: str = ""


_FILENAME_CHARS = str.maketrans({"/": "_", "\\": "_", "<": "_", ">": "_", '"': None})


def safe_filename(name: str, default: str = "letter.pdf") -> str:
    """An attachment file name without path separators, quotes, angle brackets or line breaks."""
    cleaned = single_line(name).translate(_FILENAME_CHARS).strip()
    return cleaned or default


def build_email(request: EmailRequest, attachment: bytes | None = None) -> OutgoingEmail:
    """Validate a request's values and build the email; raises ``InvalidEmail`` naming the field."""
    return OutgoingEmail(
        message_id=message_id(request.message_id),
        sender=mailbox(request.from_email, request.from_name, field="from_email"),
        to=mailbox(request.to_email, request.to_name, field="to_email"),
        reply_to=mailbox(request.reply_to, field="reply_to") if request.reply_to.strip() else None,
        cc=tuple(mailbox(a, field="cc") for a in request.cc if a.strip()),
        bcc=tuple(mailbox(a, field="bcc") for a in request.bcc if a.strip()),
        subject=single_line(request.subject),
        body_text=request.body_text,
        body_html=request.body_html,
        attachment=(
            Attachment(filename=safe_filename(request.attachment_filename), content=attachment)
            if attachment is not None
            else None
        ),
    )
