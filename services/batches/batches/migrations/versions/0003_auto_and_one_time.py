"""auto runs and one-time communications: generation jobs, auto notices, source columns on the ledger

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("communications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=10), nullable=False, server_default="batch"))
        batch_op.add_column(sa.Column("job_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("communication_type_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("generated_on", sa.Date(), nullable=True))
        batch_op.create_index("ix_communications_org_status", ["org_id", "status"], unique=False)
        batch_op.create_index("ix_communications_job", ["job_id"], unique=False)

    op.create_table(
        "generation_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("run_key", sa.String(length=200), nullable=False),
        sa.Column("communication_type_id", sa.Uuid(), nullable=True),
        sa.Column("communication_type_name", sa.String(length=200), nullable=False),
        sa.Column("run_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("offset_days", sa.Integer(), nullable=True),
        sa.Column("suppression_days", sa.Integer(), nullable=True),
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("template_name", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("chunks_total", sa.Integer(), nullable=False),
        sa.Column("chunks_done", sa.Integer(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("suppressed_count", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("organization", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generation_jobs")),
        sa.UniqueConstraint("org_id", "run_key", name="uq_generation_jobs_org_run_key"),
    )
    op.create_index("ix_generation_jobs_org_run_on", "generation_jobs", ["org_id", "run_on"], unique=False)

    op.create_table(
        "auto_notices",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("assembly_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("communication_type_id", sa.Uuid(), nullable=False),
        sa.Column("run_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "assembly_id", name=op.f("pk_auto_notices")),
    )
    op.create_index(
        "ix_auto_notices_suppression",
        "auto_notices",
        ["org_id", "communication_type_id", "assembly_id", "run_on"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_auto_notices_suppression", table_name="auto_notices")
    op.drop_table("auto_notices")
    op.drop_index("ix_generation_jobs_org_run_on", table_name="generation_jobs")
    op.drop_table("generation_jobs")
    with op.batch_alter_table("communications", schema=None) as batch_op:
        batch_op.drop_index("ix_communications_job")
        batch_op.drop_index("ix_communications_org_status")
        batch_op.drop_column("generated_on")
        batch_op.drop_column("due_on")
        batch_op.drop_column("communication_type_id")
        batch_op.drop_column("job_id")
        batch_op.drop_column("source")
