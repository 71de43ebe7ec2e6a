"""A signed-in session and its cross-site request forgery (CSRF) token."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Session:
    """One login. The browser holds it as a cookie, a script as a bearer token."""

    id: UUID
    user_id: UUID
    csrf_token: str
    expires_at: datetime

    def is_expired(self, now: datetime) -> bool:
        """True once the session may no longer be used."""
        return now >= self.expires_at

    def csrf_matches(self, presented: str | None) -> bool:
        """Double-submit check: the header must repeat the session's CSRF token exactly."""
        if not presented:
            return False
        return hmac.compare_digest(presented.encode(), self.csrf_token.encode())


def hash_secret(secret: str) -> str:
    """The form a session secret is stored in: a leaked table does not give working sessions."""
    return hashlib.sha256(secret.encode()).hexdigest()


def needs_csrf_check(method: str, *, authenticated_by_cookie: bool) -> bool:
    """Browsers attach cookies on their own, so only cookie sessions need the CSRF header;
    a bearer token is never sent by a browser unless a script chose to."""
    return authenticated_by_cookie and method.upper() in STATE_CHANGING_METHODS
