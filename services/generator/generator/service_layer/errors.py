"""Errors the use cases raise; the HTTP entry point maps them to status codes."""

from __future__ import annotations

from dataclasses import dataclass


class NotFound(Exception):
    """Missing, or belongs to another organization (404)."""


class Conflict(Exception):
    """The change is not allowed in the record's current state (409)."""


class UpstreamUnavailable(Exception):
    """Another service needed for the answer failed (502)."""


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    line: int | None = None
    merge_field: str | None = None


class InvalidInput(Exception):
    """Bad input (422), with each field (and template line) named."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors
