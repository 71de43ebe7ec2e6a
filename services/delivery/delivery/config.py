"""Settings of the delivery service (environment prefix ``DELIVERY_``)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DELIVERY_", extra="ignore")

    service_name: str = "delivery"
    database_url: str = "sqlite+aiosqlite:///./.data/sqlite/delivery.db"
    http_port: int = 8104

    # the SMTP server: the mail catcher in development, a real relay in production
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_pool_size: int = Field(default=4, ge=1, le=100)
    """Connections kept open and reused; also how many emails are sent at once."""
    smtp_starttls: bool = False
    smtp_use_tls: bool = False
    """Implicit TLS from the first byte (port 465 style); STARTTLS is ``smtp_starttls``."""
    smtp_validate_certs: bool = True
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    smtp_local_hostname: str | None = None

    documents_url: str = "http://127.0.0.1:8105"

    retry_max_attempts: int = Field(default=8, ge=1)
    retry_base_seconds: float = Field(default=5.0, gt=0)
    retry_max_seconds: float = Field(default=600.0, gt=0)
    retry_poll_seconds: float = Field(default=0.5, gt=0)
    retry_batch_size: int = Field(default=200, ge=1)
    stale_sending_seconds: float = Field(default=300.0, gt=0)
    """An entry ``sending`` this long belongs to a process that died: the retry loop takes it."""
    circuit_seconds: float = Field(default=2.0, ge=0)
    """After the server does not answer at all, other emails fail fast (and retry later) for this long."""

    consumer_batch_size: int = Field(default=500, ge=1)
    """Delivery requests polled and sent together before their offsets are committed."""
    consumer_batch_timeout_ms: int = Field(default=50, ge=1)
    begin_chunk_size: int = Field(default=50, ge=1)
    """A polled batch is marked ``sending`` in chunks: the first this big, each next one twice the last..."""
    max_begin_chunk_size: int = Field(default=400, ge=1)
    """... up to this size."""
    report_directly: bool = True
    """Publish the reports of requests that came from Kafka straight after their outcome is
    committed (acknowledged before the offsets are committed) instead of through the outbox.
    Reports of the retry schedule always go through the outbox; with ``report_sending`` on,
    every report does (so ``sent`` never overtakes ``sending``)."""
    report_sending: bool = False
    """Also publish a ``sending`` report before each attempt. ``sent`` and ``failed`` are always
    published; ``sending`` is always recorded in the ledger. Off by default: it doubles the
    events per email and the batches service already shows the email as queued."""
