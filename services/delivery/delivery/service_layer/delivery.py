"""The delivery use cases: send requested emails, retry transient failures, drop closed batches.

Flow of one polled group of ``DeliveryRequested`` events (``handle_delivery_requests``):

1. one transaction decides each request against the ledger (``domain.ledger.decide``),
   writes ``sending`` (with the attempt number) for those to send, ``dropped`` for a
   closed batch's, and stages the reports (``sending``, or the settled outcome again);
   the polled group is begun in growing chunks (``begin_chunk``, twice that, ...), so
   the first emails reach the wire after a small transaction and the rest cost few;
2. the emails go out concurrently, at most ``mailer.size`` at a time (one per pooled
   connection); just before each one talks to the server, a batch closed in the
   meantime stops it;
3. each outcome is group-committed (``OutcomeRecorder``): ``sent``, ``failed`` with the
   server's reason, or ``queued`` with the time of the next attempt; with a report
   ``publisher`` the reports of these Kafka requests are published right after the
   commit (acknowledged) instead of going through the outbox;
4. only then does the call return, and only then does the consumer commit the offsets.

A transient failure never makes anyone wait: the email goes back to ``queued`` with a
backoff, and ``retry_due`` (run in a loop by the process) sends it again later from
the request stored in the ledger.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.events import BatchClosed, DeliveryReported, DeliveryRequested
from delivery.adapters import ledger_repository as ledger
from delivery.adapters.ledger_repository import RecordedOutcome
from delivery.domain.ledger import (
    DROPPED,
    Decision,
    DeliveryStatus,
    Failure,
    FailureKind,
    LedgerEntry,
    Outcome,
    RetryPolicy,
    after_attempt,
    decide,
)
from delivery.domain.outgoing_email import EmailRequest, InvalidEmail, build_email
from delivery.service_layer.ports import DocumentStore, DocumentUnavailable, Mailer, ReportPublisher, SendFailed
from delivery.service_layer.recorder import OutcomeRecorder
from servicekit import outbox
from servicekit.clock import Clock, SystemClock
from servicekit.messaging_tables import MessagingTables

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    request: DeliveryRequested
    number: int
    """1 for the first attempt of this communication's current request."""
    direct: bool = False
    """Its report is published directly (a Kafka request, replayed if we crash before the ack)."""


def _report(
    request: DeliveryRequested,
    status: str,
    *,
    attempts: int,
    at: Any,
    error: str = "",
    permanent: bool = False,
) -> DeliveryReported:
    return DeliveryReported(
        org_id=request.org_id,
        correlation_id=request.correlation_id,
        communication_id=request.communication_id,
        batch_id=request.batch_id,
        source=request.source,
        contact_id=request.contact_id,
        status=status,  # type: ignore[arg-type]
        attempts=attempts,
        error=error,
        permanent=permanent,
        message_id=request.message_id,
        reported_at=at,
        request_seq=request.request_seq,
    )


def _email_request(r: DeliveryRequested) -> EmailRequest:
    return EmailRequest(
        message_id=r.message_id,
        from_email=r.from_email,
        from_name=r.from_name,
        to_email=r.to_email,
        to_name=r.to_name,
        reply_to=r.reply_to,
        cc=list(r.cc),
        bcc=list(r.bcc),
        subject=r.subject,
        body_text=r.body_text,
        body_html=r.body_html,
        attachment_filename=r.attachment_filename,
    )


