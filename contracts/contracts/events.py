"""Every event of the flow in ARCHITECTURE.md, with its topic."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from contracts import topics
from contracts.envelope import Event
from contracts.snapshots import (
    AssemblySnapshot,
    LocationSnapshot,
    MemberSnapshot,
    Method,
    OrganizationSnapshot,
    Recipient,
)

CommunicationSource = Literal["batch", "auto", "one_time"]

_NO_MEMBERS = b'"members":[]'


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class GenerationRequested(Event):
    """batches asks the generator to render one chunk of a batch's members."""

    TOPIC: ClassVar[str] = topics.GENERATION_REQUESTED
    event_type: Literal["generation_requested"] = "generation_requested"

    batch_id: UUID
    source: CommunicationSource = "batch"
    chunk_index: int
    chunk_count: int
    template_id: UUID
    template_version: int
    batch_name: str
    due_date: date | None = None
    organization: OrganizationSnapshot
    members: list[MemberSnapshot]
    job_id: UUID | None = None
    """Set for the jobs of the unsent queue (an auto run, a one-time communication): communication
    ids are then derived from it, and ``batch_id`` names the organization's queue."""
    only_contact_id: UUID | None = None
    """One-time communications: only this contact receives it, whatever the template's contact types."""
    only_method: Method | None = None
    """One-time communications: only this method, whatever the template's methods."""
    additional_contents: str = ""
    """The ``additional_contents`` merge field (free text of a one-time communication)."""

    def json_with_members(self, members: Sequence[bytes]) -> bytes:
        """This event's JSON with ``members`` (each one ``MemberSnapshot``'s JSON) in place of its own.

        For an event built with ``members=[]``: a batch's chunks carry thousands of member
        snapshots that arrive as JSON and leave as JSON, so they are written as they came
        (the generator validates them when it reads the request). Every other field is the
        validated model's. The compact ``"members":[]`` appears once in the model's JSON: as
        a string value it would be escaped.
        """
        head = self.to_json_bytes()
        if self.members or head.count(_NO_MEMBERS) != 1:
            raise ValueError("json_with_members needs an event built with members=[]")
        return head.replace(_NO_MEMBERS, b'"members":[' + b",".join(members) + b"]")


class GeneratedCommunication(_Part):
    """One communication the contact rules produced, rendered.

    ``communication_id`` is derived from the natural key (batch, contact, method,
    assembly set), so a redelivered chunk yields the same ids.
    """

    communication_id: UUID
    location_id: UUID
    contact_id: UUID
    assembly_ids: list[UUID]
    method: Method
    recipient: Recipient
    status: Literal["generated", "needs_attention"] = "generated"
    missing_fields: list[str] = []
    subject: str = ""
    body_text: str = ""
    body_html: str = ""
    letter_body: str = ""
    cc: list[str] = []
    bcc: list[str] = []
    include_pdf_in_email: bool = False
    location: LocationSnapshot | None = None
    assemblies: list[AssemblySnapshot] = []
    """The covered assemblies, for the letter's table and the exports."""
    communication_type_id: UUID | None = None


class SkippedMember(_Part):
    """A member assembly that yields no communication, and why."""

    assembly_id: UUID
    location_id: UUID
    reason: str


class CommunicationsGenerated(Event):
    """The generator's result for one chunk: communications and skipped members."""

    TOPIC: ClassVar[str] = topics.COMMUNICATIONS_GENERATED
    event_type: Literal["communications_generated"] = "communications_generated"

    batch_id: UUID
    source: CommunicationSource = "batch"
    chunk_index: int
    chunk_count: int
    template_id: UUID
    template_version: int
    organization: OrganizationSnapshot
    communications: list[GeneratedCommunication]
    skipped: list[SkippedMember] = []
    error: str = ""
    """Set when the whole chunk could not be rendered (e.g. template missing)."""
    job_id: UUID | None = None
    """The request's ``job_id``, echoed (auto runs and one-time communications)."""


class DeliveryRequested(Event):
    """batches asks delivery to send one email."""

    TOPIC: ClassVar[str] = topics.DELIVERY_REQUESTED
    event_type: Literal["delivery_requested"] = "delivery_requested"

    communication_id: UUID
    batch_id: UUID | None = None
    source: CommunicationSource = "batch"
    contact_id: UUID
    to_email: str
    to_name: str = ""
    cc: list[str] = []
    bcc: list[str] = []
    from_email: str
    from_name: str = ""
    reply_to: str = ""
    subject: str
    body_text: str
    body_html: str = ""
    message_id: str
    """Stable per communication: a resend after a crash carries the same one."""
    attachment_document_id: UUID | None = None
    attachment_filename: str = ""
    request_seq: int = 1
    """Increases with each explicit send/retry of the same communication."""


DeliveryStatus = Literal["sending", "sent", "failed"]


class DeliveryReported(Event):
    """delivery reports a step of one email: sending, sent or failed."""

    TOPIC: ClassVar[str] = topics.DELIVERY_REPORTED
    event_type: Literal["delivery_reported"] = "delivery_reported"

    communication_id: UUID
    batch_id: UUID | None = None
    source: CommunicationSource = "batch"
    contact_id: UUID
    status: DeliveryStatus
    attempts: int = 0
    error: str = ""
    permanent: bool = False
    """A permanent failure (5xx for the recipient): the contact's email bounced."""
    message_id: str = ""
    reported_at: datetime
    request_seq: int = 1


class BatchClosed(Event):
    """A batch was completed or archived: queued sends of it must be dropped."""

    TOPIC: ClassVar[str] = topics.BATCH_CLOSED
    event_type: Literal["batch_closed"] = "batch_closed"

    batch_id: UUID
    state: Literal["complete", "archived"]


class LetterRendered(Event):
    """documents rendered the PDF of one letter communication."""

    TOPIC: ClassVar[str] = topics.LETTER_RENDERED
    event_type: Literal["letter_rendered"] = "letter_rendered"

    communication_id: UUID
    batch_id: UUID | None = None
    document_id: UUID
    pages: int


ALL_EVENTS: tuple[type[Event], ...] = (
    GenerationRequested,
    CommunicationsGenerated,
    DeliveryRequested,
    DeliveryReported,
    BatchClosed,
    LetterRendered,
)
