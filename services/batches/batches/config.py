"""Settings of the batches service (environment prefix ``BATCHES_``)."""

from datetime import time

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BATCHES_", extra="ignore")

    service_name: str = "batches"
    database_url: str = "sqlite+aiosqlite:///./.data/sqlite/batches.db"
    http_port: int = 8102
    assemblies_url: str = "http://127.0.0.1:8101"
    generator_url: str = "http://127.0.0.1:8103"
    documents_url: str = "http://127.0.0.1:8105"
    chunk_size: int = Field(default=1000, ge=1)
    """Most members per generation request; fewer when the template's ``members_per_chunk`` (what
    its results' size allows) is lower. A location's members always stay in one chunk."""
    snapshot_page_size: int = Field(default=1000, ge=1, le=1000)
    """Assembly ids per snapshot call to the assemblies service (it accepts at most 1000)."""
    snapshot_concurrency: int = Field(default=5, ge=1, le=16)
    """Snapshot calls in flight at once while starting a generation."""
    results_consumers: int = Field(default=3, ge=1, le=16)
    """Consumers of generation results in this process, each owning some of the topic's partitions:
    chunks on different partitions are recorded at the same time, each partition in order."""
    auto_run_enabled: bool = True
    """Run the daily auto-generation in this process (copies agree through a database lock)."""
    auto_run_interval_seconds: float = Field(default=600, gt=0)
    """How often the daily run checks for organizations whose run of today is due."""
    auto_run_at: time = time(6, 0)
    """Local time of day (each organization's timezone) from which its run of the day is made."""
