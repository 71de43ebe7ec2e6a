"""Settings every service has; each service subclasses with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Base settings. A service declares ``model_config = SettingsConfigDict(env_prefix="BATCHES_")``.

    Values shared by the whole system (Kafka, the identity secret) are read from the
    service's prefix first (``BATCHES_KAFKA_BOOTSTRAP_SERVERS``).
    """

    model_config = SettingsConfigDict(env_prefix="SERVICE_", extra="ignore")

    service_name: str = "service"
    database_url: str = "sqlite+aiosqlite:///./.data/service.db"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_topic_partitions: int = 6
    kafka_compression: Literal["none", "gzip", "snappy", "lz4", "zstd"] = "zstd"
    """How producers compress record batches. A batch's chunks are megabytes of JSON (12.6 MB of
    requests and 26 MB of results for 10,000 assemblies); zstd makes them about a fifth, which
    costs the producer no more than sending them whole and saves the consumers and the broker
    most of their work."""
    identity_secret: str = Field(default="dev-identity-secret-change-me-0123456789", min_length=32)
    identity_issuer: str = "gateway"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True
    run_migrations: bool = True
    outbox_poll_seconds: float = 0.2
    kafka_startup_timeout_seconds: float = 60.0
    """How long a starting service waits for the broker before giving up."""
    consumer_max_attempts: int = 5
    """Attempts of a failing message before it goes to the dead-letter topic."""
    gc_young_threshold: int = Field(default=50_000, ge=0)
    """Allocations between two collections of the garbage collector's youngest generation once
    the service has started (Python's default is 700); 0 keeps Python's settings, and no freeze."""
