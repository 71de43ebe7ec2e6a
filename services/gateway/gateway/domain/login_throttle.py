"""Slowing down password guessing: failed attempts per email and client address.

After ``free_attempts`` failures, each further failure locks that email+address pair for
an exponentially growing time (base, 2×base, 4×base, ... up to a maximum). While locked,
attempts are refused without even checking the password. A success clears the record.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    free_attempts: int = 3
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 900.0

    def delay_after(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th consecutive failure (0 while free)."""
        over = failures - self.free_attempts - 1
        if over < 0:
            return 0.0
        # cap the exponent so the arithmetic stays small whatever the count
        return min(self.max_delay_seconds, self.base_delay_seconds * 2 ** min(over, 40))


@dataclass(frozen=True)
class LoginAttempts:
    """Consecutive failed logins for one email from one client address."""

    failures: int = 0
    locked_until: datetime | None = None

    def retry_after(self, now: datetime) -> float:
        """Seconds until another attempt is accepted (0 when it is accepted now)."""
        if self.locked_until is None or now >= self.locked_until:
            return 0.0
        return (self.locked_until - now).total_seconds()

    def after_failure(self, now: datetime, policy: ThrottlePolicy) -> LoginAttempts:
        """The record once one more attempt has failed."""
        failures = self.failures + 1
        delay = policy.delay_after(failures)
        locked_until = now + timedelta(seconds=delay) if delay > 0 else None
        return replace(self, failures=failures, locked_until=locked_until)
