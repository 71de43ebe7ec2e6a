"""SQLAlchemy tables of the gateway: users, sessions and failed-login records."""

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Table, Uuid

from servicekit.db import service_metadata
from servicekit.messaging_tables import add_messaging_tables

metadata = service_metadata()
messaging = add_messaging_tables(metadata)

users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False, index=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    # both secrets are stored hashed: the cookie (browser) and the bearer token (scripts)
    Column("cookie_hash", String(64), nullable=False, unique=True),
    Column("bearer_hash", String(64), nullable=False, unique=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("client", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

Index("ix_sessions_expires_at", sessions.c.expires_at)
