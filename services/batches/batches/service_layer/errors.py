"""Errors the use cases raise; the HTTP layer maps each to its status code."""

from __future__ import annotations

from typing import Any


class NotFound(Exception):
    """The record does not exist in the caller's organization (HTTP 404)."""


class InvalidInput(Exception):
    """A field of the request is wrong (HTTP 422 naming the field)."""

    def __init__(self, field: str, message: str, location: str = "body") -> None:
        self.field = field
        self.message = message
        self.location = location
        super().__init__(f"{field}: {message}")


class NothingToDo(Exception):
    """The request is valid but the batch has nothing it applies to (HTTP 409)."""


class UpstreamRejected(Exception):
    """Another service refused our call with a 4xx; its status and detail pass through unchanged."""

    def __init__(self, service: str, status_code: int, detail: Any) -> None:
        self.service = service
        self.status_code = status_code
        self.detail = detail
        super().__init__(f"{service} answered {status_code}: {detail}")


class UpstreamUnavailable(Exception):
    """Another service could not be reached or failed (HTTP 503)."""

    def __init__(self, service: str, reason: str) -> None:
        self.service = service
        self.reason = reason
        super().__init__(f"the {service} service is unavailable: {reason}")
