"""What the use cases need from the outside world, and the errors those parts may raise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from contracts.events import DeliveryReported
from delivery.domain.ledger import Failure
from delivery.domain.outgoing_email import OutgoingEmail


class SendFailed(Exception):
    """The mailer could not hand the email over; ``failure`` says how (transient, bounced, rejected)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


class DocumentUnavailable(Exception):
    """The letter PDF to attach could not be fetched (yet): a transient failure."""


class Mailer(Protocol):
    size: int
    """How many emails it can send at once (its connections)."""

    async def send(self, email: OutgoingEmail) -> None: ...

    async def close(self) -> None: ...


class DocumentStore(Protocol):
    async def letter_pdf(self, org_id: UUID, document_id: UUID) -> bytes: ...

    async def close(self) -> None: ...


class ReportPublisher(Protocol):
    """Publishes delivery reports straight to Kafka, returning once the broker acknowledged them all."""

    async def publish(self, reports: Sequence[DeliveryReported]) -> None: ...
