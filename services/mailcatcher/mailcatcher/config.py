"""Settings of the mail catcher (environment prefix ``MAILCATCHER_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAILCATCHER_", extra="ignore")

    host: str = "127.0.0.1"
    smtp_port: int = 2525
    http_port: int = 8025
    store_dir: Path | None = None
    """When set, every message is also written there (raw ``.eml`` + envelope ``.json``)
    and the messages already there are loaded at start, so a restarted catcher keeps them."""
    reject_pattern: str = "bounce"
    """Recipients whose address matches this regular expression (case-insensitive) are
    refused with ``550 5.1.1 mailbox unavailable``. Empty: accept everyone."""
    tempfail_next: int = 0
    """Answer ``451`` to the DATA of the next N messages."""
    delay_ms: int = 0
    """Wait this long before accepting each message's DATA (to slow a test down)."""
    auth_username: str = ""
    auth_password: str = ""
    """When both are set, the server requires AUTH (PLAIN/LOGIN, allowed without TLS)."""
    log_level: str = "WARNING"
