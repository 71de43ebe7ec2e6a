"""Downloads: the combined letters PDF, signed links, single letters and documents.

* ``request_combined``: the batch's combined PDF, ordered by postal code, built by
  streaming the letters' files into storage (re-rendering purged letters first), or
  reused when the same set was built and its file is still there; answers a signed link.
* ``request_letter_link``, ``letter_pdf``, ``document_pdf``: one letter, one document.
* ``open_link``: the document behind a signed link.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol
from uuid import UUID

from documents.adapters import repository as repo
from documents.domain.documents import (
    DocumentKind,
    combined_document_id,
    download_filename,
    letter_set_key,
    storage_key,
)
from documents.domain.letter import presort_key
from documents.domain.links import LinkKeyring, SignedLink, expiry_of, sign_link, verify_link
from documents.service_layer.rendering import LetterRendering

log = logging.getLogger(__name__)

READ_CHUNK = 256 * 1024


class DocumentNotFound(Exception):
    """Unknown here, or another organization's (HTTP 404)."""


class LettersNotReady(Exception):
    """Some letters of the request are not rendered yet (HTTP 409)."""


class DocumentGone(Exception):
    """The document's file was removed after the retention period (HTTP 410)."""


class DocumentInPreparation(Exception):
    """A link we signed names a combined PDF not built yet (HTTP 503, retry later)."""


class PageCounter(Protocol):
    pages: int


Concatenator = Callable[..., Iterator[bytes]]
"""``concatenate(documents, counter, title=...)``: the bytes of one PDF of every page, in order."""


@dataclass(frozen=True)
class IssuedLink:
    url: str
    expires_at: datetime
    document_id: UUID
    ready: bool = True
    """False while the combined PDF is still being built: the link works once it is done."""


@dataclass(frozen=True)
class OpenedDocument:
    filename: str
    size_bytes: int
    stream: BinaryIO


