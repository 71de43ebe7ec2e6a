"""Settings of the assemblies service (environment prefix ``ASSEMBLIES_``)."""

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ASSEMBLIES_", extra="ignore")

    service_name: str = "assemblies"
    database_url: str = "sqlite+aiosqlite:///./.data/sqlite/assemblies.db"
    http_port: int = 8101
