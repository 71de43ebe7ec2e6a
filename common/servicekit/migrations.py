"""Alembic per service: run ``upgrade head`` from code, and the shared ``env.py`` body.

A service's ``migrations/env.py`` is two lines::

    from servicekit.migrations import run_env
    from batches.adapters.orm import metadata
    run_env(metadata)
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from servicekit.db import create_engine
from servicekit.messaging_tables import add_messaging_tables


def alembic_config(database_url: str, migrations_dir: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, migrations_dir: Path, revision: str = "head") -> None:
    """Bring the database to ``revision``. Blocking: call it from a thread in async code."""
    command.upgrade(alembic_config(database_url, migrations_dir), revision)


def _do_run(connection: Connection, metadata: MetaData) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # several copies of a service may start at once: one migrates, the others wait
            connection.execute(text("SELECT pg_advisory_xact_lock(7261150)"))
        context.run_migrations()


async def _run_async(url: str, metadata: MetaData) -> None:
    engine = create_engine(url)
    async with engine.connect() as conn:
        await conn.run_sync(_do_run, metadata)
        await conn.commit()
    await engine.dispose()


def run_env(metadata: MetaData) -> None:
    """Body of every service's Alembic ``env.py`` (online mode, async engines)."""
    add_messaging_tables(metadata)
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url not set"
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_async(url, metadata))


def create_messaging_tables() -> None:
    """Create the outbox and inbox tables: call from a service's first revision."""
    from alembic import op

    tables = add_messaging_tables(MetaData())
    bind = op.get_bind()
    tables.outbox.create(bind)
    tables.inbox.create(bind)


def drop_messaging_tables() -> None:
    from alembic import op

    op.drop_table("inbox")
    op.drop_table("outbox")
