"""SQLAlchemy tables of the delivery service: the delivery ledger and the closed batches."""

from sqlalchemy import JSON, Boolean, Column, DateTime, Index, Integer, String, Table, Text, Uuid

from servicekit.db import service_metadata
from servicekit.messaging_tables import add_messaging_tables

metadata = service_metadata()
messaging = add_messaging_tables(metadata)

deliveries = Table(
    "deliveries",
    metadata,
    Column("communication_id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("batch_id", Uuid, nullable=True),
    Column("contact_id", Uuid, nullable=False),
    Column("source", String(20), nullable=False),
    Column("message_id", String(300), nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("request_seq", Integer, nullable=False),
    Column("last_error", Text, nullable=False, default=""),
    Column("permanent", Boolean, nullable=False, default=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    # the request of an email waiting for a retry, so the retry schedule can send it again
    # without Kafka (the Kafka path does not store it: a crash there replays from Kafka)
    Column("request", JSON(none_as_null=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
)
Index("ix_deliveries_due", deliveries.c.status, deliveries.c.next_attempt_at)
Index("ix_deliveries_batch", deliveries.c.batch_id, deliveries.c.status)

closed_batches = Table(
    "closed_batches",
    metadata,
    Column("batch_id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("state", String(20), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=False),
)
