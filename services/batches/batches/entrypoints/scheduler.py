"""The daily auto run: every few minutes, each organization whose local time has passed the run hour
gets today's run (a run already made creates nothing, so passes after the first are cheap).

Only one copy of the service works a pass at a time: a PostgreSQL session advisory lock
(``pg_try_advisory_lock``) taken for the pass; a copy that does not get it skips the pass.
On SQLite (one process) an asyncio lock does the same.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import time
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from batches.service_layer import queue
from batches.service_layer.handlers import Dependencies
from servicekit.identity import Identity, issue_identity_token

log = logging.getLogger(__name__)

LOCK_KEY = 7261151
"""The advisory lock of the daily auto run (beside servicekit's migration lock 7261150)."""

SCHEDULER_ORG = UUID(int=0)
"""The organization named in the token that lists organizations (the call crosses them)."""


class AutoScheduler:
    def __init__(
        self, deps: Dependencies, engine: AsyncEngine, secret: str, *, interval_seconds: float, run_at: time
    ) -> None:
        self.deps = deps
        self.engine = engine
        self.secret = secret
        self.interval_seconds = interval_seconds
        self.run_at = run_at
        self._local_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.passes = 0

    def _identity(self, org_id: UUID) -> Identity:
        token = issue_identity_token(self.secret, org_id=org_id, role="service", ttl_seconds=300)
        return Identity(org_id=org_id, role="service", token=token)

    async def run_once(self) -> dict[str, Any]:
        """One pass over every organization; answers what it did, or that another copy holds the lock."""
        if self._local_lock.locked():
            return {"skipped": "a pass is running in this copy"}
        async with self._local_lock:
            if self.engine.dialect.name != "postgresql":
                return await self._pass()
            # a session-level lock lives on one connection: hold that connection for the pass
            async with self.engine.connect() as conn:
                got = await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})
                await conn.commit()
                if not got:
                    return {"skipped": "another copy is running the daily auto run"}
                try:
                    return await self._pass()
                finally:
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                    await conn.commit()

    async def _pass(self) -> dict[str, Any]:
        self.passes += 1
        now = self.deps.clock.now()
        organizations = await self.deps.assemblies.organizations(self._identity(SCHEDULER_ORG))
        done: dict[str, Any] = {}
        for org in organizations:
            try:
                zone = ZoneInfo(org.timezone or "UTC")
            except (ZoneInfoNotFoundError, ValueError):
                zone = ZoneInfo("UTC")
            local = now.astimezone(zone)
            if local.time() < self.run_at:
                continue  # today's run waits for the run hour; yesterday's was made yesterday
            try:
                done[str(org.id)] = await queue.run_auto(self.deps, self._identity(org.id), on=local.date())
            except Exception as exc:  # one organization's trouble must not stop the others
                log.exception("daily auto run failed for organization %s", org.id)
                done[str(org.id)] = {"error": f"{type(exc).__name__}: {exc}"}
        return {"organizations": done}

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # the loop must survive a neighbour or database hiccup
                log.exception("daily auto run pass failed; next pass in %.0fs", self.interval_seconds)
            await asyncio.sleep(self.interval_seconds)

    async def start(self, _runtime: object = None) -> None:
        self._task = asyncio.create_task(self._loop(), name="daily-auto-run")

    async def stop(self, _runtime: object = None) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None
