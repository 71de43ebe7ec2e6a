"""Process supervisor for the whole system."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]

# start order: a service comes after the ones it calls at start-up or seeding
SERVICES = ("assemblies", "generator", "documents", "batches", "delivery", "gateway")
BASE_PORTS = {
    "gateway": 8000,
    "assemblies": 8101,
    "batches": 8102,
    "generator": 8103,
    "delivery": 8104,
    "documents": 8105,
    "mailcatcher": 8025,
    "smtp": 2525,
}
# services that have no Kafka consumers or outbox
NO_KAFKA = ("gateway",)


@dataclass
class StackConfig:
    """Where and how the stack runs. ``port_offset`` lets a test stack run beside `make run`."""

    data_dir: Path = ROOT / ".data" / "run"
    database: str = "sqlite"  # or "postgres"
    pg_url: str = field(
        default_factory=lambda: os.environ.get(
            "TEST_PG_BASE_URL", f"postgresql+asyncpg://postgres@127.0.0.1:{os.environ.get('PGPORT', '5433')}"
        )
    )
    pg_database_prefix: str = ""
    kafka_bootstrap: str = field(default_factory=lambda: os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    kafka_namespace: str = ""
    port_offset: int = 0
    identity_secret: str = "dev-identity-secret-change-me-0123456789"
    link_secret: str = "dev-link-secret-change-me-please"
    seed: bool = True
    demo_assemblies: int = 600
    services: tuple[str, ...] = SERVICES
    mailcatcher: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    python: str = sys.executable
    log_json: bool = False
    drop_topics_on_stop: bool = False

    @classmethod
    def for_tests(cls, data_dir: Path, **overrides: object) -> StackConfig:
        """A stack isolated from `make run`: other ports, its own Kafka namespace and databases."""
        db = os.environ.get("TEST_DB", "postgres")
        config = cls(
            data_dir=data_dir,
            database=db,
            pg_database_prefix="test_",
            kafka_bootstrap=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
            kafka_namespace=f"e2e{uuid.uuid4().hex[:8]}.",
            port_offset=int(os.environ.get("E2E_PORT_OFFSET", "1000")),
            demo_assemblies=120,
            drop_topics_on_stop=True,
        )
        for key, value in overrides.items():
            setattr(config, key, value)
        return config

    def port(self, name: str) -> int:
        return BASE_PORTS[name] + self.port_offset

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port(name)}"

    def database_url(self, service: str) -> str:
        if self.database == "postgres":
            return f"{self.pg_url}/{self.pg_database_prefix}{service}"
        return f"sqlite+aiosqlite:///{self.data_dir / 'sqlite' / service}.db"


class Stack:
    def __init__(self, config: StackConfig | None = None) -> None:
        self.config = config or StackConfig()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.ready_seconds: float | None = None
        """Seconds from start until every service answered /readyz (before seeding)."""
        self.log_dir = self.config.data_dir / "logs"

    # -- environment -------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        c = self.config
        env = dict(os.environ)
        env["KAFKA_NAMESPACE"] = c.kafka_namespace
        env["PYTHONUNBUFFERED"] = "1"
        for svc in (*SERVICES, "mailcatcher"):
            p = svc.upper()
            env[f"{p}_HTTP_HOST"] = "127.0.0.1"
            env[f"{p}_KAFKA_BOOTSTRAP_SERVERS"] = c.kafka_bootstrap
            env[f"{p}_IDENTITY_SECRET"] = c.identity_secret
            env[f"{p}_LOG_JSON"] = "true" if c.log_json else "false"
            if svc in SERVICES:
                env[f"{p}_HTTP_PORT"] = str(c.port(svc))
                env[f"{p}_DATABASE_URL"] = c.database_url(svc)
            for target in SERVICES:
                env[f"{p}_{target.upper()}_URL"] = c.url(target)
            env[f"{p}_MAILCATCHER_URL"] = c.url("mailcatcher")
        env["MAILCATCHER_SMTP_PORT"] = str(c.port("smtp"))
        env["MAILCATCHER_HTTP_PORT"] = str(c.port("mailcatcher"))
        env["MAILCATCHER_STORE_DIR"] = str(c.data_dir / "mail")
        env["DELIVERY_SMTP_HOST"] = "127.0.0.1"
        env["DELIVERY_SMTP_PORT"] = str(c.port("smtp"))
        env["DOCUMENTS_STORAGE_DIR"] = str(c.data_dir / "documents")
        env["DOCUMENTS_LINK_KEYS"] = f'{{"k1": "{c.link_secret}"}}'
        env["DOCUMENTS_LINK_ACTIVE_KEY"] = "k1"
        env["DOCUMENTS_PUBLIC_BASE_URL"] = c.url("gateway")
        env.update(c.extra_env)
        return env

    # -- processes -------------------------------------------------------------------------
    def _spawn(self, name: str, module: str) -> subprocess.Popen[bytes]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")
        proc = subprocess.Popen(
            [self.config.python, "-m", module],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = proc
        return proc

    def start_mailcatcher(self) -> None:
        self._spawn("mailcatcher", "mailcatcher")
        self.wait_http("mailcatcher", "/stats")

    def start_service(self, name: str, timeout: float = 90.0) -> None:
        self._spawn(name, name)
        self.wait_http(name, "/readyz", timeout=timeout)

    def wait_http(self, name: str, path: str, timeout: float = 90.0) -> None:
        url = self.config.url(name) + path
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            proc = self.processes.get(name)
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {proc.returncode}; see {self.log_dir / (name + '.log')}\n{self.tail(name)}"
                )
            try:
                r = httpx.get(url, timeout=2.0)
                if r.status_code == 200:
                    return
                last = f"{r.status_code} {r.text[:200]}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.25)
        raise TimeoutError(f"{name} not ready at {url} after {timeout:.0f}s ({last})\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def seed(self) -> None:
        c = self.config
        env = self.env()
        steps = [
            ("assemblies", ["-m", "assemblies.demo", "--org", "demo", "--assemblies", str(c.demo_assemblies)]),
            ("assemblies", ["-m", "assemblies.demo", "--org", "other", "--assemblies", "40"]),
            ("generator", ["-m", "generator.demo"]),
            ("gateway", ["-m", "gateway.demo"]),
        ]
        for service, args in steps:
            if service not in c.services:
                continue
            done = subprocess.run([c.python, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"seeding with {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> None:
        """Start the mail catcher and every configured service, wait until ready, seed."""
        started = time.monotonic()
        try:
            if self.config.mailcatcher:
                self.start_mailcatcher()
            for name in self.config.services:
                self.start_service(name)
            self.ready_seconds = time.monotonic() - started
            if self.config.seed:
                self.seed()
        except BaseException:
            self.stop()
            raise

    def kill(self, name: str) -> None:
        """SIGKILL one process (fault tests)."""
        proc = self.processes.pop(name)
        proc.kill()
        proc.wait(timeout=10)

    def stop_process(self, name: str, timeout: float = 15.0) -> None:
        proc = self.processes.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def stop(self) -> None:
        """Stop every process this stack started, newest first; a test stack drops its topics."""
        for name in reversed(list(self.processes)):
            self.stop_process(name)
        if self.config.drop_topics_on_stop and self.config.kafka_namespace:
            drop = (
                "import asyncio, sys\n"
                "from servicekit.kafka import delete_namespace_topics\n"
                "asyncio.run(delete_namespace_topics(sys.argv[1], sys.argv[2]))"
            )
            subprocess.run(
                [self.config.python, "-c", drop, self.config.kafka_bootstrap, self.config.kafka_namespace],
                cwd=ROOT,
                capture_output=True,
                check=False,
                timeout=60,
            )

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
