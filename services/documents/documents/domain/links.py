"""Signed expiring download links.

A link token carries a document id, its expiry and the id of the key that signed
it, followed by an HMAC-SHA256 over all three; it is URL-safe base64 without padding.
Keys rotate: a new key becomes active while a retired one still verifies until its
``retired_at`` plus the configured grace period, and never after.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

_VERSION = 1
_DOMAIN = b"documents-link"
_MAC_BYTES = 32


class LinkRefused(Exception):
    """The token was altered, is malformed, or its key is unknown or retired (HTTP 403)."""


class LinkExpired(Exception):
    """The token is genuine but its lifetime is over (HTTP 410)."""

    def __init__(self, document_id: UUID, expires_at: datetime) -> None:
        super().__init__(f"link expired at {expires_at.isoformat()}")
        self.document_id = document_id
        self.expires_at = expires_at


@dataclass(frozen=True)
class LinkKey:
    key_id: str
    secret: bytes
    retired_at: datetime | None = None


@dataclass(frozen=True)
class LinkKeyring:
    """The keys that sign and verify links; ``active_key_id`` signs new ones."""

    keys: dict[str, LinkKey]
    active_key_id: str
    retired_grace: timedelta = field(default_factory=timedelta)

    def __post_init__(self) -> None:
        if self.active_key_id not in self.keys:
            raise ValueError(f"active link key {self.active_key_id!r} is not among the configured keys")
        if self.keys[self.active_key_id].retired_at is not None:
            raise ValueError(f"active link key {self.active_key_id!r} is retired")
        for key_id, key in self.keys.items():
            if not key_id or len(key_id.encode()) > 32 or not key_id.isascii():
                raise ValueError(f"link key id {key_id!r} must be 1-32 ASCII characters")
            if len(key.secret) < 16:
                raise ValueError(f"link key {key_id!r} is shorter than 16 bytes")

    def verifying_key(self, key_id: str, now: datetime) -> LinkKey | None:
        """The key that may verify a token at ``now``, or None when unknown or past its grace."""
        key = self.keys.get(key_id)
        if key is None:
            return None
        if key.retired_at is not None and now >= key.retired_at + self.retired_grace:
            return None
        return key


@dataclass(frozen=True)
class SignedLink:
    document_id: UUID
    expires_at: datetime
    key_id: str


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _mac(secret: bytes, message: bytes) -> bytes:
    return hmac.new(secret, _DOMAIN + message, hashlib.sha256).digest()


def sign_link(document_id: UUID, expires_at: datetime, keyring: LinkKeyring) -> str:
    """A token granting the download of ``document_id`` until ``expires_at`` (whole seconds)."""
    key = keyring.keys[keyring.active_key_id]
    kid = key.key_id.encode("ascii")
    expiry = int(expires_at.timestamp())
    message = bytes([_VERSION]) + document_id.bytes + expiry.to_bytes(8, "big") + bytes([len(kid)]) + kid
    return _b64encode(message + _mac(key.secret, message))


def expiry_of(issued_at: datetime, lifetime: timedelta) -> datetime:
    """The expiry a link issued at ``issued_at`` gets, truncated to the second it is signed with."""
    return datetime.fromtimestamp(int((issued_at + lifetime).timestamp()), UTC)


def verify_link(token: str, keyring: LinkKeyring, now: datetime) -> SignedLink:
    """The document a token grants, or ``LinkRefused`` (altered/unknown key) / ``LinkExpired``.

    Expired at the second of expiry: valid while ``now < expires_at``.
    """
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as exc:
        raise LinkRefused("malformed link") from exc
    # base64 tolerates stray characters and unused trailing bits: only the exact encoding counts
    if _b64encode(raw) != token:
        raise LinkRefused("malformed link")
    if len(raw) < 1 + 16 + 8 + 1 + 1 + _MAC_BYTES or raw[0] != _VERSION:
        raise LinkRefused("malformed link")
    kid_len = raw[25]
    message_len = 26 + kid_len
    if len(raw) != message_len + _MAC_BYTES:
        raise LinkRefused("malformed link")
    message, mac = raw[:message_len], raw[message_len:]
    try:
        key_id = message[26:].decode("ascii")
    except UnicodeDecodeError as exc:
        raise LinkRefused("malformed link") from exc
    key = keyring.verifying_key(key_id, now)
    if key is None or not hmac.compare_digest(mac, _mac(key.secret, message)):
        raise LinkRefused("link signature not valid")
    document_id = UUID(bytes=message[1:17])
    expires_at = datetime.fromtimestamp(int.from_bytes(message[17:25], "big"), UTC)
    if now >= expires_at:
        raise LinkExpired(document_id, expires_at)
    return SignedLink(document_id, expires_at, key_id)
