"""Settings of the generator service (environment prefix ``GENERATOR_``)."""

import os
import socket

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GENERATOR_", extra="ignore")

    service_name: str = "generator"
    database_url: str = "sqlite+aiosqlite:///./.data/sqlite/generator.db"
    http_port: int = 8103
    assemblies_url: str = "http://127.0.0.1:8101"
    """Base URL of the assemblies service (member snapshots for previews)."""
    instance_name: str = f"{socket.gethostname()}-{os.getpid()}"
    """Names this process in its logs, so one can tell which copy rendered which chunk."""
    compiled_templates_cache: int = 256
