"""the non-compliant index also serves the list's due-date order

Non-compliant assemblies (last test failed) are few; with ``id`` in the partial index
their first page in due-date order (either direction) reads the index alone instead of
sorting every failed assembly.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FAILED = sa.text("last_test_result = 'fail'")


def upgrade() -> None:
    op.drop_index("ix_assemblies_org_failed", table_name="assemblies")
    op.create_index(
        "ix_assemblies_org_failed",
        "assemblies",
        ["org_id", "next_test_due", "id"],
        postgresql_where=FAILED,
        sqlite_where=FAILED,
    )


def downgrade() -> None:
    op.drop_index("ix_assemblies_org_failed", table_name="assemblies")
    op.create_index(
        "ix_assemblies_org_failed",
        "assemblies",
        ["org_id", "next_test_due"],
        postgresql_where=FAILED,
        sqlite_where=FAILED,
    )
