"""The ledger's rules: never send a sent email again, drop a closed batch's, retry with backoff."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import pytest

from delivery.domain.ledger import (
    Decision,
    DeliveryStatus,
    Failure,
    FailureKind,
    LedgerEntry,
    RetryPolicy,
    after_attempt,
    classify_smtp_reply,
    decide,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _entry(status: DeliveryStatus, seq: int = 1, attempts: int = 1) -> LedgerEntry:
    return LedgerEntry(uuid.uuid4(), status, seq, attempts, "<m@x>")


def test_a_new_request_is_sent() -> None:
    assert decide(None, 1, batch_closed=False) is Decision.SEND


@pytest.mark.parametrize("seq", [1, 2, 7])
@pytest.mark.parametrize("closed", [False, True])
def test_a_sent_email_is_never_sent_again_only_reported_again(seq: int, closed: bool) -> None:
    assert decide(_entry(DeliveryStatus.SENT), seq, batch_closed=closed) is Decision.REPORT_AGAIN


def test_a_closed_batchs_requests_are_dropped_once() -> None:
    assert decide(None, 1, batch_closed=True) is Decision.DROP
    assert decide(_entry(DeliveryStatus.QUEUED), 1, batch_closed=True) is Decision.DROP
    assert decide(_entry(DeliveryStatus.DROPPED), 1, batch_closed=True) is Decision.IGNORE


def test_an_email_left_sending_by_a_crash_is_sent_again() -> None:
    assert decide(_entry(DeliveryStatus.SENDING), 1, batch_closed=False) is Decision.SEND


def test_a_queued_retry_belongs_to_the_schedule_unless_a_newer_request_comes() -> None:
    assert decide(_entry(DeliveryStatus.QUEUED, seq=1), 1, batch_closed=False) is Decision.IGNORE
    assert decide(_entry(DeliveryStatus.QUEUED, seq=1), 2, batch_closed=False) is Decision.SEND


def test_a_failed_email_is_sent_again_only_for_an_explicit_retry() -> None:
    assert decide(_entry(DeliveryStatus.FAILED, seq=1), 1, batch_closed=False) is Decision.REPORT_AGAIN
    assert decide(_entry(DeliveryStatus.FAILED, seq=1), 2, batch_closed=False) is Decision.SEND


def test_a_stale_request_changes_nothing() -> None:
    assert decide(_entry(DeliveryStatus.FAILED, seq=3), 2, batch_closed=False) is Decision.IGNORE
    assert decide(_entry(DeliveryStatus.SENDING, seq=3), 2, batch_closed=False) is Decision.IGNORE


@pytest.mark.parametrize(
    ("code", "for_recipient", "kind"),
    [
        (550, True, FailureKind.BOUNCED),
        (553, True, FailureKind.BOUNCED),
        (554, False, FailureKind.REJECTED),
        (451, True, FailureKind.TRANSIENT),
        (421, False, FailureKind.TRANSIENT),
        (None, False, FailureKind.TRANSIENT),
    ],
)
def test_smtp_replies_are_classified_by_their_code(code: int | None, for_recipient: bool, kind: FailureKind) -> None:
    failure = classify_smtp_reply(code, "5.1.1 mailbox unavailable", for_recipient=for_recipient)
    assert failure.kind is kind
    assert "mailbox unavailable" in failure.reason


def test_a_bounce_fails_at_once_permanently_with_the_servers_reason() -> None:
    failure = classify_smtp_reply(550, "5.1.1 mailbox unavailable", for_recipient=True)
    outcome = after_attempt(failure, 1, RetryPolicy(), NOW, random.Random(1))
    assert outcome.status is DeliveryStatus.FAILED
    assert outcome.report == "failed" and outcome.permanent
    assert outcome.error == "550 5.1.1 mailbox unavailable"


def test_a_transient_failure_is_queued_with_backoff_until_the_limit() -> None:
    policy = RetryPolicy(max_attempts=4, base_seconds=2, max_seconds=5)
    failure = Failure(FailureKind.TRANSIENT, "connection refused")
    rng = random.Random(7)
    waits = []
    for attempt in (1, 2, 3):
        outcome = after_attempt(failure, attempt, policy, NOW, rng)
        assert outcome.status is DeliveryStatus.QUEUED and outcome.report is None
        assert outcome.next_attempt_at is not None
        waits.append((outcome.next_attempt_at - NOW).total_seconds())
    assert 1 <= waits[0] <= 2 and 2 <= waits[1] <= 4 and 2.5 <= waits[2] <= 5
    last = after_attempt(failure, 4, policy, NOW, rng)
    assert last.status is DeliveryStatus.FAILED and not last.permanent
    assert last.error == "gave up after 4 attempts: connection refused"


def test_backoff_has_jitter() -> None:
    policy = RetryPolicy(base_seconds=10, max_seconds=1000)
    rng = random.Random(3)
    assert len({round(policy.delay(3, rng), 6) for _ in range(20)}) > 1
    assert all(20 <= policy.delay(3, rng) <= 40 for _ in range(50))


def test_success_is_sent() -> None:
    outcome = after_attempt(None, 1, RetryPolicy(), NOW, random.Random())
    assert (outcome.status, outcome.report) == (DeliveryStatus.SENT, "sent")
    assert outcome.next_attempt_at is None
