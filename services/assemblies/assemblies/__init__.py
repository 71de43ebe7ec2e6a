"""Locations, contacts, assemblies and service areas; the filter (working list); CSV import."""
