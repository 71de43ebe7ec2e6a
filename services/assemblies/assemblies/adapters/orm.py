"""SQLAlchemy tables of the assemblies service.

``assemblies`` carries a copy of its location's filterable facts (account number, postal
code, facility type, zone, active, has-email and the free-text words; see
``domain.records.LocationSummary``) so that every filter, sort and count of the working
list reads one table through its indexes. ``adapters.repository.refresh_location_summaries``
and the CSV import (``adapters.import_staging``) keep the copy current.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)

from servicekit.db import service_metadata
from servicekit.messaging_tables import add_messaging_tables

metadata = service_metadata()
messaging = add_messaging_tables(metadata)

organizations = Table(
    "organizations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("address_line1", String(200), nullable=False, default=""),
    Column("address_line2", String(200), nullable=False, default=""),
    Column("city", String(100), nullable=False, default=""),
    Column("state", String(50), nullable=False, default=""),
    Column("postal_code", String(20), nullable=False, default=""),
    Column("from_email", String(200), nullable=False, default=""),
    Column("reply_to", String(200), nullable=False, default=""),
    Column("phone", String(50), nullable=False, default=""),
    Column("timezone", String(64), nullable=False, default="UTC"),
    Column("letterhead", Text, nullable=False, default=""),
    Column("logo_url", String(500), nullable=False, default=""),
)

service_areas = Table(
    "service_areas",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("name", String(100), nullable=False),
    UniqueConstraint("org_id", "name", name="uq_service_areas_org_name"),
)

locations = Table(
    "locations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("account_number", String(64), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("address_line1", String(200), nullable=False),
    Column("address_line2", String(200), nullable=False, default=""),
    Column("city", String(100), nullable=False),
    Column("state", String(50), nullable=False),
    Column("postal_code", String(20), nullable=False),
    Column("service_area_id", Uuid, ForeignKey("service_areas.id"), nullable=True),
    Column("facility_type", String(20), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    UniqueConstraint("org_id", "account_number", name="uq_locations_org_account"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("location_id", Uuid, ForeignKey("locations.id"), nullable=False),
    Column("contact_type", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("first_name", String(200), nullable=False, default=""),
    Column("email", String(200), nullable=False, default=""),
    Column("mailing_line1", String(200), nullable=False, default=""),
    Column("mailing_line2", String(200), nullable=False, default=""),
    Column("mailing_city", String(200), nullable=False, default=""),
    Column("mailing_state", String(200), nullable=False, default=""),
    Column("mailing_postal_code", String(20), nullable=False, default=""),
    Column("is_primary", Boolean, nullable=False, default=False),
    Column("do_not_contact", Boolean, nullable=False, default=False),
    Column("email_bounced_at", DateTime(timezone=True), nullable=True),
    Index("ix_contacts_location", "location_id"),
    Index("ix_contacts_org", "org_id"),
)

_DUE_INCLUDES = (
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
)

assemblies = Table(
    "assemblies",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("location_id", Uuid, ForeignKey("locations.id"), nullable=False),
    Column("serial_number", String(64), nullable=False),
    Column("assembly_type", String(8), nullable=False),
    Column("make", String(100), nullable=False, default=""),
    Column("model", String(100), nullable=False, default=""),
    Column("size", String(16), nullable=False, default=""),
    Column("hazard", String(8), nullable=False),
    Column("service_type", String(16), nullable=False),
    Column("placement", String(200), nullable=False, default=""),
    Column("installed_on", Date, nullable=True),
    Column("last_tested_on", Date, nullable=True),
    Column("last_test_result", String(8), nullable=True),
    Column("next_test_due", Date, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    # the location's filterable facts (domain.records.LocationSummary)
    Column("account_number", String(64), nullable=False),
    Column("postal_code", String(20), nullable=False),
    Column("facility_type", String(20), nullable=False),
    Column("service_area_id", Uuid, nullable=True),
    Column("location_active", Boolean, nullable=False),
    Column("has_email", Boolean, nullable=False),
    Column("search_text", Text, nullable=False),
    UniqueConstraint("org_id", "account_number", "serial_number", name="uq_assemblies_org_account_serial"),
    Index("ix_assemblies_location", "location_id"),
    # sort orders (ties by id) and date ranges; the included columns let PostgreSQL count the
    # partial months at the edges of a due range with any other criteria from the index alone
    Index("ix_assemblies_org_due", "org_id", "next_test_due", "id", postgresql_include=list(_DUE_INCLUDES)),
    Index("ix_assemblies_org_tested", "org_id", "last_tested_on", "id"),
    Index("ix_assemblies_org_serial", "org_id", "serial_number", "id"),
    Index("ix_assemblies_org_account", "org_id", "account_number", "id"),
    Index("ix_assemblies_org_postal", "org_id", "postal_code", "id"),
    # equality filters for selective pages (counts come from assembly_counts)
    Index("ix_assemblies_org_type", "org_id", "assembly_type"),
    Index("ix_assemblies_org_service", "org_id", "service_type", "hazard"),
    Index("ix_assemblies_org_zone", "org_id", "service_area_id"),
    Index("ix_assemblies_org_facility", "org_id", "facility_type"),
    Index("ix_assemblies_org_email", "org_id", "has_email"),
    Index("ix_assemblies_org_size", "org_id", "size"),
    Index(
        "ix_assemblies_org_failed",
        "org_id",
        "next_test_due",
        "id",
        postgresql_where=text("last_test_result = 'fail'"),
        sqlite_where=text("last_test_result = 'fail'"),
    ),
)

# PostgreSQL only (migration 0005): how many assemblies share each combination of the working
# list's criteria and due month, kept exact by statement-level triggers on ``assemblies``.
# Columns named as in ``assemblies`` so that one set of filter predicates serves both.
assembly_counts = Table(
    "assembly_counts",
    metadata,
    Column("org_id", Uuid, nullable=False),
    Column("assembly_type", String(8), nullable=False),
    Column("size", String(16), nullable=False),
    Column("hazard", String(8), nullable=False),
    Column("service_type", String(16), nullable=False),
    Column("facility_type", String(20), nullable=False),
    Column("service_area_id", Uuid, nullable=True),
    Column("postal_code", String(20), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("location_active", Boolean, nullable=False),
    Column("has_email", Boolean, nullable=False),
    Column("failed", Boolean, nullable=False),
    Column("due_month", Date, nullable=True),
    Column("n", BigInteger, nullable=False),
)
