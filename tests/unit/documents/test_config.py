import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from pydantic import ValidationError

from documents.config import Settings
from documents.domain.links import LinkRefused, sign_link, verify_link


def test_link_keys_rotation_is_configured_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    retired_at = datetime(2026, 1, 5, tzinfo=UTC)
    old = Settings(link_keys={"k1": "old-secret-0123456789"}, link_active_key="k1").keyring()
    token = sign_link(uuid4(), retired_at + timedelta(days=1), old)

    monkeypatch.setenv(
        "DOCUMENTS_LINK_KEYS",
        json.dumps(
            {
                "k2": "new-secret-0123456789",
                "k1": {"secret": "old-secret-0123456789", "retired_at": "2026-01-05T00:00:00Z"},
            }
        ),
    )
    monkeypatch.setenv("DOCUMENTS_LINK_ACTIVE_KEY", "k2")
    monkeypatch.setenv("DOCUMENTS_LINK_RETIRED_GRACE_HOURS", "6")
    monkeypatch.setenv("DOCUMENTS_LINK_LIFETIME_HOURS", "48")
    settings = Settings()
    ring = settings.keyring()
    assert settings.link_lifetime == timedelta(hours=48)
    assert ring.active_key_id == "k2"
    assert verify_link(token, ring, retired_at + timedelta(hours=6) - timedelta(seconds=1)).key_id == "k1"
    with pytest.raises(LinkRefused):
        verify_link(token, ring, retired_at + timedelta(hours=6, seconds=1))


def test_defaults_are_a_24_hour_link_and_30_days_of_retention():
    settings = Settings()
    assert settings.link_lifetime == timedelta(hours=24)
    assert settings.retention_days == 30


def test_a_key_without_secret_is_rejected():
    with pytest.raises(ValidationError):
        Settings(link_keys={"k1": {"retired_at": "2026-01-01T00:00:00Z"}})
