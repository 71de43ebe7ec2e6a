"""Auto-generated reminders and Create Log: the jobs that feed the organization's unsent queue.

Batches are one-off bulk sends. Beside them (DOMAIN.md) the organization has:

* **auto runs**: a communication type with trigger ``auto`` fires ``offset_days`` from each
  assembly's next test due date (-30: thirty days before, +1: the day after). The run of a
  day ``on`` covers the assemblies due on ``on - offset_days``. One run per (type, day): a
  repeated run creates nothing. An assembly that had the same type of notice less than
  ``suppression_days`` before (or after) ``on`` is left out.
* **one-time communications** (Create Log): one communication to one chosen contact.

Both go through the same pipeline as a batch (generator, documents, delivery) as a
*generation job*. Their communications sit in the organization's **queue**: a pseudo batch
id (``queue_id``) that documents and delivery see as the batch, while the communication
ids are keyed on the job, so two runs never collide.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

QUEUE_NAMESPACE = UUID("5b0c7e1d-2f3a-5c4b-8d9e-0a1b2c3d4e5f")
"""uuid5 namespace of queue and run ids. Never change it: stored ids depend on it."""


class JobKind(StrEnum):
    AUTO = "auto"
    ONE_TIME = "one_time"


class JobState(StrEnum):
    GENERATING = "generating"
    GENERATED = "generated"


def queue_id(org_id: UUID) -> UUID:
    """The pseudo batch id under which an organization's auto and one-time communications live."""
    return uuid5(QUEUE_NAMESPACE, f"queue|{org_id}")


def auto_run_key(communication_type_id: UUID, on: date) -> str:
    """The natural key of the auto run of one type on one day: a second run of it creates nothing."""
    return f"auto|{communication_type_id}|{on.isoformat()}"


def auto_run_id(org_id: UUID, communication_type_id: UUID, on: date) -> UUID:
    """The id of that run: the same whichever copy of the service makes it."""
    return uuid5(QUEUE_NAMESPACE, f"{org_id}|{auto_run_key(communication_type_id, on)}")


def one_time_key(job_id: UUID) -> str:
    return f"one_time|{job_id}"


def due_date_matched(on: date, offset_days: int) -> date:
    """The next-test-due date an auto rule with ``offset_days`` matches on day ``on``.

    A first notice 30 days before (offset -30) matches on June 1 the assemblies due July 1;
    an overdue notice the day after (offset +1) matches on July 2 the assemblies due July 1.
    """
    return on - timedelta(days=offset_days)


def suppressed(on: date, previous_notices: Iterable[date], suppression_days: int) -> bool:
    """True when a notice of the same type on one of ``previous_notices`` is inside the window around ``on``.

    The window is symmetric (a run for an earlier day made after a later one is suppressed
    too); ``suppression_days = 0`` suppresses nothing.
    """
    return any(abs((on - previous).days) < suppression_days for previous in previous_notices)


@dataclass(frozen=True)
class AutoRule:
    """An auto communication type as the generator describes it, with its published template."""

    communication_type_id: UUID
    name: str
    offset_days: int
    suppression_days: int
    template_id: UUID | None
    template_version: int | None
    template_name: str = ""

    @property
    def runnable(self) -> bool:
        return self.template_id is not None and self.template_version is not None


@dataclass
class GenerationJob:
    """An auto run or a one-time communication on its way through the generator."""

    id: UUID
    org_id: UUID
    kind: JobKind
    run_key: str
    template_id: UUID
    template_version: int
    template_name: str
    state: JobState
    created_at: datetime
    updated_at: datetime
    communication_type_id: UUID | None = None
    communication_type_name: str = ""
    run_on: date | None = None
    due_on: date | None = None
    offset_days: int | None = None
    suppression_days: int | None = None
    chunks_total: int = 0
    chunks_done: int = 0
    member_count: int = 0
    suppressed_count: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    created_by: UUID | None = None
    finished_at: datetime | None = None

    def start(self, chunks_total: int, now: datetime) -> None:
        """Expect ``chunks_total`` chunk results; a job with nothing to generate is done at once."""
        self.chunks_total = chunks_total
        self.chunks_done = 0
        self.state = JobState.GENERATING
        self.updated_at = now
        if chunks_total == 0:
            self.state = JobState.GENERATED
            self.finished_at = now

    def account_chunk(self, now: datetime) -> bool:
        """One more chunk is accounted for; True when that finished the job."""
        if self.state is JobState.GENERATED:
            return False
        self.chunks_done += 1
        self.updated_at = now
        if self.chunks_done >= self.chunks_total:
            self.state = JobState.GENERATED
            self.finished_at = now
            return True
        return False
