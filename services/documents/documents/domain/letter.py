"""A letter as documents lays it out: letterhead, date, address block, body, signature.

Pure data and rules; the PDF adapter draws it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from documents.domain.markup import Block


@dataclass(frozen=True)
class Address:
    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""


@dataclass(frozen=True)
class AssemblyRow:
    """One line of the assemblies table."""

    serial_number: str
    assembly_type: str
    size: str
    location: str
    next_test_due: str


@dataclass(frozen=True)
class Letter:
    """Everything printed on one recipient's letter."""

    communication_id: UUID
    organization_name: str
    letterhead_lines: tuple[str, ...]
    organization_contact_lines: tuple[str, ...]
    letter_date: date
    recipient_name: str
    recipient_address: Address
    body: tuple[Block, ...]
    assemblies: tuple[AssemblyRow, ...] = ()
    signature_lines: tuple[str, ...] = ()

    @property
    def address_block(self) -> tuple[str, ...]:
        """The lines that must show through the envelope window."""
        return address_block(self.recipient_name, self.recipient_address)


def city_line(address: Address) -> str:
    """``City, ST 12345`` with whatever parts are present."""
    state_zip = " ".join(p for p in (address.state.strip(), address.postal_code.strip()) if p)
    city = address.city.strip()
    if city and state_zip:
        return f"{city}, {state_zip}"
    return city or state_zip


def address_block(name: str, address: Address) -> tuple[str, ...]:
    """The recipient's mailing block: name, street lines, city line; empty lines dropped."""
    lines = (name.strip(), address.line1.strip(), address.line2.strip(), city_line(address))
    return tuple(line for line in lines if line)


def format_letter_date(day: date) -> str:
    """The date as printed on a letter: ``January 5, 2026``."""
    return f"{day:%B} {day.day}, {day.year}"


def presort_key(postal_code: str, recipient_name: str, communication_id: UUID) -> tuple[int, str, str, str]:
    """Bulk-mail presort: by postal code, then recipient name; letters without a code go last."""
    code = postal_code.strip().upper()
    return (0 if code else 1, code, recipient_name.strip().casefold(), str(communication_id))


def signature_block(organization_name: str, phone: str) -> tuple[str, ...]:
    """The closing printed under every letter."""
    lines = ["Sincerely,", "", "Cross-Connection Control Program", organization_name.strip()]
    if phone.strip():
        lines.append(phone.strip())
    return tuple(line for i, line in enumerate(lines) if line or i == 1)
