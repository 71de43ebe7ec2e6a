"""Fault injection: how the catcher misbehaves on purpose, so tests can watch delivery cope.

- ``reject_pattern``: a recipient whose address matches it (regular expression,
  case-insensitive) is refused at RCPT with ``550 5.1.1 mailbox unavailable``.
- ``tempfail_next``: the DATA of the next N messages is answered
  ``451 4.3.0 temporary failure, try again later`` (the count goes down by one each time).
- ``delay_ms``: each message's DATA is answered after this delay.

Set at start from settings, changed at run time with ``POST /faults``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field


@dataclass
class Faults:
    reject_pattern: str = ""
    tempfail_next: int = 0
    delay_ms: int = 0
    rejected: int = 0
    tempfailed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._compiled = re.compile(self.reject_pattern, re.IGNORECASE) if self.reject_pattern else None

    def update(
        self, *, reject_pattern: str | None = None, tempfail_next: int | None = None, delay_ms: int | None = None
    ) -> None:
        with self._lock:
            if reject_pattern is not None:
                self._compiled = re.compile(reject_pattern, re.IGNORECASE) if reject_pattern else None
                self.reject_pattern = reject_pattern
            if tempfail_next is not None:
                self.tempfail_next = max(0, tempfail_next)
            if delay_ms is not None:
                self.delay_ms = max(0, delay_ms)

    def rejects(self, address: str) -> bool:
        compiled = self._compiled
        if compiled is not None and compiled.search(address):
            with self._lock:
                self.rejected += 1
            return True
        return False

    def take_tempfail(self) -> bool:
        with self._lock:
            if self.tempfail_next > 0:
                self.tempfail_next -= 1
                self.tempfailed += 1
                return True
            return False

    def as_dict(self) -> dict[str, object]:
        return {
            "reject_pattern": self.reject_pattern,
            "tempfail_next": self.tempfail_next,
            "delay_ms": self.delay_ms,
            "rejected": self.rejected,
            "tempfailed": self.tempfailed,
        }
