"""covering indexes for the working list's counts

On PostgreSQL the equality and due-date indexes include the other low-cardinality
criteria, so a count over hundreds of thousands of assemblies reads one index (an
index-only scan) instead of the table. SQLite ignores the included columns.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DUE_INCLUDES = ["last_test_result", "assembly_type", "hazard", "active", "location_active", "has_email"]
COVERING = [
    "next_test_due",
    "last_test_result",
    "assembly_type",
    "size",
    "hazard",
    "service_type",
    "facility_type",
    "active",
    "location_active",
    "has_email",
]
REPLACED = {
    "ix_assemblies_org_due": (["org_id", "next_test_due", "id"], DUE_INCLUDES),
    "ix_assemblies_org_type": (["org_id", "assembly_type"], COVERING),
    "ix_assemblies_org_zone": (["org_id", "service_area_id"], COVERING),
    "ix_assemblies_org_facility": (["org_id", "facility_type"], COVERING),
}
PLAIN = {
    "ix_assemblies_org_due": ["org_id", "next_test_due", "id"],
    "ix_assemblies_org_type": ["org_id", "assembly_type"],
    "ix_assemblies_org_zone": ["org_id", "service_area_id"],
    "ix_assemblies_org_facility": ["org_id", "facility_type"],
}


def upgrade() -> None:
    for name, (columns, include) in REPLACED.items():
        op.drop_index(name, table_name="assemblies")
        op.create_index(name, "assemblies", columns, postgresql_include=include)
    op.create_index(
        "ix_assemblies_org_service", "assemblies", ["org_id", "service_type", "hazard"], postgresql_include=COVERING
    )
    op.create_index("ix_assemblies_org_email", "assemblies", ["org_id", "has_email"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("ANALYZE assemblies"))


def downgrade() -> None:
    op.drop_index("ix_assemblies_org_email", table_name="assemblies")
    op.drop_index("ix_assemblies_org_service", table_name="assemblies")
    for name, columns in PLAIN.items():
        op.drop_index(name, table_name="assemblies")
        op.create_index(name, "assemblies", columns)
