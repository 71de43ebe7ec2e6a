"""autovacuum visits assemblies after an import of 2% of the table, not 20%

Counting the partial months of a due range reads the due-date index alone only on heap
pages marked all-visible; a large import leaves its pages unmarked until autovacuum runs,
and by default that waits for inserts of a fifth of the table (200,000 rows at 1M).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE assemblies SET (autovacuum_vacuum_insert_scale_factor = 0.02, "
        "autovacuum_vacuum_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.02)"
    )
    op.execute("ALTER TABLE assembly_counts SET (autovacuum_vacuum_scale_factor = 0.05)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE assemblies RESET (autovacuum_vacuum_insert_scale_factor, "
        "autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)"
    )
    op.execute("ALTER TABLE assembly_counts RESET (autovacuum_vacuum_scale_factor)")
