"""The closed vocabularies of the cross-connection control program (DOMAIN.md)."""

from __future__ import annotations

ASSEMBLY_TYPES = ("RP", "DC", "PVB", "SVB", "AVB", "RPDA", "DCDA", "AG")
"""Reduced pressure, double check, vacuum breakers (pressure, spill-resistant, atmospheric), detectors, air gap."""

SIZES = ('1/2"', '3/4"', '1"', '1 1/4"', '1 1/2"', '2"', '2 1/2"', '3"', '4"', '6"', '8"', '10"', '12"')
"""Nominal sizes an assembly may have."""

HAZARDS = ("high", "low")
SERVICE_TYPES = ("domestic", "fire", "irrigation")
FACILITY_TYPES = ("residential", "commercial", "industrial", "institutional", "multi_family", "irrigation", "fire")
CONTACT_TYPES = ("owner", "tenant", "property_manager", "billing", "site")
TEST_RESULTS = ("pass", "fail")
COMPLIANCE_STATUSES = ("non_compliant", "overdue", "due", "compliant", "unknown")
