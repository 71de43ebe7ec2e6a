"""The assemblies domain: records, vocabularies, compliance status, the working list, the CSV format.

Nothing here imports a framework.
"""
