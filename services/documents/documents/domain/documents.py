"""Documents: the stored PDFs (one per letter, one per requested combined set) and their lifetime."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid5

_NAMESPACE = UUID("6f0d5a7e-2f4b-4d53-9a55-3c1e0d0c0d06")


class DocumentKind(StrEnum):
    LETTER = "letter"
    COMBINED = "combined"


def letter_document_id(communication_id: UUID) -> UUID:
    """The one document of a letter communication: the same id however often it is rendered."""
    return uuid5(_NAMESPACE, f"letter:{communication_id}")


def letter_set_key(communication_ids: Iterable[UUID]) -> str:
    """A digest of a set of communications, independent of their order and repetitions."""
    digest = hashlib.sha256()
    for cid in sorted({str(c) for c in communication_ids}):
        digest.update(cid.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def combined_document_id(org_id: UUID, batch_id: UUID | None, set_key: str) -> UUID:
    """The combined PDF of one set of letters (of a batch, or any): re-requesting the same set reuses it."""
    return uuid5(_NAMESPACE, f"combined:{org_id}:{batch_id or 'any'}:{set_key}")


def storage_key(kind: DocumentKind, org_id: UUID, document_id: UUID) -> str:
    """Where a document's file lives in storage."""
    return f"{org_id}/{kind.value}/{document_id}.pdf"


def purge_cutoff(now: datetime, retention_days: int) -> datetime:
    """Files created before this instant are past the retention period."""
    return now - timedelta(days=retention_days)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def download_filename(kind: DocumentKind, label: str, day: datetime) -> str:
    """A safe attachment filename, e.g. ``letters-Spring-notices-2026-01-05.pdf``."""
    stem = _UNSAFE.sub("-", label).strip("-.")[:80] or "document"
    prefix = "letters" if kind is DocumentKind.COMBINED else "letter"
    return f"{prefix}-{stem}-{day:%Y-%m-%d}.pdf"
