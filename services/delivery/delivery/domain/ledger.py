"""The delivery ledger: one entry per communication, the guard against sending it twice.

An entry moves ``sending`` → ``sent``, or ``sending`` → ``queued`` (a transient failure
waiting for its next attempt) → ``sending`` ..., or ends ``failed`` or ``dropped``.
``sending`` is committed before the SMTP conversation starts and ``sent`` after it, so
after a crash the only emails that may go out twice are the few left ``sending``, and
they carry the same Message-ID.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    """Waiting for its next attempt after a transient failure."""
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DROPPED = "dropped"
    """Never sent: its batch was completed or archived first."""


@dataclass(frozen=True)
class LedgerEntry:
    communication_id: UUID
    status: DeliveryStatus
    request_seq: int
    attempts: int
    message_id: str
    batch_id: UUID | None = None
    last_error: str = ""
    permanent: bool = False


class Decision(enum.StrEnum):
    SEND = "send"
    """Start an attempt now."""
    REPORT_AGAIN = "report_again"
    """Already settled (sent, or failed for this request): report the same outcome again."""
    DROP = "drop"
    """Its batch is closed: never send it."""
    IGNORE = "ignore"
    """A stale or duplicate request: nothing to do."""


def decide(entry: LedgerEntry | None, request_seq: int, batch_closed: bool) -> Decision:
    """What to do with a delivery request, given the ledger entry of its communication.

    - an email already ``sent`` is never sent again, whatever the request (report it again);
    - a closed batch's unsent email is dropped;
    - a request older than the one the ledger knows is stale;
    - an entry left ``sending`` (the process died mid-send) is sent again, with its Message-ID;
    - an entry ``queued`` for a retry belongs to the retry schedule, unless a newer request supersedes it;
    - a ``failed`` entry is sent again only for a newer request (an explicit retry).
    """
    if entry is not None and entry.status is DeliveryStatus.SENT:
        return Decision.REPORT_AGAIN
    if batch_closed:
        return Decision.IGNORE if entry is not None and entry.status is DeliveryStatus.DROPPED else Decision.DROP
    if entry is None:
        return Decision.SEND
    if entry.status is DeliveryStatus.DROPPED:
        return Decision.SEND if request_seq > entry.request_seq else Decision.IGNORE
    if request_seq < entry.request_seq:
        return Decision.IGNORE
    if request_seq > entry.request_seq:
        return Decision.SEND
    match entry.status:
        case DeliveryStatus.SENDING:
            return Decision.SEND
        case DeliveryStatus.FAILED:
            return Decision.REPORT_AGAIN
        case _:
            return Decision.IGNORE


class FailureKind(enum.StrEnum):
    TRANSIENT = "transient"
    """Connection refused, timeout, 4xx: try again later."""
    BOUNCED = "bounced"
    """5xx for the recipient: the address does not work; fail now, mark the contact's email bounced."""
    REJECTED = "rejected"
    """A permanent refusal that says nothing about the recipient (5xx to the message, invalid values)."""


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    reason: str
    code: int | None = None


def classify_smtp_reply(code: int | None, message: str, *, for_recipient: bool) -> Failure:
    """A failure from an SMTP reply: 4xx (or no reply) is transient; 5xx is permanent.

    A 5xx for the recipient is a bounce; a 5xx to the sender or the message is a rejection.
    """
    reason = f"{code} {message}".strip() if code else message
    if code is None or code < 500:
        return Failure(FailureKind.TRANSIENT, reason, code)
    return Failure(FailureKind.BOUNCED if for_recipient else FailureKind.REJECTED, reason, code)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, up to ``max_attempts`` attempts in all."""

    max_attempts: int = 8
    base_seconds: float = 5.0
    max_seconds: float = 600.0

    def delay(self, attempts_made: int, rng: random.Random) -> float:
        """Seconds to wait after the ``attempts_made``-th failed attempt (between half and all of the backoff)."""
        backoff = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempts_made - 1))
        return backoff * (0.5 + rng.random() / 2)

    def exhausted(self, attempts_made: int) -> bool:
        return attempts_made >= self.max_attempts


@dataclass(frozen=True)
class Outcome:
    """How one attempt ends for the ledger: its new status, and what to report (if anything)."""

    status: DeliveryStatus
    report: str | None
    """``sent`` or ``failed``; None when nothing is reported (a retry is scheduled, or dropped)."""
    error: str = ""
    permanent: bool = False
    next_attempt_at: datetime | None = None


def after_attempt(
    failure: Failure | None, attempts_made: int, policy: RetryPolicy, now: datetime, rng: random.Random
) -> Outcome:
    """The ledger outcome of an attempt that succeeded (``failure`` None) or failed."""
    if failure is None:
        return Outcome(DeliveryStatus.SENT, "sent")
    match failure.kind:
        case FailureKind.BOUNCED:
            return Outcome(DeliveryStatus.FAILED, "failed", failure.reason, permanent=True)
        case FailureKind.REJECTED:
            return Outcome(DeliveryStatus.FAILED, "failed", failure.reason)
    if policy.exhausted(attempts_made):
        return Outcome(DeliveryStatus.FAILED, "failed", f"gave up after {attempts_made} attempts: {failure.reason}")
    wait = timedelta(seconds=policy.delay(attempts_made, rng))
    return Outcome(DeliveryStatus.QUEUED, None, failure.reason, next_attempt_at=now + wait)


DROPPED = Outcome(DeliveryStatus.DROPPED, None, "batch closed")
