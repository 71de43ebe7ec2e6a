"""Settings of the documents service (environment prefix ``DOCUMENTS_``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from documents.domain.links import LinkKey, LinkKeyring
from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DOCUMENTS_", extra="ignore")

    service_name: str = "documents"
    database_url: str = "sqlite+aiosqlite:///./.data/sqlite/documents.db"
    http_port: int = 8105

    storage_dir: str = "./.data/documents"
    retention_days: int = Field(default=30, ge=1)
    """Files older than this are deleted by the purge; letters render again on demand."""
    purge_interval_seconds: float = Field(default=3600.0, gt=0)

    combined_wait_seconds: float = Field(default=20.0, ge=0)
    """A request for the combined PDF answers after this long even if the build goes on."""
    download_wait_seconds: float = Field(default=25.0, ge=0)
    """A download of a combined PDF still being built waits this long before answering 503."""

    link_keys: dict[str, Any] = {"dev": "dev-documents-link-key-change-me"}
    """JSON: ``{"k2": "secret", "k1": {"secret": "old", "retired_at": "2026-01-01T00:00:00Z"}}``."""
    link_active_key: str = "dev"
    link_retired_grace_hours: float = Field(default=0.0, ge=0)
    """How long a retired key still verifies the links it signed (0: not at all)."""
    link_lifetime_hours: float = Field(default=24.0, gt=0)

    @field_validator("link_keys")
    @classmethod
    def _keys_shape(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key_id, spec in value.items():
            if not isinstance(spec, str | dict) or (isinstance(spec, dict) and "secret" not in spec):
                raise ValueError(f"link key {key_id!r}: a secret string or {{'secret', 'retired_at'}}")
        return value

    def keyring(self) -> LinkKeyring:
        keys = {}
        for key_id, spec in self.link_keys.items():
            if isinstance(spec, str):
                keys[key_id] = LinkKey(key_id, spec.encode())
            else:
                retired = spec.get("retired_at")
                retired_at = datetime.fromisoformat(retired.replace("Z", "+00:00")) if retired else None
                keys[key_id] = LinkKey(key_id, str(spec["secret"]).encode(), retired_at)
        return LinkKeyring(keys, self.link_active_key, timedelta(hours=self.link_retired_grace_hours))

    @property
    def link_lifetime(self) -> timedelta:
        return timedelta(hours=self.link_lifetime_hours)
