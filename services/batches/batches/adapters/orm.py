"""SQLAlchemy tables of the batches service."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
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

batches = Table(
    "batches",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("template_id", Uuid, nullable=False),
    Column("template_version", Integer, nullable=False),
    Column("template_name", String(200), nullable=False, default=""),
    Column("due_date", Date, nullable=True),
    Column("filter", JSON, nullable=False),
    Column("member_count", Integer, nullable=False),
    Column("state", String(20), nullable=False),
    Column("created_by", Uuid, nullable=True),
    Column("cloned_from", Uuid, nullable=True),
    Column("chunks_total", Integer, nullable=False, default=0),
    Column("chunks_done", Integer, nullable=False, default=0),
    Column("organization", JSON, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("generation_started_at", DateTime(timezone=True), nullable=True),
    Column("generated_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
)

batch_members = Table(
    "batch_members",
    metadata,
    Column("batch_id", Uuid, primary_key=True),
    Column("assembly_id", Uuid, primary_key=True),
    Column("position", Integer, nullable=False),
)

batch_chunks = Table(
    "batch_chunks",
    metadata,
    Column("batch_id", Uuid, primary_key=True),
    Column("chunk_index", Integer, primary_key=True),
    Column("communications", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("error", Text, nullable=False, default=""),
    Column("event_id", String(36), nullable=False),
    Column("accounted_at", DateTime(timezone=True), nullable=False),
    # 0006: the chunk's communications counted by "method:status"; a generating batch's page
    # adds these up instead of counting its ledger rows at every refresh
    Column("counts", JSON, nullable=False, default=dict),
)

communications = Table(
    "communications",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("batch_id", Uuid, nullable=False),
    Column("chunk_index", Integer, nullable=False),
    Column("location_id", Uuid, nullable=False),
    Column("contact_id", Uuid, nullable=False),
    Column("assembly_ids", JSON, nullable=False),
    Column("method", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("recipient_name", String(300), nullable=False, default=""),
    Column("recipient_email", String(320), nullable=False, default=""),
    Column("recipient_address", JSON, nullable=False),
    Column("postal_code", String(20), nullable=False, default=""),
    Column("account_number", String(100), nullable=False, default=""),
    Column("location_name", String(300), nullable=False, default=""),
    Column("serial_numbers", JSON, nullable=False),
    Column("subject", Text, nullable=False, default=""),
    Column("body_text", Text, nullable=False, default=""),
    Column("body_html", Text, nullable=False, default=""),
    Column("cc", JSON, nullable=False),
    Column("bcc", JSON, nullable=False),
    Column("include_pdf_in_email", Boolean, nullable=False, default=False),
    Column("missing_fields", JSON, nullable=False),
    Column("error", Text, nullable=False, default=""),
    Column("permanent_failure", Boolean, nullable=False, default=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("request_seq", Integer, nullable=False, default=0),
    Column("message_id", String(300), nullable=False, default=""),
    Column("document_id", Uuid, nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("mailed_on", Date, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # 0003: auto runs and one-time communications share the ledger; their batch_id is the
    # organization's queue id (domain/queue.py), job_id the run or one-time job that made them
    Column("source", String(10), nullable=False, server_default="batch"),
    Column("job_id", Uuid, nullable=True),
    Column("communication_type_id", Uuid, nullable=True),
    Column("due_on", Date, nullable=True),
    Column("generated_on", Date, nullable=True),
)
# 0005: one index for a batch's statuses and methods (it was two), and the job index only on
# the rows that have a job: each index costs every stored communication an insertion
Index(
    "ix_communications_batch_status_method",
    communications.c.batch_id,
    communications.c.status,
    communications.c.method,
)
Index("ix_communications_org_status", communications.c.org_id, communications.c.status)
Index(
    "ix_communications_job",
    communications.c.job_id,
    postgresql_where=communications.c.job_id.isnot(None),
    sqlite_where=communications.c.job_id.isnot(None),
)

communication_assemblies = Table(
    "communication_assemblies",
    metadata,
    Column("communication_id", Uuid, primary_key=True),
    Column("assembly_id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("location_id", Uuid, nullable=False),
)
Index("ix_communication_assemblies_assembly", communication_assemblies.c.org_id, communication_assemblies.c.assembly_id)
Index("ix_communication_assemblies_location", communication_assemblies.c.org_id, communication_assemblies.c.location_id)

skipped_members = Table(
    "skipped_members",
    metadata,
    Column("batch_id", Uuid, primary_key=True),
    Column("assembly_id", Uuid, primary_key=True),
    Column("location_id", Uuid, nullable=True),
    Column("reason", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

batch_history = Table(
    "batch_history",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("batch_id", Uuid, nullable=False, index=True),
    Column("org_id", Uuid, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_role", String(20), nullable=False),
    Column("action", String(50), nullable=False),
    Column("details", JSON, nullable=False),
)

generation_jobs = Table(
    "generation_jobs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("kind", String(10), nullable=False),
    Column("run_key", String(200), nullable=False),
    Column("communication_type_id", Uuid, nullable=True),
    Column("communication_type_name", String(200), nullable=False, default=""),
    Column("run_on", Date, nullable=True),
    Column("due_on", Date, nullable=True),
    Column("offset_days", Integer, nullable=True),
    Column("suppression_days", Integer, nullable=True),
    Column("template_id", Uuid, nullable=False),
    Column("template_version", Integer, nullable=False),
    Column("template_name", String(200), nullable=False, default=""),
    Column("state", String(20), nullable=False),
    Column("chunks_total", Integer, nullable=False, default=0),
    Column("chunks_done", Integer, nullable=False, default=0),
    Column("member_count", Integer, nullable=False, default=0),
    Column("suppressed_count", Integer, nullable=False, default=0),
    Column("details", JSON, nullable=False),
    Column("organization", JSON, nullable=True),
    Column("created_by", Uuid, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("org_id", "run_key", name="uq_generation_jobs_org_run_key"),
)
Index("ix_generation_jobs_org_run_on", generation_jobs.c.org_id, generation_jobs.c.run_on)

auto_notices = Table(
    "auto_notices",
    metadata,
    Column("job_id", Uuid, primary_key=True),
    Column("assembly_id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("communication_type_id", Uuid, nullable=False),
    Column("run_on", Date, nullable=False),
)
Index(
    "ix_auto_notices_suppression",
    auto_notices.c.org_id,
    auto_notices.c.communication_type_id,
    auto_notices.c.assembly_id,
    auto_notices.c.run_on,
)
