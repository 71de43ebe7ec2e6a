"""CSV import: validate each row, import the good ones, report the bad ones by line.

The whole file is one transaction: either every good row is stored or (on a wrong header,
bad encoding, oversized file or a crash) nothing is. Records are upserted by their natural
keys (account number; account number + serial number), so importing the same file again
changes nothing and reports every row as unchanged.

Valid rows are staged in temporary tables while the file is read, then merged in a few
set-based statements (``adapters.import_staging``): no round trip per row or per chunk.
"""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from assemblies.adapters import import_staging as staging
from assemblies.adapters import repository as repo
from assemblies.domain.csv_format import FileConsistency, HeaderError, ImportRow, RowError, check_header, parse_row
from assemblies.domain.records import Assembly, Contact, Location, ServiceArea
from assemblies.service_layer.errors import InvalidInput

CHUNK_ROWS = 10_000
MAX_ERRORS_LISTED = 1000


@dataclass
class ImportReport:
    """What an import did: assemblies imported (new), updated, unchanged, and each bad row."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)
    error_count: int = 0

    def reject(self, line: int, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_LISTED:
            self.errors.append({"line": line, "reason": reason})

    def as_dict(self) -> dict[str, object]:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "error_count": self.error_count,
        }


def decode(data: bytes, max_bytes: int) -> str:
    """The file's text (UTF-8, with or without a byte-order mark); 422 when too large or not UTF-8."""
    if len(data) > max_bytes:
        raise InvalidInput("file", f"is larger than the {max_bytes} bytes an import accepts")
    if not data.strip():
        raise InvalidInput("file", "is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput("file", f"is not UTF-8 text (bad byte on line {line}); save it as CSV UTF-8") from exc


class _Staging:
    """Collects valid rows and hands them to the staging tables a chunk at a time."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.zones: dict[UUID, ServiceArea] = {}
        self.locations: dict[UUID, Location] = {}
        self.contacts: dict[UUID, Contact] = {}
        self.assemblies: list[tuple[Assembly, UUID | None, UUID | None]] = []
        self.seen_contacts: set[UUID] = set()
        self.file_locations: dict[UUID, tuple[Location, list[Contact]]] = {}

    def add(self, row: ImportRow) -> None:
        # FileConsistency has checked that a repeated location or contact equals its first row
        if row.service_area is not None:
            self.zones.setdefault(row.service_area.id, row.service_area)
        at = self.file_locations.get(row.location.id)
        if at is None:
            at = self.file_locations[row.location.id] = (row.location, [])
            self.locations[row.location.id] = row.location
        for contact in row.contacts:
            if contact.id not in self.seen_contacts:
                self.seen_contacts.add(contact.id)
                self.contacts[contact.id] = contact
                at[1].append(contact)
        ids = [c.id for c in row.contacts] + [None, None]
        self.assemblies.append((row.assembly, ids[0], ids[1]))

    async def flush(self) -> None:
        await staging.stage(self.session, list(self.locations.values()), list(self.contacts.values()), self.assemblies)
        self.locations, self.contacts, self.assemblies = {}, {}, []


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    # parsing allocates millions of small acyclic objects (reference counting frees them); the
    # cyclic collector would walk the whole growing heap again and again, a third of the time
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def import_csv(session: AsyncSession, org_id: UUID, data: bytes, max_bytes: int) -> ImportReport:
    """Import one CSV file (docs/csv-import.md) into the organization, inside the caller's transaction."""
    with _without_cyclic_gc():
        return await _import(session, org_id, data, max_bytes)


async def _import(session: AsyncSession, org_id: UUID, data: bytes, max_bytes: int) -> ImportReport:
    text = decode(data, max_bytes)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
        names = check_header(header)
    except HeaderError as exc:
        raise InvalidInput("file", f"wrong header: {exc}") from exc
    except csv.Error as exc:
        raise InvalidInput("file", f"the header line is not valid CSV: {exc}") from exc

    report = ImportReport()
    consistency = FileConsistency()
    await staging.create(session)
    pending = _Staging(session)
    line = reader.line_num
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InvalidInput("file", f"line {reader.line_num}: not valid CSV ({exc})") from exc
        line, start_line = reader.line_num, line + 1
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(names):
            report.reject(start_line, f"has {len(values)} columns, the header has {len(names)}")
            continue
        try:
            row = parse_row(org_id, start_line, dict(zip(names, values, strict=True)))
            consistency.check(row)
        except RowError as exc:
            report.reject(start_line, str(exc))
            continue
        pending.add(row)
        if len(pending.assemblies) >= CHUNK_ROWS:
            await pending.flush()
    await pending.flush()
    await repo.save_service_areas(session, pending.zones.values())
    counts = await staging.merge(session, org_id, pending.file_locations)
    await staging.drop(session)
    report.imported, report.updated, report.unchanged = counts.imported, counts.updated, counts.unchanged
    return report
