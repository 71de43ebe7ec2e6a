"""outbox payloads stored out of line without compression (PostgreSQL)

A batch's generation requests are tens of megabytes of JSON staged in one transaction and
read back once by the relay; compressing them (TOAST's default) cost more database time than
writing them. SQLite has no such setting.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE outbox ALTER COLUMN payload SET STORAGE EXTERNAL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE outbox ALTER COLUMN payload SET STORAGE EXTENDED")
