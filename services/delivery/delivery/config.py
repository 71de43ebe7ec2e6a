"""Settings of the delivery service (environment prefix ``DELIVERY_``)."""

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DELIVERY_", extra="ignore")

    service_name: str = "delivery"
    database_url: str = "sqlite+aiosqlite:///./.data/sqlite/delivery.db"
    http_port: int = 8104
