"""Concatenate PDFs into one, streaming: memory stays bounded whatever the number of inputs.

Each input is parsed on its own (pypdf), its pages and the objects they reference are
renumbered and written out at once; only the byte offset of every written object and
the reference of every page are kept until the end, where the page tree, the catalog,
the cross-reference table and the trailer are written. Content streams are copied as
they are (no decompression). Small identical objects shared by the inputs (the font
dictionaries of letters, for instance) are written once.
"""

from __future__ import annotations

import io
from array import array
from collections.abc import Iterable, Iterator

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
)

_HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
_CATALOG_ID = 1
_PAGES_ID = 2
_INFO_ID = 3
_FIRST_FREE_ID = 4
_SHARED_LIMIT = 4096
_SHARED_MAX_BYTES = 512
_SKIPPED_PAGE_KEYS = {"/Parent", "/Annots", "/B", "/StructParents"}


def _pdf_string(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1", "replace") + b")"


class ConcatenationResult:
    """Filled while the output streams: pages written so far."""

    def __init__(self) -> None:
        self.pages = 0
        self.documents = 0
        self.bytes_written = 0


class _Writer:
    def __init__(self) -> None:
        self.offsets = array("Q", [0] * _FIRST_FREE_ID)
        self.position = 0
        self.page_ids = array("Q")
        self.shared: dict[bytes, int] = {}

    def allocate(self) -> int:
        self.offsets.append(0)
        return len(self.offsets) - 1

    def emit(self, chunks: list[bytes], data: bytes) -> None:
        chunks.append(data)
        self.position += len(data)

    def emit_object(self, chunks: list[bytes], object_id: int, body: bytes) -> None:
        self.offsets[object_id] = self.position
        self.emit(chunks, b"%d 0 obj\n" % object_id + body + b"\nendobj\n")


def _serialize(obj: PdfObject) -> bytes:
    buf = io.BytesIO()
    obj.write_to_stream(buf)
    return buf.getvalue()


def _copy_document(writer: _Writer, data: bytes, chunks: list[bytes]) -> int:
    """Write the pages of one PDF and everything they reference; answer its page count."""
    reader = PdfReader(io.BytesIO(data), strict=False)
    mapping: dict[int, int] = {}
    pending: list[tuple[int, PdfObject]] = []

    def remap(obj: PdfObject) -> PdfObject:
        if isinstance(obj, IndirectObject):
            new_id = mapping.get(obj.idnum)
            if new_id is None:
                target = obj.get_object()
                new_id = _share_or_allocate(target)
                mapping[obj.idnum] = new_id
            return IndirectObject(new_id, 0, None)  # type: ignore[arg-type]
        if isinstance(obj, DictionaryObject):  # includes streams
            for key in list(obj.keys()):
                obj[NameObject(key)] = remap(dict.__getitem__(obj, key))
            return obj
        if isinstance(obj, ArrayObject):
            for i in range(len(obj)):
                obj[i] = remap(list.__getitem__(obj, i))
            return obj
        return obj

    def _share_or_allocate(target: PdfObject | None) -> int:
        if target is None:
            return _null_id()
        if not isinstance(target, StreamObject) and not _has_reference(target):
            body = _serialize(target)
            if len(body) <= _SHARED_MAX_BYTES:
                shared = writer.shared.get(body)
                if shared is not None:
                    return shared
                new_id = writer.allocate()
                if len(writer.shared) < _SHARED_LIMIT:
                    writer.shared[body] = new_id
                writer.emit_object(chunks, new_id, body)
                return new_id
        new_id = writer.allocate()
        pending.append((new_id, target))
        return new_id

    def _null_id() -> int:
        new_id = writer.allocate()
        writer.emit_object(chunks, new_id, b"null")
        return new_id

    pages = 0
    for page in reader.pages:
        page_id = writer.allocate()
        page_dict = DictionaryObject()
        for key in list(page.keys()):
            if key not in _SKIPPED_PAGE_KEYS:
                # the raw value: an indirect reference stays one (``page[key]`` would resolve it)
                page_dict[NameObject(key)] = dict.__getitem__(page, key)
        page_dict = remap(page_dict)  # type: ignore[assignment]
        page_dict[NameObject("/Parent")] = IndirectObject(_PAGES_ID, 0, None)  # type: ignore[arg-type]
        writer.emit_object(chunks, page_id, _serialize(page_dict))
        writer.page_ids.append(page_id)
        while pending:
            object_id, target = pending.pop()
            writer.emit_object(chunks, object_id, _serialize(remap(target)))
        pages += 1
    return pages


def _has_reference(obj: PdfObject) -> bool:
    if isinstance(obj, IndirectObject):
        return True
    if isinstance(obj, DictionaryObject):
        return any(_has_reference(v) for v in obj.values())
    if isinstance(obj, ArrayObject):
        return any(_has_reference(v) for v in obj)
    return False


def concatenate(
    documents: Iterable[bytes], result: ConcatenationResult | None = None, *, title: str = ""
) -> Iterator[bytes]:
    """Yield the bytes of one PDF holding every page of ``documents``, in order."""
    result = result if result is not None else ConcatenationResult()
    writer = _Writer()
    chunks: list[bytes] = []
    writer.emit(chunks, _HEADER)
    for data in documents:
        result.pages += _copy_document(writer, data, chunks)
        result.documents += 1
        yield b"".join(chunks)
        chunks.clear()
    if not writer.page_ids:
        raise ValueError("no page to write: a PDF needs at least one")
    # the page tree: a flat /Kids array is enough for readers; written in pieces
    writer.offsets[_PAGES_ID] = writer.position
    writer.emit(chunks, b"%d 0 obj\n<< /Type /Pages /Count %d /Kids [" % (_PAGES_ID, len(writer.page_ids)))
    for start in range(0, len(writer.page_ids), 1000):
        part = b" ".join(b"%d 0 R" % pid for pid in writer.page_ids[start : start + 1000])
        writer.emit(chunks, part + b" ")
        yield b"".join(chunks)
        chunks.clear()
    writer.emit(chunks, b"] >>\nendobj\n")
    writer.emit_object(chunks, _CATALOG_ID, b"<< /Type /Catalog /Pages %d 0 R >>" % _PAGES_ID)
    info = b"<< /Producer (documents service)"
    if title:
        info += b" /Title " + _pdf_string(title)
    writer.emit_object(chunks, _INFO_ID, info + b" >>")
    xref_at = writer.position
    size = len(writer.offsets)
    writer.emit(chunks, b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for start in range(1, size, 2000):
        writer.emit(chunks, b"".join(b"%010d 00000 n \n" % off for off in writer.offsets[start : start + 2000]))
        yield b"".join(chunks)
        chunks.clear()
    writer.emit(
        chunks,
        b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (size, _CATALOG_ID, _INFO_ID, xref_at),
    )
    result.bytes_written = writer.position
    yield b"".join(chunks)
