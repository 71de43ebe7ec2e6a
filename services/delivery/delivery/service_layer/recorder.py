"""Group commit of attempt outcomes: many emails' ``sent``/``failed`` in one transaction.

Each finished attempt hands its outcome (ledger update + report) to the recorder and
waits until it is committed. The recorder writes whatever has accumulated in one
transaction, so at full speed an outcome waits a few milliseconds and the database
does one commit for dozens of emails instead of one each. It lingers only while
attempts are still running (their outcomes will join the group); once every started
attempt has handed in its outcome it writes at once, so the last emails of a polled
batch do not wait for the linger. Until its outcome is committed an email stays
``sending`` in the ledger: that small window (plus the emails on the wire) is all a
crash can send twice.

Reports go one of two ways:

- **outbox** (staged in the same transaction as the ledger update): outcomes of the
  retry schedule, whose requests are no longer in Kafka;
- **direct** (``direct=True``, with a ``publisher``): outcomes of requests that came
  from Kafka. They are published right after the commit and ``record`` returns only
  once the broker acknowledged them; the consumer commits the offsets after that, so
  a crash before the acknowledgement replays the request, and the ledger (already
  ``sent``/``failed``) reports it again. That saves the outbox insert, the relay's read
  and its update per email, with the same guarantee: every result is published.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.events import DeliveryReported
from delivery.adapters import ledger_repository as ledger
from delivery.adapters.ledger_repository import RecordedOutcome
from delivery.service_layer.ports import ReportPublisher
from servicekit import outbox
from servicekit.messaging_tables import MessagingTables

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    outcome: RecordedOutcome
    report: DeliveryReported | None
    direct: bool
    done: asyncio.Future[None]


class OutcomeRecorder:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        *,
        publisher: ReportPublisher | None = None,
        max_group: int = 500,
        linger_seconds: float = 0.02,
        write_attempts: int = 6,
    ) -> None:
        self._sessions = sessions
        self._tables = tables
        self._publisher = publisher
        self.running = 0
        """Attempts started whose outcome has not been handed in yet (kept by the service)."""
        self._max_group = max_group
        self._linger = linger_seconds
        self.write_attempts = write_attempts
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.commits = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="delivery-outcome-recorder")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def record(self, outcome: RecordedOutcome, report: DeliveryReported | None, *, direct: bool = False) -> None:
        """Returns once the outcome (and its report, in the outbox or acknowledged by Kafka) is committed.

        ``direct``: publish the report after the commit instead of staging it in the
        outbox (only with a publisher; see the module's docstring).
        """
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(outcome, report, direct and self._publisher is not None, done))
        await done

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            group = [await self._queue.get()]
            if self._linger:
                # a few milliseconds more outcomes per commit: far fewer transactions at full speed;
                # but only while running attempts will still hand some in
                deadline = loop.time() + self._linger
                while True:
                    while len(group) < self._max_group and not self._queue.empty():
                        group.append(self._queue.get_nowait())
                    if len(group) >= self._max_group or self.running <= 0 or loop.time() >= deadline:
                        break
                    await asyncio.sleep(0.002)
            error = await self._write_with_retries(group)
            if error is None:
                error = await self._publish_with_retries(group)
            for p in group:
                if p.done.done():
                    continue
                if error is None:
                    p.done.set_result(None)
                else:
                    p.done.set_exception(error)

    async def _write_with_retries(self, group: Sequence[_Pending]) -> BaseException | None:
        error: BaseException | None = None
        for attempt in range(self.write_attempts):
            try:
                await self._write(group)
                return None
            except Exception as exc:  # the database hiccuped: the emails are sent, keep trying to say so
                error = exc
                log.warning("recording %s outcomes failed (attempt %s): %r", len(group), attempt + 1, exc)
                if attempt + 1 < self.write_attempts:
                    await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
        return error

    async def _publish_with_retries(self, group: Sequence[_Pending]) -> BaseException | None:
        reports = [p.report for p in group if p.direct and p.report is not None]
        if not reports or self._publisher is None:
            return None
        error: BaseException | None = None
        for attempt in range(self.write_attempts):
            try:
                await self._publisher.publish(reports)
                return None
            except Exception as exc:  # the ledger is committed; a replay of the request would report it again
                error = exc
                log.warning("publishing %s reports failed (attempt %s): %r", len(reports), attempt + 1, exc)
                if attempt + 1 < self.write_attempts:
                    await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
        return error

    async def _write(self, group: Sequence[_Pending]) -> None:
        async with self._sessions.begin() as session:
            await ledger.record_outcomes(session, [p.outcome for p in group])
            staged = [(p.report, str(p.report.communication_id)) for p in group if p.report and not p.direct]
            if staged:
                await outbox.stage(session, self._tables, staged)
        self.commits += 1
