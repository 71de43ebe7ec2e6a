"""The organization's display name for ``/api/me``, asked of the assemblies service and cached."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from uuid import UUID

log = logging.getLogger(__name__)

NameLookup = Callable[[UUID, str], Awaitable[str | None]]


class OrganizationNames:
    def __init__(self, lookup: NameLookup, ttl_seconds: float = 300.0) -> None:
        self.lookup = lookup
        self.ttl_seconds = ttl_seconds
        self._cache: dict[UUID, tuple[float, str]] = {}

    async def name_of(self, org_id: UUID, identity_token: str) -> str | None:
        cached = self._cache.get(org_id)
        if cached and time.monotonic() - cached[0] < self.ttl_seconds:
            return cached[1]
        try:
            name = await self.lookup(org_id, identity_token)
        except Exception as exc:  # the name is a nicety: /api/me still answers without it
            log.warning("organization name unavailable: %s", exc)
            return None
        if name:
            self._cache[org_id] = (time.monotonic(), name)
        return name
