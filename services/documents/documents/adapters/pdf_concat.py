"""Concatenate PDFs into one, streaming: memory stays bounded whatever the number of inputs.

Each input is parsed on its own (pypdf), its pages and the objects they reference are
renumbered and written out at once; only the byte offset of every written object and
the reference of every page are kept until the end, where the page tree, the catalog,
the cross-reference table and the trailer are written. Content streams are copied as
they are (no decompression). Small identical objects shared by the inputs (the font
dictionaries of letters, for instance) are written once.

Two readers: a fast one for simple PDFs like the letters reportlab writes (a classic
cross-reference table, direct stream lengths, no strings outside the document
information), which copies object bytes and renumbers their references; and pypdf for
anything else.
"""

from __future__ import annotations

import io
import re
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


_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF_SUBSECTION = re.compile(rb"(\d+) (\d+)\s*\r?\n")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])\s{1,2}")
_REF = re.compile(rb"(\d+) (\d+) R\b")
_TRAILER_REF = re.compile(rb"/(Root|Info|Encrypt) (\d+) \d+ R")
_OBJ_HEADER = re.compile(rb"(\d+) (\d+) obj\b")
_LENGTH = re.compile(rb"/Length (\d+)(?! \d+ R)")
_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_PAGES = re.compile(rb"/Type\s*/Pages\b")
_OUTLINES = re.compile(rb"/Type\s*/Outlines\b")
_KIDS = re.compile(rb"/Kids\s*\[([^\]]*)\]")
_PARENT = re.compile(rb"/Parent \d+ \d+ R")


class _NotSimple(Exception):
    """The PDF uses features the fast reader does not handle: read it with pypdf."""


def _simple_objects(data: bytes) -> tuple[dict[int, tuple[bytes, bytes]], int, int | None]:
    """Objects as ``{number: (head, stream)}`` (head: the part before ``stream``), the root and info."""
    tail = _STARTXREF.search(data, max(0, len(data) - 64))
    if tail is None:
        raise _NotSimple("no startxref")
    pos = int(tail.group(1))
    if data[pos : pos + 4] != b"xref":
        raise _NotSimple("cross-reference stream")
    pos += 4
    while data[pos : pos + 1] in (b"\r", b"\n", b" "):
        pos += 1
    offsets: dict[int, int] = {}
    while True:
        sub = _XREF_SUBSECTION.match(data, pos)
        if sub is None:
            break
        first, count = int(sub.group(1)), int(sub.group(2))
        pos = sub.end()
        for number in range(first, first + count):
            entry = _XREF_ENTRY.match(data, pos)
            if entry is None:
                raise _NotSimple("bad xref entry")
            pos = entry.end()
            if entry.group(3) == b"n":
                offsets[number] = int(entry.group(1))
    if not data.startswith(b"trailer", pos):
        raise _NotSimple("no trailer")
    trailer = data[pos : tail.start()]
    refs = {m.group(1): int(m.group(2)) for m in _TRAILER_REF.finditer(trailer)}
    if b"Encrypt" in refs or b"/Prev" in trailer or b"Root" not in refs:
        raise _NotSimple("encrypted, updated or rootless")
    objects: dict[int, tuple[bytes, bytes]] = {}
    for number, offset in offsets.items():
        header = _OBJ_HEADER.match(data, offset)
        if header is None or int(header.group(1)) != number:
            raise _NotSimple("xref offset mismatch")
        start = header.end()
        end = data.find(b"endobj", start)
        stream_at = data.find(b"stream", start, end)
        if stream_at < 0:
            objects[number] = (data[start:end].strip(), b"")
            continue
        head = data[start:stream_at].strip()
        length = _LENGTH.search(head)
        if length is None:
            raise _NotSimple("indirect stream length")
        body_start = stream_at + 6
        if data[body_start : body_start + 2] == b"\r\n":
            body_start += 2
        elif data[body_start : body_start + 1] == b"\n":
            body_start += 1
        body = data[body_start : body_start + int(length.group(1))]
        end = data.find(b"endobj", body_start + len(body))
        objects[number] = (head, body)
    return objects, refs[b"Root"], refs.get(b"Info")


