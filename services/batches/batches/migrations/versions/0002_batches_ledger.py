"""batches, members, chunks, the communications ledger, skipped members, history

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 20:03:16.397017
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_chunks",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=False),
        sa.Column("communications", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("accounted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "chunk_index", name=op.f("pk_batch_chunks")),
    )
    op.create_table(
        "batch_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_history")),
    )
    with op.batch_alter_table("batch_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_history_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "batch_members",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("assembly_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "assembly_id", name=op.f("pk_batch_members")),
    )
    op.create_table(
        "batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("template_name", sa.String(length=200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("filter", sa.JSON(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("cloned_from", sa.Uuid(), nullable=True),
        sa.Column("chunks_total", sa.Integer(), nullable=False),
        sa.Column("chunks_done", sa.Integer(), nullable=False),
        sa.Column("organization", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("generation_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batches_org_id"), ["org_id"], unique=False)

    op.create_table(
        "communication_assemblies",
        sa.Column("communication_id", sa.Uuid(), nullable=False),
        sa.Column("assembly_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("communication_id", "assembly_id", name=op.f("pk_communication_assemblies")),
    )
    with op.batch_alter_table("communication_assemblies", schema=None) as batch_op:
        batch_op.create_index("ix_communication_assemblies_assembly", ["org_id", "assembly_id"], unique=False)
        batch_op.create_index("ix_communication_assemblies_location", ["org_id", "location_id"], unique=False)

    op.create_table(
        "communications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("assembly_ids", sa.JSON(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("recipient_name", sa.String(length=300), nullable=False),
        sa.Column("recipient_email", sa.String(length=320), nullable=False),
        sa.Column("recipient_address", sa.JSON(), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("account_number", sa.String(length=100), nullable=False),
        sa.Column("location_name", sa.String(length=300), nullable=False),
        sa.Column("serial_numbers", sa.JSON(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("cc", sa.JSON(), nullable=False),
        sa.Column("bcc", sa.JSON(), nullable=False),
        sa.Column("include_pdf_in_email", sa.Boolean(), nullable=False),
        sa.Column("missing_fields", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("permanent_failure", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("request_seq", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mailed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communications")),
    )
    with op.batch_alter_table("communications", schema=None) as batch_op:
        batch_op.create_index("ix_communications_batch_method", ["batch_id", "method"], unique=False)
        batch_op.create_index("ix_communications_batch_status", ["batch_id", "status"], unique=False)

    op.create_table(
        "skipped_members",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("assembly_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "assembly_id", name=op.f("pk_skipped_members")),
    )


def downgrade() -> None:
    op.drop_table("skipped_members")
    with op.batch_alter_table("communications", schema=None) as batch_op:
        batch_op.drop_index("ix_communications_batch_status")
        batch_op.drop_index("ix_communications_batch_method")

    op.drop_table("communications")
    with op.batch_alter_table("communication_assemblies", schema=None) as batch_op:
        batch_op.drop_index("ix_communication_assemblies_location")
        batch_op.drop_index("ix_communication_assemblies_assembly")

    op.drop_table("communication_assemblies")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batches_org_id"))

    op.drop_table("batches")
    op.drop_table("batch_members")
    with op.batch_alter_table("batch_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_history_batch_id"))

    op.drop_table("batch_history")
    op.drop_table("batch_chunks")
