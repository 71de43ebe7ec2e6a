"""Use cases of signing in: log in (slowed on repeated failures), resolve a session, log out."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.adapters import repository
from gateway.adapters.passwords import hash_password, verify_password
from gateway.domain.login_throttle import ThrottlePolicy
from gateway.domain.sessions import Session, hash_secret
from gateway.domain.users import ROLES, User, normalize_email
from servicekit.clock import Clock


class InvalidCredentials(Exception):
    """Wrong email or password (deliberately not saying which)."""


class LoginThrottled(Exception):
    """Too many failed attempts for this email from this address; try again later."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many failed attempts; try again in {retry_after:.0f} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoggedIn:
    user: User
    session: Session
    cookie_secret: str
    bearer_token: str


@dataclass(frozen=True)
class Authenticated:
    user: User
    session: Session
    by_cookie: bool


class Authenticator:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        policy: ThrottlePolicy,
        session_ttl: timedelta,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.policy = policy
        self.session_ttl = session_ttl

    async def login(self, email: str, password: str, client: str) -> LoggedIn:
        email = normalize_email(email)
        now = self.clock.now()
        async with self.sessions.begin() as db:
            attempts = await repository.lock_login_attempts(db, email, client, now)
            wait = attempts.retry_after(now)
            if wait > 0:
                raise LoginThrottled(wait)
            found = await repository.user_with_hash_by_email(db, email)
            ok = await verify_password(found[1] if found else None, password)
            if not ok or found is None:
                await repository.save_login_attempts(db, email, client, attempts.after_failure(now, self.policy), now)
                failed = True
            else:
                failed = False
                user = found[0]
                await repository.clear_login_attempts(db, email, client)
                await repository.delete_expired_sessions(db, now)
                cookie_secret = secrets.token_urlsafe(32)
                bearer_token = secrets.token_urlsafe(32)
                session = Session(
                    id=uuid4(), user_id=user.id, csrf_token=secrets.token_urlsafe(32), expires_at=now + self.session_ttl
                )
                await repository.add_session(
                    db, session, cookie_hash=hash_secret(cookie_secret), bearer_hash=hash_secret(bearer_token), now=now
                )
        # raised after the transaction so that the failure is recorded
        if failed:
            raise InvalidCredentials()
        return LoggedIn(user=user, session=session, cookie_secret=cookie_secret, bearer_token=bearer_token)

    async def authenticate(self, *, cookie: str | None, bearer: str | None) -> Authenticated | None:
        """The signed-in user behind a bearer token (preferred) or a session cookie, or None."""
        async with self.sessions() as db:
            if bearer:
                found = await repository.session_and_user(db, bearer_hash=hash_secret(bearer))
                by_cookie = False
            elif cookie:
                found = await repository.session_and_user(db, cookie_hash=hash_secret(cookie))
                by_cookie = True
            else:
                return None
        if found is None:
            return None
        session, user = found
        if session.is_expired(self.clock.now()):
            return None
        return Authenticated(user=user, session=session, by_cookie=by_cookie)

    async def logout(self, session_id: UUID) -> None:
        async with self.sessions.begin() as db:
            await repository.delete_session(db, session_id)

    async def save_user(
        self, *, org_id: UUID, email: str, name: str, role: str, password: str, user_id: UUID | None = None
    ) -> User:
        """Create the user, or update the one with this email (name, role, organization, password)."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        async with self.sessions.begin() as db:
            return await repository.upsert_user(
                db,
                user_id=user_id or uuid4(),
                org_id=org_id,
                email=normalize_email(email),
                name=name,
                role=role,
                password_hash=hash_password(password),
                now=self.clock.now(),
            )
