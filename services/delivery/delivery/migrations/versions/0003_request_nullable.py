"""deliveries.request nullable: the request is stored only while a retry is scheduled

Revision 0002 was edited to make the column nullable after databases had been created with it
``NOT NULL``; in those, every ``sending`` mark failed. This revision brings them in line (and
changes nothing where the column is nullable already).

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
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.alter_column("request", existing_type=sa.JSON(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE deliveries SET request = '{}' WHERE request IS NULL")
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.alter_column("request", existing_type=sa.JSON(), nullable=False)