class DocumentDownloads(LetterRendering):
    """The download use cases of ``DocumentsService``, which holds the fields declared here;
    purged letters are rendered again through ``LetterRendering``."""

    concatenate: Concatenator
    new_page_counter: Callable[[], PageCounter]
    keyring: LinkKeyring
    link_lifetime: timedelta
    link_prefix: str
    download_wait_seconds: float
    combined_wait_seconds: float
    _builds: dict[UUID, asyncio.Task[None]]

    # --- the combined PDF ----------------------------------------------------------------

    async def request_combined(self, org_id: UUID, batch_id: UUID | None, communication_ids: list[UUID]) -> IssuedLink:
        """A fresh link to the combined PDF of these letters (of the batch, when one is named),
        building it when needed."""
        ids = list(dict.fromkeys(communication_ids))
        async with self.sessions() as session:
            refs = await repo.letters_of_batch(session, org_id, batch_id, ids)
            if batch_id is not None and not refs and not await repo.batch_has_letters(session, org_id, batch_id):
                raise DocumentNotFound(f"batch {batch_id} has no letters in your organization")
        if batch_id is None and not refs:
            raise DocumentNotFound("none of these letters exists in your organization")
        if len(refs) != len(ids):
            found = {r.communication_id for r in refs}
            absent = [str(i) for i in ids if i not in found]
            where = "for this batch (yet, or not letters of it)" if batch_id else "(yet)"
            raise LettersNotReady(
                f"{len(absent)} of the {len(ids)} letters are not rendered {where}: "
                f"{', '.join(absent[:5])}{' ...' if len(absent) > 5 else ''}"
            )
        set_key = letter_set_key(ids)
        doc_id = combined_document_id(org_id, batch_id, set_key)
        async with self.sessions() as session:
            existing = await repo.get_document(session, doc_id)
        reusable = (
            doc_id not in self._builds
            and existing is not None
            and existing.purged_at is None
            and await asyncio.to_thread(self.storage.exists, existing.storage_key)
        )
        if reusable:
            return self._issue_link(doc_id)
        build = self._builds.get(doc_id)
        if build is None:
            build = asyncio.create_task(self._build_combined(org_id, batch_id, set_key, doc_id, refs))
            self._builds[doc_id] = build
            build.add_done_callback(lambda task: self._build_finished(doc_id, task))
        # a large build goes on after the answer: the link works once it is done
        done, _ = await asyncio.wait({build}, timeout=self.combined_wait_seconds)
        if build in done:
            build.result()
            return self._issue_link(doc_id)
        return self._issue_link(doc_id, ready=False)

    def _build_finished(self, doc_id: UUID, task: asyncio.Task[None]) -> None:
        self._builds.pop(doc_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("building combined PDF %s failed", doc_id, exc_info=task.exception())

    async def wait_for_build(self, document_id: UUID, timeout: float) -> bool:
        """Wait for a combined PDF being built by this process; True when there is none (left)."""
        build = self._builds.get(document_id)
        if build is None:
            return True
        done, _ = await asyncio.wait({build}, timeout=timeout)
        return bool(done)

    async def _build_combined(
        self, org_id: UUID, batch_id: UUID | None, set_key: str, doc_id: UUID, refs: list[repo.LetterRef]
    ) -> None:
        rerendered = await self._ensure_letter_files(refs, org_id)
        ordered = sorted(refs, key=lambda r: presort_key(r.postal_code, r.recipient_name, r.communication_id))
        keys = [r.storage_key for r in ordered]
        key = storage_key(DocumentKind.COMBINED, org_id, doc_id)
        counter = self.new_page_counter()
        now = self.clock.now()
        label = f"batch-{str(batch_id)[:8]}" if batch_id else "selection"
        title = f"Letters of batch {batch_id}" if batch_id else "Letters"

        def build() -> int:
            return self.storage.put_stream(key, self.concatenate(self._read_files(keys), counter, title=title))

        started = asyncio.get_running_loop().time()
        size = await asyncio.to_thread(build)
        log.info(
            "combined PDF %s: %s letters, %s pages, %s bytes, %s letters rendered again, %.1fs",
            doc_id,
            len(keys),
            counter.pages,
            size,
            rerendered,
            asyncio.get_running_loop().time() - started,
        )
        async with self.sessions.begin() as session:
            await repo.save_document(
                session,
                {
                    "id": doc_id,
                    "org_id": org_id,
                    "kind": DocumentKind.COMBINED.value,
                    "batch_id": batch_id,
                    "communication_id": None,
                    "set_key": set_key,
                    "letter_count": len(keys),
                    "storage_key": key,
                    "filename": download_filename(DocumentKind.COMBINED, label, now),
                    "pages": counter.pages,
                    "size_bytes": size,
                    "created_at": now,
                    "purged_at": None,
                },
            )

    def _read_files(self, keys: list[str]) -> Iterator[bytes]:
        for key in keys:
            with self.storage.open(key) as f:
                yield f.read()

    # --- links and single documents -------------------------------------------------------

    def _issue_link(self, doc_id: UUID, *, ready: bool = True) -> IssuedLink:
        expires_at = expiry_of(self.clock.now(), self.link_lifetime)
        token = sign_link(doc_id, expires_at, self.keyring)
        return IssuedLink(f"{self.link_prefix}{token}", expires_at, doc_id, ready)

    async def _letter_document(self, org_id: UUID, communication_id: UUID) -> repo.DocumentRecord:
        """The letter's document with its file present, rendering it again when it was purged."""
        async with self.sessions() as session:
            record = await repo.get_letter_document(session, org_id, communication_id)
            if record is None:
                raise DocumentNotFound(f"no letter for communication {communication_id}")
        assert record.communication_id is not None
        ref = repo.LetterRef(
            record.communication_id, record.id, "", "", record.storage_key, record.purged_at is not None
        )
        if await self._ensure_letter_files([ref], org_id):
            async with self.sessions() as session:
                record = await repo.get_letter_document(session, org_id, communication_id)
                assert record is not None
        return record

    async def request_letter_link(self, org_id: UUID, communication_id: UUID) -> IssuedLink:
        """A fresh link to one letter."""
        record = await self._letter_document(org_id, communication_id)
        return self._issue_link(record.id)

    async def letter_pdf(self, org_id: UUID, communication_id: UUID) -> OpenedDocument:
        record = await self._letter_document(org_id, communication_id)
        return self._open(record)

    async def document_pdf(self, org_id: UUID, document_id: UUID) -> OpenedDocument:
        async with self.sessions() as session:
            record = await repo.get_document(session, document_id)
        if record is None or record.org_id != org_id:
            raise DocumentNotFound(f"no document {document_id}")
        if record.kind == DocumentKind.LETTER.value and record.communication_id is not None:
            record = await self._letter_document(org_id, record.communication_id)
        return self._open(record)

    def verify(self, token: str) -> SignedLink:
        """The link's grant, or ``LinkRefused`` / ``LinkExpired``."""
        return verify_link(token, self.keyring, self.clock.now())

    async def open_link(self, token: str) -> OpenedDocument:
        """The document a signed link grants (the signature is the permission)."""
        grant = self.verify(token)
        finished = await self.wait_for_build(grant.document_id, self.download_wait_seconds)
        async with self.sessions() as session:
            record = await repo.get_document(session, grant.document_id)
        if not finished or record is None:
            # we signed this id, so its build was started (here or in another copy of the service)
            raise DocumentInPreparation("the letters are still being prepared")
        return self._open(record)

    def _open(self, record: repo.DocumentRecord) -> OpenedDocument:
        if record.purged_at is not None:
            raise DocumentGone("the file was removed after the retention period")
        try:
            stream = self.storage.open(record.storage_key)
        except FileNotFoundError as exc:
            raise DocumentGone("the file is no longer stored") from exc
        # the size of what was opened (a rebuild may have replaced the file since the record was read)
        size = stream.seek(0, io.SEEK_END)
        stream.seek(0)
        return OpenedDocument(record.filename, size, stream)
