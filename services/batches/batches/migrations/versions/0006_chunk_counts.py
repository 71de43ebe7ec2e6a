"""batch_chunks.counts: each accounted chunk's communications by "method:status"

A generating batch's page is refreshed every second or so while its chunks arrive; it now adds
up these counts instead of counting the ledger rows (16,000 for a 10,000-assembly batch) each
time. Chunks accounted before this revision count as empty until their batch is generated,
when the page counts the ledger again.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("batch_chunks", sa.Column("counts", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    op.drop_column("batch_chunks", "counts")
