"""The gateway's signed identity token, and its verification in every service.

The gateway authenticates the user and hands each service a short-lived JWT (HS256)
carrying org_id, user_id and role in the ``X-Identity-Token`` header. Services refuse
requests without a valid one. Consumers calling another service mint a ``service``
token for the organization of the event they handle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

import jwt
from fastapi import Depends, HTTPException, Request

HEADER = "X-Identity-Token"
AUDIENCE = "bcc-services"
ROLES = ("org_admin", "viewer", "service")


@dataclass(frozen=True)
class Identity:
    org_id: UUID
    role: str
    user_id: UUID | None = None
    token: str = ""

    @property
    def can_act(self) -> bool:
        """org_admin (and internal service calls) may change things; viewer only reads."""
        return self.role in ("org_admin", "service")


def issue_identity_token(
    secret: str,
    *,
    org_id: UUID,
    role: str,
    user_id: UUID | None = None,
    ttl_seconds: int = 120,
    issuer: str = "gateway",
    now: datetime | None = None,
) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    now = now or datetime.now(UTC)
    claims = {
        "iss": issuer,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
        "org": str(org_id),
        "role": role,
    }
    if user_id:
        claims["sub"] = str(user_id)
    return jwt.encode(claims, secret, algorithm="HS256")


class InvalidIdentity(Exception):
    pass


def verify_identity_token(token: str, secret: str, *, issuer: str = "gateway") -> Identity:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=issuer,
            options={"require": ["exp", "iat", "org", "role"]},
            leeway=5,
        )
        role = claims["role"]
        if role not in ROLES:
            raise InvalidIdentity("unknown role")
        sub = claims.get("sub")
        return Identity(
            org_id=UUID(claims["org"]),
            role=role,
            user_id=UUID(sub) if sub else None,
            token=token,
        )
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise InvalidIdentity(str(exc)) from exc


class IdentityVerifier:
    """FastAPI dependency: the caller's identity, or 401."""

    def __init__(self, secret: str, issuer: str = "gateway") -> None:
        self.secret = secret
        self.issuer = issuer

    def __call__(self, request: Request) -> Identity:
        token = request.headers.get(HEADER, "")
        if not token:
            raise HTTPException(status_code=401, detail="missing identity token")
        try:
            return verify_identity_token(token, self.secret, issuer=self.issuer)
        except InvalidIdentity as exc:
            raise HTTPException(status_code=401, detail="invalid identity token") from exc


def _current_identity(request: Request) -> Identity:
    verifier: IdentityVerifier | None = getattr(request.app.state, "identity_verifier", None)
    if verifier is None:
        raise HTTPException(status_code=500, detail="identity verification not configured")
    return verifier(request)


def _admin_identity(identity: Annotated[Identity, Depends(_current_identity)]) -> Identity:
    if not identity.can_act:
        raise HTTPException(status_code=403, detail="this action needs the org_admin role")
    return identity


CurrentIdentity = Annotated[Identity, Depends(_current_identity)]
"""Any signed-in caller of the organization (viewer or org_admin)."""

AdminIdentity = Annotated[Identity, Depends(_admin_identity)]
"""A caller allowed to change things (org_admin, or an internal service call)."""
