"""Fixed identifiers of the demo organizations, shared by the demo data and the demo users."""

from uuid import UUID

DEMO_ORG_ID = UUID("0d3c1a5e-7b2f-4c9a-9e41-5a7f00000001")
"""Riverbend Water Utility, the organization `make run` loads and the README's login belongs to."""

OTHER_ORG_ID = UNRELATED_ORG_ID = UUID("0d3c1a5e-7b2f-4c9a-9e41-5a7f00000002")
"""A second organization (Lakeside Water District) whose data must never show to the first."""
