"""Communication types: what kind of notice a template belongs to, and when auto ones go out."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

SOURCES: tuple[str, ...] = ("assembly", "location", "ad_hoc")
TRIGGERS: tuple[str, ...] = ("batch", "auto")
DEFAULT_SUPPRESSION_DAYS = 65


class InvalidCommunicationType(ValueError):
    """A field of a communication type has a value that makes no sense; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class CommunicationType:
    """A kind of notice (e.g. "Annual test notice"); ``auto`` ones fire ``offset_days`` from the due date."""

    id: UUID
    org_id: UUID
    name: str
    source: str = "assembly"
    trigger: str = "batch"
    offset_days: int | None = None
    suppression_days: int = DEFAULT_SUPPRESSION_DAYS
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidCommunicationType("name", "must not be empty")
        if len(self.name) > 200:
            raise InvalidCommunicationType("name", "at most 200 characters")
        if self.source not in SOURCES:
            raise InvalidCommunicationType("source", f"one of {', '.join(SOURCES)}")
        if self.trigger not in TRIGGERS:
            raise InvalidCommunicationType("trigger", f"one of {', '.join(TRIGGERS)}")
        if self.trigger == "auto" and self.offset_days is None:
            raise InvalidCommunicationType(
                "offset_days", "an auto communication type needs its offset from the due date"
            )
        if self.offset_days is not None and abs(self.offset_days) > 3650:
            raise InvalidCommunicationType("offset_days", "at most 3650 days either way")
        if not 0 <= self.suppression_days <= 3650:
            raise InvalidCommunicationType("suppression_days", "between 0 and 3650 days")

    def changed(self, **changes: object) -> CommunicationType:
        """A copy with ``changes`` applied and validated."""
        return replace(self, **changes)  # type: ignore[arg-type]
