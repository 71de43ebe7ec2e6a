"""exact counts of the working list from a table of counts kept by triggers (PostgreSQL)

``assembly_counts`` holds, per organization, how many assemblies share each combination of
the list's criteria (type, size, hazard, service, facility, zone, postal code, the active
flags, has-email, failed) and due month. Statement-level triggers with transition tables
keep it exact inside the writing transaction, so a count over hundreds of thousands of
assemblies sums a few thousand rows; only the partial months at the edges of a due-date
range are counted from ``assemblies`` (through the due-date index, which now includes every
criterion). The four wide covering indexes that served counts before become narrow ones,
which makes every write cheaper. SQLite keeps counting the table.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DIMENSIONS = (
    "org_id",
    "assembly_type",
    "size",
    "hazard",
    "service_type",
    "facility_type",
    "service_area_id",
    "postal_code",
    "active",
    "location_active",
    "has_email",
)
# the key of a count row: nullable dimensions coalesced, so that ON CONFLICT finds them
KEY = ", ".join(
    [d for d in DIMENSIONS if d != "service_area_id"]
    + [
        "(coalesce(service_area_id, '00000000-0000-0000-0000-000000000000'::uuid))",
        "failed",
        "(coalesce(due_month, 'infinity'::date))",
    ]
)
OF_ROW = ", ".join(
    [*DIMENSIONS, "coalesce(last_test_result = 'fail', false)", "date_trunc('month', next_test_due)::date"]
)
COLUMNS = ", ".join([*DIMENSIONS, "failed", "due_month"])

DUE_INCLUDES = [
    "last_test_result",
    "assembly_type",
    "size",
    "hazard",
    "service_type",
    "facility_type",
    "service_area_id",
    "postal_code",
    "active",
    "location_active",
    "has_email",
]
OLD_DUE_INCLUDES = ["last_test_result", "assembly_type", "hazard", "active", "location_active", "has_email"]
OLD_COVERING = [
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
NARROWED = {
    "ix_assemblies_org_type": ["org_id", "assembly_type"],
    "ix_assemblies_org_service": ["org_id", "service_type", "hazard"],
    "ix_assemblies_org_zone": ["org_id", "service_area_id"],
    "ix_assemblies_org_facility": ["org_id", "facility_type"],
}

TRACK = f"""
CREATE FUNCTION assembly_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO assembly_counts AS c ({COLUMNS}, n)
        SELECT {OF_ROW}, count(*) FROM new_rows GROUP BY {OF_ROW} ORDER BY {OF_ROW}
        ON CONFLICT ({KEY}) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO assembly_counts AS c ({COLUMNS}, n)
        SELECT {OF_ROW}, -count(*) FROM old_rows GROUP BY {OF_ROW} ORDER BY {OF_ROW}
        ON CONFLICT ({KEY}) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSE
        INSERT INTO assembly_counts AS c ({COLUMNS}, n)
        SELECT {OF_ROW}, sum(d) FROM (
            SELECT *, -1 AS d FROM old_rows UNION ALL SELECT *, 1 AS d FROM new_rows
        ) AS changed
        GROUP BY {OF_ROW} HAVING sum(d) <> 0 ORDER BY {OF_ROW}
        ON CONFLICT ({KEY}) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$
"""
CLEAR = """
CREATE FUNCTION assembly_counts_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM assembly_counts;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_index("ix_assemblies_org_due", table_name="assemblies")
    op.create_index(
        "ix_assemblies_org_due", "assemblies", ["org_id", "next_test_due", "id"], postgresql_include=DUE_INCLUDES
    )
    for name, columns in NARROWED.items():
        op.drop_index(name, table_name="assemblies")
        op.create_index(name, "assemblies", columns)
    if not postgres:
        return
    op.execute(
        """
        CREATE TABLE assembly_counts (
            org_id uuid NOT NULL,
            assembly_type varchar(8) NOT NULL,
            size varchar(16) NOT NULL,
            hazard varchar(8) NOT NULL,
            service_type varchar(16) NOT NULL,
            facility_type varchar(20) NOT NULL,
            service_area_id uuid,
            postal_code varchar(20) NOT NULL,
            active boolean NOT NULL,
            location_active boolean NOT NULL,
            has_email boolean NOT NULL,
            failed boolean NOT NULL,
            due_month date,
            n bigint NOT NULL
        )
        """
    )
    op.execute(f"CREATE UNIQUE INDEX uq_assembly_counts_key ON assembly_counts ({KEY})")
    op.execute("CREATE INDEX ix_assembly_counts_org_month ON assembly_counts (org_id, due_month)")
    op.execute(
        f"INSERT INTO assembly_counts ({COLUMNS}, n) SELECT {OF_ROW}, count(*) FROM assemblies GROUP BY {OF_ROW}"
    )
    op.execute(TRACK)
    op.execute(CLEAR)
    op.execute(
        "CREATE TRIGGER assembly_counts_insert AFTER INSERT ON assemblies REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION assembly_counts_track()"
    )
    op.execute(
        "CREATE TRIGGER assembly_counts_update AFTER UPDATE ON assemblies "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION assembly_counts_track()"
    )
    op.execute(
        "CREATE TRIGGER assembly_counts_delete AFTER DELETE ON assemblies REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION assembly_counts_track()"
    )
    op.execute(
        "CREATE TRIGGER assembly_counts_truncate AFTER TRUNCATE ON assemblies "
        "FOR EACH STATEMENT EXECUTE FUNCTION assembly_counts_clear()"
    )
    op.execute(sa.text("ANALYZE assemblies"))
    op.execute(sa.text("ANALYZE assembly_counts"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for event in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS assembly_counts_{event} ON assemblies")
        op.execute("DROP FUNCTION IF EXISTS assembly_counts_track()")
        op.execute("DROP FUNCTION IF EXISTS assembly_counts_clear()")
        op.execute("DROP TABLE IF EXISTS assembly_counts")
    for name, columns in NARROWED.items():
        op.drop_index(name, table_name="assemblies")
        op.create_index(name, "assemblies", columns, postgresql_include=OLD_COVERING)
    op.drop_index("ix_assemblies_org_due", table_name="assemblies")
    op.create_index(
        "ix_assemblies_org_due", "assemblies", ["org_id", "next_test_due", "id"], postgresql_include=OLD_DUE_INCLUDES
    )
