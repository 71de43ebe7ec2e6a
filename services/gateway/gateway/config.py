"""Settings of the gateway (environment prefix ``GATEWAY_``)."""

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    database_url: str = "sqlite+aiosqlite:///./.data/sqlite/gateway.db"
    http_port: int = 8000

    # where the services listen (the gateway strips /api and forwards)
    assemblies_url: str = "http://127.0.0.1:8101"
    batches_url: str = "http://127.0.0.1:8102"
    generator_url: str = "http://127.0.0.1:8103"
    documents_url: str = "http://127.0.0.1:8105"
    upstream_connect_timeout_seconds: float = 5.0
    upstream_read_timeout_seconds: float = 120.0
    identity_ttl_seconds: int = 60

    # sessions
    session_ttl_hours: float = 12.0
    cookie_secure: bool = False
    """Set true behind HTTPS so the browser sends the session cookie only over TLS."""
    cookie_samesite: str = "lax"

    # brute-force protection of the login, per email and client address
    trusted_proxies: list[str] = []
    """Reverse proxies or load balancers in front of the gateway (IP addresses or networks, as
    JSON: ``GATEWAY_TRUSTED_PROXIES='["10.0.0.0/8"]'``). From them, the client address is taken
    from ``X-Forwarded-For``; empty means every request's peer address is the client's."""
    login_free_attempts: int = 3
    """Failed attempts allowed before the delays start."""
    login_base_delay_seconds: float = 1.0
    login_max_delay_seconds: float = 900.0
