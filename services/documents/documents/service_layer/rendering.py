"""Rendering letters: the PDFs of a generated chunk's letters, and purged letters rendered again.

* ``handle_communications_generated``: render the PDF of every letter of a generated chunk,
  store it and announce it (``LetterRendered``), once per communication.
* ``_ensure_letter_files``: render again, from the content stored with each letter, the
  letters whose file was purged (the combined PDF and single letters need their files).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.events import CommunicationsGenerated, LetterRendered
from documents.adapters import repository as repo
from documents.adapters.storage import DocumentStorage
from documents.domain.documents import DocumentKind, download_filename, letter_document_id, storage_key
from documents.domain.letter import Letter
from documents.service_layer.letters import (
    build_letter,
    letter_content,
    letter_date_for,
    letter_from_content,
    needs_pdf,
)
from servicekit import inbox, outbox
from servicekit.clock import Clock
from servicekit.messaging_tables import MessagingTables

log = logging.getLogger(__name__)

CONSUMER = "documents.communications-generated"
RERENDER_CHUNK = 200


class RenderedPdf(Protocol):
    @property
    def pdf(self) -> bytes: ...

    @property
    def pages(self) -> int: ...


Renderer = Callable[[Letter], RenderedPdf]


class LetterRendering:
    """The letter-rendering use cases of ``DocumentsService``, which holds the fields declared here."""

    sessions: async_sessionmaker[AsyncSession]
    tables: MessagingTables
    storage: DocumentStorage
    render: Renderer
    clock: Clock

    # --- letters as they are generated -------------------------------------------------

    async def handle_communications_generated(self, event: CommunicationsGenerated) -> int:
        """Render the chunk's letters; answer how many new letters were stored."""
        wanted = [c for c in event.communications if needs_pdf(c)]
        if wanted:
            async with self.sessions() as session:
                done = await repo.existing_letters(session, [c.communication_id for c in wanted])
            wanted = [c for c in wanted if c.communication_id not in done]
        day = letter_date_for(event.organization, event.occurred_at)
        # files first (same path whatever the attempt), then the records and events in one transaction
        rendered = await asyncio.to_thread(self._render_and_store, [(c, event, day) for c in wanted])
        now = self.clock.now()
        async with self.sessions.begin() as session:
            if not await inbox.first_delivery(session, self.tables, CONSUMER, event.event_id):
                return 0
            inserted = await repo.add_letters(
                session,
                [
                    {
                        "communication_id": comm.communication_id,
                        "org_id": event.org_id,
                        "batch_id": event.batch_id,
                        "document_id": doc_id,
                        "method": comm.method,
                        "recipient_name": comm.recipient.name[:300],
                        "postal_code": comm.recipient.address.postal_code[:20],
                        "letter_date": day,
                        "content": letter_content(comm, event.organization),
                        "created_at": now,
                    }
                    for comm, doc_id, _key, _result, _size in rendered
                ],
            )
            new = [item for item in rendered if item[0].communication_id in inserted]
            await repo.add_documents(
                session,
                [
                    {
                        "id": doc_id,
                        "org_id": event.org_id,
                        "kind": DocumentKind.LETTER.value,
                        "batch_id": event.batch_id,
                        "communication_id": comm.communication_id,
                        "set_key": None,
                        "letter_count": 1,
                        "storage_key": key,
                        "filename": download_filename(DocumentKind.LETTER, comm.recipient.name, now),
                        "pages": result.pages,
                        "size_bytes": size,
                        "created_at": now,
                        "purged_at": None,
                    }
                    for comm, doc_id, key, result, size in new
                ],
            )
            staged = [
                (
                    LetterRendered(
                        org_id=event.org_id,
                        correlation_id=event.correlation_id,
                        communication_id=comm.communication_id,
                        batch_id=event.batch_id,
                        document_id=doc_id,
                        pages=result.pages,
                    ),
                    str(comm.communication_id),
                )
                for comm, doc_id, _key, result, _size in new
            ]
            await outbox.stage(session, self.tables, staged)
        return len(new)

    def _render_and_store(self, items: list[tuple[Any, CommunicationsGenerated, date]]) -> list[tuple]:
        out = []
        for comm, event, day in items:
            doc_id = letter_document_id(comm.communication_id)
            key = storage_key(DocumentKind.LETTER, event.org_id, doc_id)
            try:
                result = self.render(build_letter(comm, event.organization, day))
            except Exception:
                # one letter that cannot be laid out must not hold back (or dead-letter) its chunk
                log.exception("letter of communication %s could not be rendered; skipped", comm.communication_id)
                continue
            size = self.storage.put_stream(key, [result.pdf])
            out.append((comm, doc_id, key, result, size))
        return out

    # --- re-rendering purged letters ---------------------------------------------------

    async def _ensure_letter_files(self, refs: list[repo.LetterRef], org_id: UUID) -> int:
        """Render again the letters whose file is gone; answer how many."""
        missing = await asyncio.to_thread(
            lambda: [r for r in refs if r.purged or not self.storage.exists(r.storage_key)]
        )
        for start in range(0, len(missing), RERENDER_CHUNK):
            part = missing[start : start + RERENDER_CHUNK]
            async with self.sessions() as session:
                contents = await repo.letter_contents(session, [r.communication_id for r in part])
            results = await asyncio.to_thread(self._rerender, part, contents)
            now = self.clock.now()
            async with self.sessions.begin() as session:
                await repo.refresh_documents(
                    session,
                    [
                        {"document_id": ref.document_id, "pages": pages, "size_bytes": size, "created_at": now}
                        for ref, pages, size in results
                    ],
                )
        return len(missing)

    def _rerender(self, refs: list[repo.LetterRef], contents: dict[UUID, dict[str, Any]]) -> list[tuple]:
        out = []
        for ref in refs:
            content = contents[ref.communication_id]
            result = self.render(letter_from_content(content, content["letter_date"]))
            out.append((ref, result.pages, self.storage.put_stream(ref.storage_key, [result.pdf])))
        return out
