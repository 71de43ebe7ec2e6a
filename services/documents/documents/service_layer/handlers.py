"""The documents service: its dependencies and settings, with its use cases.

* letters as they are generated, and purged letters rendered again: ``rendering.LetterRendering``;
* the combined PDF, links, single letters and documents: ``downloads.DocumentDownloads``;
* ``purge_expired`` (here): delete the files past the retention period.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from documents.adapters import repository as repo
from documents.adapters.storage import DocumentStorage
from documents.domain.documents import purge_cutoff
from documents.domain.links import LinkKeyring
from documents.service_layer.downloads import Concatenator, DocumentDownloads, PageCounter
from documents.service_layer.rendering import Renderer
from servicekit.clock import Clock
from servicekit.messaging_tables import MessagingTables

log = logging.getLogger(__name__)

PURGE_CHUNK = 500


@dataclass
class DocumentsService(DocumentDownloads):
    sessions: async_sessionmaker[AsyncSession]
    tables: MessagingTables
    storage: DocumentStorage
    render: Renderer
    concatenate: Concatenator
    new_page_counter: Callable[[], PageCounter]
    keyring: LinkKeyring
    clock: Clock
    link_lifetime: timedelta = timedelta(hours=24)
    retention_days: int = 30
    link_prefix: str = "/api/documents/"
    combined_wait_seconds: float = 20.0
    """How long a request for the combined PDF waits for its build before answering anyway."""
    download_wait_seconds: float = 25.0
    """How long a download waits for a combined PDF still being built here."""
    _builds: dict[UUID, asyncio.Task[None]] = field(default_factory=dict)

    # --- retention -------------------------------------------------------------------------

    async def purge_expired(self) -> int:
        """Delete the files older than the retention period and mark them purged; answer how many."""
        cutoff = purge_cutoff(self.clock.now(), self.retention_days)
        total = 0
        while True:
            async with self.sessions() as session:
                old = await repo.documents_created_before(session, cutoff, PURGE_CHUNK)
            if not old:
                return total
            for record in old:
                await asyncio.to_thread(self.storage.delete, record.storage_key)
            async with self.sessions.begin() as session:
                await repo.mark_purged(session, [r.id for r in old], self.clock.now())
            total += len(old)
            log.info("purged %s documents older than %s", len(old), cutoff.isoformat())
