"""Settings of the batches service (environment prefix ``BATCHES_``)."""

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BATCHES_", extra="ignore")

    service_name: str = "batches"
    database_url: str = "sqlite+aiosqlite:///./.data/sqlite/batches.db"
    http_port: int = 8102
