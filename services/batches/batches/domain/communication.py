"""Communication statuses and how delivery reports move them (DOMAIN.md, "Communication statuses").

generated → queued → sending → sent; failed (with reason; retryable); needs_attention
(missing merge data); skipped; removed (unsent when the batch was completed or archived).
Letters stay generated until the admin marks them mailed (sent, with the date).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CommunicationStatus(StrEnum):
    GENERATED = "generated"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    NEEDS_ATTENTION = "needs_attention"
    SKIPPED = "skipped"
    REMOVED = "removed"


class Method(StrEnum):
    EMAIL = "email"
    LETTER = "letter"


REMOVABLE = frozenset(
    {
        CommunicationStatus.GENERATED,
        CommunicationStatus.QUEUED,
        CommunicationStatus.FAILED,
        CommunicationStatus.NEEDS_ATTENTION,
        CommunicationStatus.SKIPPED,
    }
)
"""Unsent statuses that closing a batch turns into ``removed``.

``sending`` is left alone: that email may be at the SMTP server right now. Its final
report decides: ``sent`` is recorded as sent; ``failed`` becomes ``removed`` (the batch is
closed, nothing will retry it).
"""

IN_DELIVERY = frozenset({CommunicationStatus.QUEUED, CommunicationStatus.SENDING, CommunicationStatus.FAILED})


@dataclass(frozen=True)
class DeliveryOutcome:
    """What a delivery report does to a communication: its new status, or nothing."""

    status: CommunicationStatus | None
    reason: str = ""

    @property
    def changes(self) -> bool:
        return self.status is not None


def apply_delivery_report(
    current: CommunicationStatus,
    current_seq: int,
    reported: str,
    reported_seq: int,
    *,
    batch_closed: bool,
) -> DeliveryOutcome:
    """Decide what a delivery report (``sending``/``sent``/``failed``) does to a communication.

    - a ``sent`` communication never goes back (a late ``sending`` or ``failed`` is ignored);
    - a report about an older send request (lower ``request_seq``) is stale and ignored;
    - ``sent`` is always the truth, even for a communication removed while it was in flight;
    - other reports on a ``removed`` one change nothing; a ``failed`` one in a closed batch
      becomes ``removed`` (nothing will retry it).
    """
    if current is CommunicationStatus.SENT:
        return DeliveryOutcome(None, "already sent")
    if reported_seq < current_seq:
        return DeliveryOutcome(None, "stale report of an earlier send request")
    if reported == CommunicationStatus.SENT:
        if current in IN_DELIVERY or current is CommunicationStatus.REMOVED:
            return DeliveryOutcome(CommunicationStatus.SENT)
        return DeliveryOutcome(None, f"not in delivery ({current.value})")
    if current is CommunicationStatus.REMOVED:
        return DeliveryOutcome(None, "removed")
    if current not in IN_DELIVERY:
        return DeliveryOutcome(None, f"not in delivery ({current.value})")
    if reported == CommunicationStatus.SENDING:
        return DeliveryOutcome(CommunicationStatus.SENDING)
    if reported == CommunicationStatus.FAILED:
        if batch_closed:
            return DeliveryOutcome(CommunicationStatus.REMOVED, "failed after the batch was closed")
        return DeliveryOutcome(CommunicationStatus.FAILED)
    return DeliveryOutcome(None, f"unknown report status {reported!r}")


def message_id_domain(from_email: str) -> str:
    """The right-hand side of the Message-IDs of an organization's emails."""
    domain = from_email.rsplit("@", 1)[1].strip() if "@" in from_email else ""
    return domain or "bcc.local"


def message_id_for(communication_id: object, from_email: str) -> str:
    """The stable Message-ID of a communication's email: the same on every resend."""
    return f"<{communication_id}@{message_id_domain(from_email)}>"
