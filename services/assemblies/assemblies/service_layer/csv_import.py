"""CSV import: validate each row, import the good ones, report the bad ones by line.

The whole file is one transaction: either every good row is stored or (on a wrong header,
bad encoding, oversized file or a crash) nothing is. Records are upserted by their natural
keys (account number; account number + serial number), so importing the same file again
changes nothing and reports every row as unchanged.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from assemblies.adapters import repository as repo
from assemblies.domain.csv_format import FileConsistency, HeaderError, ImportRow, RowError, check_header, parse_row
from assemblies.domain.records import Contact, summarize_location
from assemblies.service_layer.errors import InvalidInput

CHUNK_ROWS = 5000
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


def _same_contact(stored: Contact, incoming: Contact) -> bool:
    return replace(stored, email_bounced_at=None) == incoming


async def _store_chunk(session: AsyncSession, org_id: UUID, rows: list[ImportRow], report: ImportReport) -> None:
    location_ids = {r.location.id for r in rows}
    stored_locations = await repo.locations_by_ids(session, org_id, location_ids)
    stored_contacts = await repo.contacts_at(session, org_id, location_ids)
    stored_assemblies = await repo.assemblies_by_ids(session, org_id, [r.assembly.id for r in rows])

    await repo.save_service_areas(session, (r.service_area for r in rows if r.service_area))

    locations = {r.location.id: r.location for r in rows}
    changed_locations = {lid for lid, loc in locations.items() if stored_locations.get(lid) != loc}
    await repo.save_locations(session, [locations[lid] for lid in sorted(changed_locations, key=str)])

    merged: dict[UUID, dict[UUID, Contact]] = {
        lid: {c.id: c for c in stored_contacts.get(lid, [])} for lid in location_ids
    }
    contacts_to_save: dict[UUID, Contact] = {}
    changed_contacts: set[UUID] = set()
    for row in rows:
        for contact in row.contacts:
            stored = merged[row.location.id].get(contact.id)
            if stored is not None and _same_contact(stored, contact):
                continue
            if stored is not None and stored.email == contact.email:
                contact = replace(contact, email_bounced_at=stored.email_bounced_at)
            # a changed email may work again: the bounce mark goes with the old address
            merged[row.location.id][contact.id] = contact
            contacts_to_save[contact.id] = contact
            changed_contacts.add(contact.id)
    await repo.save_contacts(session, list(contacts_to_save.values()), keep_bounce=False)

    summaries = {lid: summarize_location(locations[lid], list(merged[lid].values())) for lid in location_ids}
    to_save = []
    for row in rows:
        stored_assembly = stored_assemblies.get(row.assembly.id)
        touched = row.location.id in changed_locations or any(c.id in changed_contacts for c in row.contacts)
        if stored_assembly is None:
            report.imported += 1
        elif stored_assembly != row.assembly or touched:
            report.updated += 1
        else:
            report.unchanged += 1
        if stored_assembly != row.assembly:
            to_save.append((row.assembly, summaries[row.location.id]))
    await repo.save_assemblies(session, to_save)

    # assemblies stored before this chunk whose location or contacts changed carry a stale summary
    affected = {lid for lid in location_ids if lid in stored_locations} & (
        changed_locations | {c.location_id for c in contacts_to_save.values()}
    )
    await repo.refresh_location_summaries(session, org_id, affected)


async def import_csv(session: AsyncSession, org_id: UUID, data: bytes, max_bytes: int) -> ImportReport:
    """Import one CSV file (docs/csv-import.md) into the organization, inside the caller's transaction."""
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
    pending: list[ImportRow] = []
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
        pending.append(row)
        if len(pending) >= CHUNK_ROWS:
            await _store_chunk(session, org_id, pending, report)
            pending = []
    if pending:
        await _store_chunk(session, org_id, pending, report)
    return report
