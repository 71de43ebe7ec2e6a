"""Settings of the documents service (environment prefix ``DOCUMENTS_``)."""

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DOCUMENTS_", extra="ignore")

    service_name: str = "documents"
    database_url: str = "sqlite+aiosqlite:///./.data/sqlite/documents.db"
    http_port: int = 8105
