"""Group commit of attempt outcomes: many emails' ``sent``/``failed`` in one transaction.

Each finished attempt hands its outcome (ledger update + report) to the recorder and
waits until it is committed. The recorder writes whatever has accumulated in one
transaction, so at full speed an outcome waits a few milliseconds and the database
does one commit for dozens of emails instead of one each. Until its outcome is
committed an email stays ``sending`` in the ledger: that small window (plus the
emails on the wire) is all a crash can send twice.
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
from servicekit import outbox
from servicekit.messaging_tables import MessagingTables

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    outcome: RecordedOutcome
    report: DeliveryReported | None
    done: asyncio.Future[None]


class OutcomeRecorder:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        *,
        max_group: int = 500,
        linger_seconds: float = 0.02,
        write_attempts: int = 6,
    ) -> None:
        self._sessions = sessions
        self._tables = tables
        self._max_group = max_group
        self._linger = linger_seconds
        self._write_attempts = write_attempts
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

    async def record(self, outcome: RecordedOutcome, report: DeliveryReported | None) -> None:
        """Returns once the outcome (and its report, in the outbox) is committed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(outcome, report, done))
        await done

    async def _run(self) -> None:
        while True:
            group = [await self._queue.get()]
            if self._linger:
                # a few milliseconds more outcomes per commit: far fewer transactions at full speed
                await asyncio.sleep(self._linger)
            while len(group) < self._max_group and not self._queue.empty():
                group.append(self._queue.get_nowait())
            error: BaseException | None = None
            for attempt in range(self._write_attempts):
                try:
                    await self._write(group)
                    error = None
                    break
                except Exception as exc:  # the database hiccuped: the emails are sent, keep trying to say so
                    error = exc
                    log.warning("recording %s outcomes failed (attempt %s): %r", len(group), attempt + 1, exc)
                    await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
            for p in group:
                if p.done.done():
                    continue
                if error is None:
                    p.done.set_result(None)
                else:
                    p.done.set_exception(error)

    async def _write(self, group: Sequence[_Pending]) -> None:
        async with self._sessions.begin() as session:
            await ledger.record_outcomes(session, [p.outcome for p in group])
            reports = [(p.report, str(p.report.communication_id)) for p in group if p.report is not None]
            if reports:
                await outbox.stage(session, self._tables, reports)
        self.commits += 1
