"""SQLAlchemy tables of the generator service: communication types, templates and their versions."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from servicekit.db import service_metadata
from servicekit.messaging_tables import add_messaging_tables

metadata = service_metadata()
messaging = add_messaging_tables(metadata)

communication_types = Table(
    "communication_types",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("name", String(200), nullable=False),
    Column("source", String(20), nullable=False),
    Column("trigger", String(20), nullable=False),
    Column("offset_days", Integer, nullable=True),
    Column("suppression_days", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("org_id", "name", name="uq_communication_types_org_name"),
)

templates = Table(
    "templates",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("communication_type_id", Uuid, ForeignKey("communication_types.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("published", Boolean, nullable=False, default=False),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Column("settings", JSON, nullable=False),
    Column("email_subject", Text, nullable=False, default=""),
    Column("email_body_text", Text, nullable=False, default=""),
    Column("email_body_html", Text, nullable=False, default=""),
    Column("letter_body", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_templates_org_type", templates.c.org_id, templates.c.communication_type_id)
# one published template per communication type, whatever the service layer does
Index(
    "uq_templates_published_per_type",
    templates.c.communication_type_id,
    unique=True,
    postgresql_where=templates.c.published,
    sqlite_where=templates.c.published,
)

template_versions = Table(
    "template_versions",
    metadata,
    Column("template_id", Uuid, ForeignKey("templates.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("communication_type_id", Uuid, nullable=False),
    Column("name", String(200), nullable=False),
    Column("settings", JSON, nullable=False),
    Column("email_subject", Text, nullable=False),
    Column("email_body_text", Text, nullable=False),
    Column("email_body_html", Text, nullable=False),
    Column("letter_body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