class DeliveryService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        mailer: Mailer,
        documents: DocumentStore,
        *,
        publisher: ReportPublisher | None = None,
        retry_policy: RetryPolicy | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        report_sending: bool = False,
        stale_sending_after: timedelta = timedelta(minutes=5),
        circuit_seconds: float = 2.0,
        begin_chunk: int = 50,
        max_begin_chunk: int = 400,
    ) -> None:
        self._sessions = sessions
        self._tables = tables
        self._mailer = mailer
        self._documents = documents
        self._policy = retry_policy or RetryPolicy()
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._report_sending = report_sending
        self._stale_after = stale_sending_after
        self._slots = asyncio.Semaphore(mailer.size)
        self.recorder = OutcomeRecorder(sessions, tables, publisher=publisher)
        # ``sending`` reports go through the outbox: the others then go there too, to stay behind them
        self._direct = publisher is not None and not report_sending
        self.closed_batches: set[UUID] = set()
        self.sent = 0
        self._circuit = timedelta(seconds=circuit_seconds)
        self._server_down: tuple[Any, str] | None = None
        self._started = asyncio.Event()
        self._chunk = max(1, begin_chunk)
        self._max_chunk = max(self._chunk, max_begin_chunk)

    async def start(self) -> None:
        async with self._sessions() as session:
            self.closed_batches |= await ledger.all_closed(session)
        self.recorder.start()
        self._started.set()

    async def stop(self) -> None:
        await self.recorder.stop()

    async def close_adapters(self) -> None:
        await self._mailer.close()
        await self._documents.close()

    # ------------------------------------------------------------------ Kafka: requests
    async def handle_delivery_requests(self, requests: Sequence[DeliveryRequested]) -> None:
        """Send a polled group of requests; returns once every outcome is committed.

        The group is begun in chunks: while the first chunk's emails are on the wire, the
        next chunk's ``sending`` rows are being committed, so the connections never wait
        for the database. Chunks double in size (up to ``max_begin_chunk``): a small
        first one gets the wire busy quickly, larger ones after it make few transactions.
        (How many are ``sending`` ahead of the wire does not widen the duplicate window:
        after a crash those are sent for the first time.)
        """
        await self._started.wait()
        latest: dict[UUID, DeliveryRequested] = {}
        for r in requests:  # the same communication twice in one poll: the newest request wins
            seen = latest.get(r.communication_id)
            if seen is None or r.request_seq >= seen.request_seq:
                latest[r.communication_id] = r
        unique = list(latest.values())
        running: list[asyncio.Task[None]] = []
        try:
            start, size = 0, self._chunk
            while start < len(unique):
                attempts = await self._begin(unique[start : start + size])
                running.extend(asyncio.ensure_future(self._attempt(a)) for a in attempts)
                start += size
                size = min(size * 2, self._max_chunk)
            if running:
                # one failure (its outcome could not be recorded or reported) fails the poll, but only
                # after the others finished: cancelling them mid-conversation would leave emails that
                # went out ``sending``, to be sent again on the replay
                results = await asyncio.gather(*running, return_exceptions=True)
                for result in results:
                    if isinstance(result, BaseException):
                        raise result
        finally:
            for task in running:  # on failure or cancellation, nothing keeps going behind our back
                task.cancel()

    async def _begin(self, requests: Sequence[DeliveryRequested]) -> list[Attempt]:
        latest = {r.communication_id: r for r in requests}
        now = self._clock.now()
        attempts: list[Attempt] = []
        rows: list[dict[str, Any]] = []
        reports: list[tuple[DeliveryReported, str]] = []
        async with self._sessions.begin() as session:
            known = await ledger.entries(session, latest)
            closed = await ledger.closed_among(session, (r.batch_id for r in latest.values()))
            self.closed_batches |= closed
            for cid, r in latest.items():
                entry = known.get(cid)
                decision = decide(entry, r.request_seq, r.batch_id in self.closed_batches)
                if decision is Decision.SEND:
                    continuing = entry is not None and entry.request_seq == r.request_seq
                    number = entry.attempts + 1 if continuing and entry is not None else 1
                    rows.append(self._row(r, DeliveryStatus.SENDING, number, now))
                    attempts.append(Attempt(r, number, direct=self._direct))
                    if self._report_sending:
                        reports.append((_report(r, "sending", attempts=number, at=now), str(cid)))
                elif decision is Decision.DROP:
                    rows.append(self._row(r, DeliveryStatus.DROPPED, 0, now, error="batch closed"))
                elif decision is Decision.REPORT_AGAIN and entry is not None:
                    reports.append((self._settled_report(r, entry, now), str(cid)))
            await ledger.save_attempts(session, rows)
            await outbox.stage(session, self._tables, reports)
        return attempts

    @staticmethod
    def _row(r: DeliveryRequested, status: DeliveryStatus, attempts: int, now: Any, error: str = "") -> dict[str, Any]:
        return {
            "communication_id": r.communication_id,
            "org_id": r.org_id,
            "batch_id": r.batch_id,
            "contact_id": r.contact_id,
            "source": r.source,
            "message_id": r.message_id,
            "status": status.value,
            "attempts": attempts,
            "request_seq": r.request_seq,
            "last_error": error,
            "permanent": False,
            "next_attempt_at": None,
            "request": None,
            "updated_at": now,
            "sent_at": None,
        }

    @staticmethod
    def _settled_report(r: DeliveryRequested, entry: LedgerEntry, now: Any) -> DeliveryReported:
        if entry.status is DeliveryStatus.SENT:
            return _report(r, "sent", attempts=entry.attempts, at=now)
        return _report(r, "failed", attempts=entry.attempts, at=now, error=entry.last_error, permanent=entry.permanent)

    # ------------------------------------------------------------------ Kafka: batch closed
    async def handle_batch_closed(self, event: BatchClosed) -> int:
        """Remember the batch is closed and drop its queued sends; answers how many were dropped."""
        async with self._sessions.begin() as session:
            dropped = await ledger.close_batch(session, event.org_id, event.batch_id, event.state, self._clock.now())
        self.closed_batches.add(event.batch_id)
        log.info("batch %s closed (%s): %s queued send(s) dropped", event.batch_id, event.state, dropped)
        return dropped

    # ------------------------------------------------------------------ retries
    async def retry_due(self, limit: int = 200) -> int:
        """Send again the entries whose next attempt is due; answers how many were attempted."""
        await self._started.wait()
        now = self._clock.now()
        async with self._sessions.begin() as session:
            claimed = await ledger.claim_due(session, now, now - self._stale_after, limit)
            attempts = [Attempt(DeliveryRequested.model_validate(req), n) for req, n in claimed]
            if self._report_sending and attempts:
                await outbox.stage(
                    session,
                    self._tables,
                    [
                        (_report(a.request, "sending", attempts=a.number, at=now), str(a.request.communication_id))
                        for a in attempts
                    ],
                )
        await self._run_attempts(attempts)
        return len(attempts)

    # ------------------------------------------------------------------ one attempt
    async def _run_attempts(self, attempts: Sequence[Attempt]) -> None:
        if attempts:
            await asyncio.gather(*(self._attempt(a) for a in attempts))

    async def _attempt(self, attempt: Attempt) -> None:
        self.recorder.running += 1
        try:
            outcome = await self._try(attempt)
        finally:
            self.recorder.running -= 1
        r = attempt.request
        now = self._clock.now()
        report = None
        if outcome.report is not None:
            report = _report(
                r, outcome.report, attempts=attempt.number, at=now, error=outcome.error, permanent=outcome.permanent
            )
        recorded = RecordedOutcome(
            communication_id=r.communication_id,
            status=outcome.status.value,
            error=outcome.error,
            permanent=outcome.permanent,
            next_attempt_at=outcome.next_attempt_at,
            at=now,
            request=r.model_dump(mode="json") if outcome.status is DeliveryStatus.QUEUED else None,
        )
        await self.recorder.record(recorded, report, direct=attempt.direct)
        if outcome.status is DeliveryStatus.SENT:
            self.sent += 1

    async def _try(self, attempt: Attempt) -> Outcome:
        r = attempt.request
        failure: Failure | None = None
        try:
            pdf = None
            if r.attachment_document_id is not None:
                pdf = await self._documents.letter_pdf(r.org_id, r.attachment_document_id)
            email = build_email(_email_request(r), pdf)
            async with self._slots:
                if r.batch_id is not None and r.batch_id in self.closed_batches:
                    return DROPPED
                down = self._server_down
                if down is not None and self._clock.now() < down[0]:
                    # the server just failed to answer: don't make every queued email wait for its timeout
                    failure = Failure(FailureKind.TRANSIENT, f"SMTP server unavailable: {down[1]}")
                else:
                    await self._mailer.send(email)
        except SendFailed as exc:
            failure = exc.failure
            if failure.kind is FailureKind.TRANSIENT and failure.code is None:  # no SMTP reply at all
                self._server_down = (self._clock.now() + self._circuit, failure.reason)
        except DocumentUnavailable as exc:
            failure = Failure(FailureKind.TRANSIENT, f"attachment unavailable: {exc}")
        except InvalidEmail as exc:
            # a bad recipient address is the contact's problem (a bounce); anything else is the template's or org's
            kind = FailureKind.BOUNCED if exc.field == "to_email" else FailureKind.REJECTED
            failure = Failure(kind, f"invalid {exc}")
        if failure is not None:
            log.info("attempt %s of %s failed: %s", attempt.number, r.communication_id, failure.reason)
        return after_attempt(failure, attempt.number, self._policy, self._clock.now(), self._rng)
