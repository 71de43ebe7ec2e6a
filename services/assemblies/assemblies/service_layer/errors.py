"""Errors the use cases raise; the HTTP entry points turn them into status codes."""

from __future__ import annotations


class NotFound(Exception):
    """No such record in the caller's organization (404)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")


class InvalidInput(Exception):
    """Input that cannot be used, naming the field (422); nothing was changed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
