"""organizations, service areas, locations, contacts, assemblies and the working list's indexes

On PostgreSQL free-text search uses a trigram index (pg_trgm, from postgresql-contrib)
when the extension is available; without it the search still works, scanning.

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
        "organizations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address_line1", sa.String(length=200), nullable=False),
        sa.Column("address_line2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=50), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("from_email", sa.String(length=200), nullable=False),
        sa.Column("reply_to", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("letterhead", sa.Text(), nullable=False),
        sa.Column("logo_url", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    op.create_table(
        "service_areas",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_areas")),
        sa.UniqueConstraint("org_id", "name", name="uq_service_areas_org_name"),
    )
    op.create_table(
        "locations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("account_number", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address_line1", sa.String(length=200), nullable=False),
        sa.Column("address_line2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=50), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("service_area_id", sa.Uuid(), nullable=True),
        sa.Column("facility_type", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_area_id"], ["service_areas.id"], name=op.f("fk_locations_service_area_id_service_areas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
        sa.UniqueConstraint("org_id", "account_number", name="uq_locations_org_account"),
    )
    op.create_table(
        "assemblies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("serial_number", sa.String(length=64), nullable=False),
        sa.Column("assembly_type", sa.String(length=8), nullable=False),
        sa.Column("make", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("size", sa.String(length=16), nullable=False),
        sa.Column("hazard", sa.String(length=8), nullable=False),
        sa.Column("service_type", sa.String(length=16), nullable=False),
        sa.Column("placement", sa.String(length=200), nullable=False),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.Column("last_tested_on", sa.Date(), nullable=True),
        sa.Column("last_test_result", sa.String(length=8), nullable=True),
        sa.Column("next_test_due", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("account_number", sa.String(length=64), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("facility_type", sa.String(length=20), nullable=False),
        sa.Column("service_area_id", sa.Uuid(), nullable=True),
        sa.Column("location_active", sa.Boolean(), nullable=False),
        sa.Column("has_email", sa.Boolean(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], name=op.f("fk_assemblies_location_id_locations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assemblies")),
        sa.UniqueConstraint("org_id", "account_number", "serial_number", name="uq_assemblies_org_account_serial"),
    )
    with op.batch_alter_table("assemblies", schema=None) as batch_op:
        batch_op.create_index("ix_assemblies_location", ["location_id"], unique=False)
        batch_op.create_index("ix_assemblies_org_account", ["org_id", "account_number", "id"], unique=False)
        batch_op.create_index("ix_assemblies_org_due", ["org_id", "next_test_due", "id"], unique=False)
        batch_op.create_index("ix_assemblies_org_facility", ["org_id", "facility_type"], unique=False)
        batch_op.create_index(
            "ix_assemblies_org_failed",
            ["org_id", "next_test_due"],
            unique=False,
            postgresql_where=sa.text("last_test_result = 'fail'"),
            sqlite_where=sa.text("last_test_result = 'fail'"),
        )
        batch_op.create_index("ix_assemblies_org_postal", ["org_id", "postal_code", "id"], unique=False)
        batch_op.create_index("ix_assemblies_org_serial", ["org_id", "serial_number", "id"], unique=False)
        batch_op.create_index("ix_assemblies_org_size", ["org_id", "size"], unique=False)
        batch_op.create_index("ix_assemblies_org_tested", ["org_id", "last_tested_on", "id"], unique=False)
        batch_op.create_index("ix_assemblies_org_type", ["org_id", "assembly_type"], unique=False)
        batch_op.create_index("ix_assemblies_org_zone", ["org_id", "service_area_id"], unique=False)

    op.create_table(
        "contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("contact_type", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("mailing_line1", sa.String(length=200), nullable=False),
        sa.Column("mailing_line2", sa.String(length=200), nullable=False),
        sa.Column("mailing_city", sa.String(length=200), nullable=False),
        sa.Column("mailing_state", sa.String(length=200), nullable=False),
        sa.Column("mailing_postal_code", sa.String(length=20), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("do_not_contact", sa.Boolean(), nullable=False),
        sa.Column("email_bounced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], name=op.f("fk_contacts_location_id_locations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_location", ["location_id"], unique=False)
        batch_op.create_index("ix_contacts_org", ["org_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        _create_trigram_index()


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_assemblies_search_trgm")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_org")
        batch_op.drop_index("ix_contacts_location")

    op.drop_table("contacts")
    with op.batch_alter_table("assemblies", schema=None) as batch_op:
        batch_op.drop_index("ix_assemblies_org_zone")
        batch_op.drop_index("ix_assemblies_org_type")
        batch_op.drop_index("ix_assemblies_org_tested")
        batch_op.drop_index("ix_assemblies_org_size")
        batch_op.drop_index("ix_assemblies_org_serial")
        batch_op.drop_index("ix_assemblies_org_postal")
        batch_op.drop_index(
            "ix_assemblies_org_failed",
            postgresql_where=sa.text("last_test_result = 'fail'"),
            sqlite_where=sa.text("last_test_result = 'fail'"),
        )
        batch_op.drop_index("ix_assemblies_org_facility")
        batch_op.drop_index("ix_assemblies_org_due")
        batch_op.drop_index("ix_assemblies_org_account")
        batch_op.drop_index("ix_assemblies_location")

    op.drop_table("assemblies")
    op.drop_table("locations")
    op.drop_table("service_areas")
    op.drop_table("organizations")


def _create_trigram_index() -> None:
    available = op.get_bind().execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first()
    if available is None:
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_assemblies_search_trgm ON assemblies USING gin (search_text gin_trgm_ops)")
