"""Users of the admin UI and what their role lets them do."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

ORG_ADMIN = "org_admin"
VIEWER = "viewer"
ROLES = (ORG_ADMIN, VIEWER)


@dataclass(frozen=True)
class User:
    """A person who signs in; belongs to exactly one organization."""

    id: UUID
    org_id: UUID
    email: str
    name: str
    role: str

    @property
    def can_act(self) -> bool:
        """An org_admin may change things; a viewer may only read and export."""
        return self.role == ORG_ADMIN


def normalize_email(email: str) -> str:
    """The form an email address is stored and looked up in (trimmed, lower case)."""
    return email.strip().lower()
