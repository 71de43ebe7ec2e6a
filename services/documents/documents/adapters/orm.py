"""SQLAlchemy tables of the documents service."""

from sqlalchemy import JSON, Column, Date, DateTime, Index, Integer, String, Table, Uuid

from servicekit.db import service_metadata
from servicekit.messaging_tables import add_messaging_tables

metadata = service_metadata()
messaging = add_messaging_tables(metadata)

letters = Table(
    "letters",
    metadata,
    Column("communication_id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("batch_id", Uuid, nullable=True),
    Column("document_id", Uuid, nullable=False),
    Column("method", String(10), nullable=False),
    Column("recipient_name", String(300), nullable=False, default=""),
    Column("postal_code", String(20), nullable=False, default=""),
    Column("letter_date", Date, nullable=False),
    Column("content", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
"""What each letter says (the generated communication and the organization snapshot), so a
purged file can be rendered again exactly as it was."""
Index("ix_letters_org_batch", letters.c.org_id, letters.c.batch_id)

documents = Table(
    "documents",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("batch_id", Uuid, nullable=True),
    Column("communication_id", Uuid, nullable=True, unique=True),
    Column("set_key", String(64), nullable=True),
    Column("letter_count", Integer, nullable=False, default=1),
    Column("storage_key", String(300), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("pages", Integer, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("purged_at", DateTime(timezone=True), nullable=True),
)
"""Stored PDFs: one per letter communication, one per requested combined set of a batch."""
Index("ix_documents_created_at", documents.c.created_at)
