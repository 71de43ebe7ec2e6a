"""Use cases of the assemblies service: the working list, records and snapshots, CSV import, bounces."""
