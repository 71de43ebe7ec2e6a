"""The envelope every event carries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar, Self
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field


def new_event_id() -> UUID:
    return uuid4()


def _now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Base of every event: the envelope fields, then the payload fields of the subclass.

    ``TOPIC`` names the topic the event is published on; ``event_type`` and
    ``schema_version`` let a consumer reject what it does not understand.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    TOPIC: ClassVar[str]

    event_id: UUID = Field(default_factory=new_event_id)
    event_type: str
    schema_version: int = 1
    occurred_at: datetime = Field(default_factory=_now)
    org_id: UUID
    correlation_id: str = ""

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json_bytes(cls, data: bytes | str) -> Self:
        return cls.model_validate_json(data)
