"""Settings of the generator service (environment prefix ``GENERATOR_``)."""

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GENERATOR_", extra="ignore")

    service_name: str = "generator"
    database_url: str = "sqlite+aiosqlite:///./.data/sqlite/generator.db"
    http_port: int = 8103
