"""Slowing down password guessing."""

from datetime import UTC, datetime, timedelta

from gateway.domain.login_throttle import LoginAttempts, ThrottlePolicy

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_first_failures_are_free_then_delays_double_up_to_the_maximum():
    policy = ThrottlePolicy(free_attempts=3, base_delay_seconds=1, max_delay_seconds=60)
    assert [policy.delay_after(n) for n in range(1, 12)] == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert policy.delay_after(10_000) == 60


def test_a_locked_record_says_how_long_to_wait():
    policy = ThrottlePolicy(free_attempts=0, base_delay_seconds=5)
    attempts = LoginAttempts().after_failure(NOW, policy)
    assert attempts.failures == 1
    assert attempts.retry_after(NOW) == 5
    assert attempts.retry_after(NOW + timedelta(seconds=2)) == 3
    assert attempts.retry_after(NOW + timedelta(seconds=5)) == 0


def test_free_failures_do_not_lock():
    policy = ThrottlePolicy(free_attempts=3)
    attempts = LoginAttempts()
    for _ in range(3):
        attempts = attempts.after_failure(NOW, policy)
    assert attempts.retry_after(NOW) == 0
    assert attempts.after_failure(NOW, policy).retry_after(NOW) == 1
