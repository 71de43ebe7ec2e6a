"""Reading and writing users, sessions and failed-login records (SQLAlchemy Core)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.adapters.orm import login_attempts, sessions, users
from gateway.domain.login_throttle import LoginAttempts
from gateway.domain.sessions import Session
from gateway.domain.users import User
from servicekit.db import insert_ignoring_conflicts


def _user(row: Any) -> User:
    return User(id=row.id, org_id=row.org_id, email=row.email, name=row.name, role=row.role)


def _session(row: Any) -> Session:
    return Session(id=row.id, user_id=row.user_id, csrf_token=row.csrf_token, expires_at=_aware(row.expires_at))


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes; everything we store is UTC
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def user_with_hash_by_email(db: AsyncSession, email: str) -> tuple[User, str] | None:
    row = (await db.execute(select(users).where(users.c.email == email))).first()
    return (_user(row), row.password_hash) if row else None


async def upsert_user(
    db: AsyncSession,
    *,
    user_id: UUID,
    org_id: UUID,
    email: str,
    name: str,
    role: str,
    password_hash: str,
    now: datetime,
) -> User:
    existing = (await db.execute(select(users.c.id).where(users.c.email == email))).first()
    values = {"org_id": org_id, "name": name, "role": role, "password_hash": password_hash}
    if existing:
        await db.execute(update(users).where(users.c.id == existing.id).values(**values))
        user_id = existing.id
    else:
        await db.execute(users.insert().values(id=user_id, email=email, created_at=now, **values))
    return User(id=user_id, org_id=org_id, email=email, name=name, role=role)


async def add_session(db: AsyncSession, session: Session, *, cookie_hash: str, bearer_hash: str, now: datetime) -> None:
    await db.execute(
        sessions.insert().values(
            id=session.id,
            user_id=session.user_id,
            cookie_hash=cookie_hash,
            bearer_hash=bearer_hash,
            csrf_token=session.csrf_token,
            created_at=now,
            expires_at=session.expires_at,
        )
    )


async def session_and_user(db: AsyncSession, *, cookie_hash: str | None = None, bearer_hash: str | None = None):
    query = select(sessions, users.c.org_id, users.c.email, users.c.name, users.c.role).join(
        users, users.c.id == sessions.c.user_id
    )
    if cookie_hash is not None:
        query = query.where(sessions.c.cookie_hash == cookie_hash)
    elif bearer_hash is not None:
        query = query.where(sessions.c.bearer_hash == bearer_hash)
    else:
        return None
    row = (await db.execute(query)).first()
    if row is None:
        return None
    user = User(id=row.user_id, org_id=row.org_id, email=row.email, name=row.name, role=row.role)
    return _session(row), user


async def delete_session(db: AsyncSession, session_id: UUID) -> None:
    await db.execute(delete(sessions).where(sessions.c.id == session_id))


async def delete_expired_sessions(db: AsyncSession, now: datetime) -> None:
    await db.execute(delete(sessions).where(sessions.c.expires_at <= now))


async def lock_login_attempts(db: AsyncSession, email: str, client: str, now: datetime) -> LoginAttempts:
    """The record for email+client, created if missing and locked for update (PostgreSQL)."""
    dialect = db.bind.dialect.name
    await db.execute(
        insert_ignoring_conflicts(login_attempts, dialect, ["email", "client"]).values(
            email=email, client=client, failures=0, locked_until=None, updated_at=now
        )
    )
    row = (
        await db.execute(
            select(login_attempts)
            .where(login_attempts.c.email == email, login_attempts.c.client == client)
            .with_for_update()
        )
    ).one()
    return LoginAttempts(failures=row.failures, locked_until=_aware(row.locked_until) if row.locked_until else None)


async def save_login_attempts(
    db: AsyncSession, email: str, client: str, attempts: LoginAttempts, now: datetime
) -> None:
    await db.execute(
        update(login_attempts)
        .where(login_attempts.c.email == email, login_attempts.c.client == client)
        .values(failures=attempts.failures, locked_until=attempts.locked_until, updated_at=now)
    )


async def clear_login_attempts(db: AsyncSession, email: str, client: str) -> None:
    await db.execute(delete(login_attempts).where(login_attempts.c.email == email, login_attempts.c.client == client))
