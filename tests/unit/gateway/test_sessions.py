"""Sessions and the CSRF double-submit check."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from gateway.domain.sessions import Session, hash_secret, needs_csrf_check

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_csrf_header_must_repeat_the_token_exactly():
    session = Session(id=uuid4(), user_id=uuid4(), csrf_token="abc123", expires_at=NOW)
    assert session.csrf_matches("abc123")
    assert not session.csrf_matches("abc124")
    assert not session.csrf_matches("")
    assert not session.csrf_matches(None)


def test_a_session_expires_at_its_time():
    session = Session(id=uuid4(), user_id=uuid4(), csrf_token="x", expires_at=NOW + timedelta(hours=1))
    assert not session.is_expired(NOW)
    assert session.is_expired(NOW + timedelta(hours=1))


def test_only_state_changes_by_cookie_need_the_csrf_header():
    assert needs_csrf_check("POST", authenticated_by_cookie=True)
    assert needs_csrf_check("delete", authenticated_by_cookie=True)
    assert not needs_csrf_check("GET", authenticated_by_cookie=True)
    assert not needs_csrf_check("POST", authenticated_by_cookie=False)


def test_secrets_are_stored_hashed():
    assert hash_secret("s") != "s"
    assert hash_secret("s") == hash_secret("s")
    assert len(hash_secret("s")) == 64