def _copy_simple(writer: _Writer, data: bytes, chunks: list[bytes]) -> int:
    objects, root, info = _simple_objects(data)
    skipped = {root} | ({info} if info is not None else set())
    page_order: list[int] = []

    def walk(node: int) -> None:
        head = objects[node][0]
        if _PAGES.search(head):
            skipped.add(node)
            kids = _KIDS.search(head)
            if kids is None:
                raise _NotSimple("pages node without kids")
            for ref in _REF.finditer(kids.group(1)):
                walk(int(ref.group(1)))
        elif _PAGE.search(head):
            page_order.append(node)
        else:
            raise _NotSimple("unexpected node in the page tree")

    pages_ref = re.search(rb"/Pages (\d+) \d+ R", objects[root][0])
    if pages_ref is None:
        raise _NotSimple("catalog without pages")
    walk(int(pages_ref.group(1)))
    for number, (head, _body) in objects.items():
        if number in skipped:
            continue
        if _OUTLINES.search(head):
            skipped.add(number)
        elif b"(" in head or re.search(rb"(?<!<)<(?!<)", head):
            raise _NotSimple("strings outside the document information")
    kept = [n for n in objects if n not in skipped]
    mapping: dict[int, int] = {}
    for number in kept:
        head, body = objects[number]
        if not body and _REF.search(head) is None and len(head) <= _SHARED_MAX_BYTES:
            shared = writer.shared.get(head)
            if shared is None:
                shared = writer.allocate()
                writer.emit_object(chunks, shared, head)
                if len(writer.shared) < _SHARED_LIMIT:
                    writer.shared[head] = shared
            mapping[number] = shared
        else:
            mapping[number] = writer.allocate()
    null_id = 0

    def renumber(match: re.Match[bytes]) -> bytes:
        nonlocal null_id
        target = mapping.get(int(match.group(1)))
        if target is None:  # a reference to a skipped or missing object
            if not null_id:
                null_id = writer.allocate()
                writer.emit_object(chunks, null_id, b"null")
            target = null_id
        return b"%d 0 R" % target

    pages = set(page_order)
    for number in kept:
        head, body = objects[number]
        if number not in pages and not body and writer.shared.get(head) == mapping[number]:
            continue  # a shared object, already written
        if number in pages:
            head = _PARENT.sub(b"/Parent %d 0 R" % _PAGES_ID, head)
        head = _REF.sub(renumber, head)
        if body:
            writer.emit_object(chunks, mapping[number], head + b"\nstream\n" + body + b"\nendstream")
        else:
            writer.emit_object(chunks, mapping[number], head)
    for number in page_order:
        writer.page_ids.append(mapping[number])
    return len(page_order)


def _copy_document(writer: _Writer, data: bytes, chunks: list[bytes], *, fast: bool = True) -> int:
    """Write the pages of one PDF and everything they reference; answer its page count."""
    if fast:
        mark = (len(writer.offsets), writer.position, len(writer.page_ids), len(chunks), len(writer.shared))
        try:
            return _copy_simple(writer, data, chunks)
        except (_NotSimple, KeyError, ValueError):
            # undo what the attempt wrote, then read the document the general way
            del writer.offsets[mark[0] :]
            writer.position = mark[1]
            del writer.page_ids[mark[2] :]
            del chunks[mark[3] :]
            for key in list(writer.shared)[mark[4] :]:
                del writer.shared[key]
    return _copy_with_pypdf(writer, data, chunks)


def _copy_with_pypdf(writer: _Writer, data: bytes, chunks: list[bytes]) -> int:
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
    documents: Iterable[bytes], result: ConcatenationResult | None = None, *, title: str = "", fast: bool = True
) -> Iterator[bytes]:
    """Yield the bytes of one PDF holding every page of ``documents``, in order."""
    result = result if result is not None else ConcatenationResult()
    writer = _Writer()
    chunks: list[bytes] = []
    writer.emit(chunks, _HEADER)
    for data in documents:
        result.pages += _copy_document(writer, data, chunks, fast=fast)
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
