"""Settings of the assemblies service (environment prefix ``ASSEMBLIES_``)."""

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ASSEMBLIES_", extra="ignore")

    service_name: str = "assemblies"
    database_url: str = "sqlite+aiosqlite:///./.data/sqlite/assemblies.db"
    http_port: int = 8101
    import_max_bytes: int = 64 * 1024 * 1024
    """Largest CSV file ``POST /assemblies/import`` accepts (100,000 rows of the documented format are ~26 MB)."""
    snapshot_max_ids: int = 1000
    """Most assembly ids one ``POST /internal/members/snapshots`` call may ask for."""
