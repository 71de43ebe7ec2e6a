"""The batch and its state machine (DOMAIN.md, "Batch states").

open → generating → generated → partially_sent → complete;
open, generated, partially_sent, complete → archived. Anything else is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


class BatchState(StrEnum):
    OPEN = "open"
    GENERATING = "generating"
    GENERATED = "generated"
    PARTIALLY_SENT = "partially_sent"
    COMPLETE = "complete"
    ARCHIVED = "archived"


TRANSITIONS: dict[BatchState, frozenset[BatchState]] = {
    BatchState.OPEN: frozenset({BatchState.GENERATING, BatchState.ARCHIVED}),
    BatchState.GENERATING: frozenset({BatchState.GENERATED}),
    BatchState.GENERATED: frozenset({BatchState.PARTIALLY_SENT, BatchState.ARCHIVED}),
    BatchState.PARTIALLY_SENT: frozenset({BatchState.COMPLETE, BatchState.ARCHIVED}),
    BatchState.COMPLETE: frozenset({BatchState.ARCHIVED}),
    BatchState.ARCHIVED: frozenset(),
}

SENDABLE_STATES = frozenset({BatchState.GENERATED, BatchState.PARTIALLY_SENT})
"""States in which emails may be sent, failed ones retried and letters marked mailed."""

CLOSED_STATES = frozenset({BatchState.COMPLETE, BatchState.ARCHIVED})


class DomainError(Exception):
    """A rule of the domain refused the request."""


class ForbiddenTransition(DomainError):
    """The batch's state does not allow the requested change (HTTP 409)."""

    def __init__(self, batch_state: BatchState, action: str, allowed: list[str]) -> None:
        self.batch_state = batch_state
        self.action = action
        self.allowed = allowed
        allowed_text = ", ".join(allowed) if allowed else "none"
        super().__init__(
            f"cannot {action.replace('_', ' ')} a batch that is {batch_state.value}; "
            f"allowed actions in this state: {allowed_text}"
        )


def can_transition(current: BatchState, target: BatchState) -> bool:
    """True when DOMAIN.md allows moving a batch from ``current`` to ``target``."""
    return target in TRANSITIONS[current]


def allowed_actions(state: BatchState) -> list[str]:
    """What the admin may do on a batch in ``state``, so the UI shows only those buttons."""
    actions: list[str] = []
    if state is BatchState.OPEN:
        actions += ["edit", "generate"]
    if state in SENDABLE_STATES:
        actions += ["send", "retry_failed", "letters", "mark_mailed"]
    if state in CLOSED_STATES:
        actions += ["letters"]
    if can_transition(state, BatchState.COMPLETE):
        actions.append("complete")
    if can_transition(state, BatchState.ARCHIVED):
        actions.append("archive")
    actions += ["export", "clone"]
    return actions


def clone_name(name: str) -> str:
    """The name of a clone says it is a copy."""
    return name if name.startswith("Copy of ") else f"Copy of {name}"


@dataclass
class Batch:
    """A one-time notice to many assemblies: its frozen members and where it is in its life."""

    id: UUID
    org_id: UUID
    name: str
    template_id: UUID
    template_version: int
    template_name: str
    due_date: date | None
    filter: dict[str, Any]
    member_count: int
    state: BatchState
    created_at: datetime
    updated_at: datetime
    created_by: UUID | None = None
    cloned_from: UUID | None = None
    chunks_total: int = 0
    chunks_done: int = 0
    generation_started_at: datetime | None = None
    generated_at: datetime | None = None
    closed_at: datetime | None = None
    changes: list[str] = field(default_factory=list, repr=False)

    def _move(self, target: BatchState, action: str, now: datetime) -> None:
        if not can_transition(self.state, target):
            raise ForbiddenTransition(self.state, action, allowed_actions(self.state))
        self.state = target
        self.updated_at = now

    def require(self, action: str, states: frozenset[BatchState] | set[BatchState]) -> None:
        """Refuse ``action`` unless the batch is in one of ``states``."""
        if self.state not in states:
            raise ForbiddenTransition(self.state, action, allowed_actions(self.state))

    def edit(
        self,
        now: datetime,
        *,
        name: str | None = None,
        template: tuple[UUID, int, str] | None = None,
        due_date: date | None = None,
    ) -> list[str]:
        """Change name, template or due date; only while open. Answers the fields changed."""
        self.require("edit", {BatchState.OPEN})
        changed: list[str] = []
        if name is not None and name != self.name:
            self.name = name
            changed.append("name")
        if template is not None and (template[0], template[1]) != (self.template_id, self.template_version):
            self.template_id, self.template_version, self.template_name = template
            changed.append("template_id")
        if due_date is not None and due_date != self.due_date:
            self.due_date = due_date
            changed.append("due_date")
        if changed:
            self.updated_at = now
        return changed

    def start_generation(self, now: datetime, chunks_total: int) -> None:
        """open → generating, expecting ``chunks_total`` chunk results."""
        self._move(BatchState.GENERATING, "generate", now)
        self.chunks_total = chunks_total
        self.chunks_done = 0
        self.generation_started_at = now
        if chunks_total == 0:
            self.finish_generation(now)

    def account_chunk(self, now: datetime) -> bool:
        """One more chunk is accounted for; answers True when that completed the generation."""
        self.require("record generation results for", {BatchState.GENERATING})
        self.chunks_done += 1
        self.updated_at = now
        if self.chunks_done >= self.chunks_total:
            self.finish_generation(now)
            return True
        return False

    def finish_generation(self, now: datetime) -> None:
        self._move(BatchState.GENERATED, "finish generating", now)
        self.generated_at = now

    def record_first_sent(self, now: datetime) -> bool:
        """A communication was sent: generated → partially_sent. Answers True if the state changed."""
        if self.state is BatchState.GENERATED:
            self._move(BatchState.PARTIALLY_SENT, "record a sent communication for", now)
            return True
        return False

    def complete(self, now: datetime) -> None:
        """partially_sent → complete; the caller removes every unsent communication."""
        self._move(BatchState.COMPLETE, "complete", now)
        self.closed_at = now

    def archive(self, now: datetime) -> None:
        """open, generated, partially_sent or complete → archived; unsent communications are removed."""
        self._move(BatchState.ARCHIVED, "archive", now)
        self.closed_at = self.closed_at or now

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_STATES
