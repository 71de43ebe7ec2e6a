"""communication types, templates, template versions

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "communication_types",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("offset_days", sa.Integer(), nullable=True),
        sa.Column("suppression_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("org_id", "name", name="uq_communication_types_org_name"),
    )
    op.create_table(
        "templates",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("communication_type_id", sa.Uuid(), sa.ForeignKey("communication_types.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("email_subject", sa.Text(), nullable=False),
        sa.Column("email_body_text", sa.Text(), nullable=False),
        sa.Column("email_body_html", sa.Text(), nullable=False),
        sa.Column("letter_body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_templates_org_type", "templates", ["org_id", "communication_type_id"])
    op.create_index(
        "uq_templates_published_per_type",
        "templates",
        ["communication_type_id"],
        unique=True,
        postgresql_where=sa.text("published"),
        sqlite_where=sa.text("published"),
    )
    op.create_table(
        "template_versions",
        sa.Column("template_id", sa.Uuid(), sa.ForeignKey("templates.id"), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("communication_type_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("email_subject", sa.Text(), nullable=False),
        sa.Column("email_body_text", sa.Text(), nullable=False),
        sa.Column("email_body_html", sa.Text(), nullable=False),
        sa.Column("letter_body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("template_versions")
    op.drop_index("uq_templates_published_per_type", table_name="templates")
    op.drop_index("ix_templates_org_type", table_name="templates")
    op.drop_table("templates")
    op.drop_table("communication_types")
