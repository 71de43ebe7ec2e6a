"""From the generator's communication (contracts) to the domain's ``Letter``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contracts.events import GeneratedCommunication
from contracts.snapshots import OrganizationSnapshot, PostalAddress
from documents.domain.letter import Address, AssemblyRow, Letter, city_line, signature_block
from documents.domain.markup import parse_letter_body


def needs_pdf(communication: GeneratedCommunication) -> bool:
    """Letters, and emails that carry their letter as an attachment, once rendered without gaps."""
    if communication.status != "generated":
        return False
    return communication.method == "letter" or communication.include_pdf_in_email


def letter_date_for(organization: OrganizationSnapshot, generated_at: datetime) -> date:
    """The date printed on the letter: the generation day in the organization's time zone."""
    try:
        zone = ZoneInfo(organization.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return generated_at.astimezone(zone).date()


def _address(a: PostalAddress) -> Address:
    return Address(a.line1, a.line2, a.city, a.state, a.postal_code)


def build_letter(
    communication: GeneratedCommunication, organization: OrganizationSnapshot, letter_date: date
) -> Letter:
    location = ""
    if communication.location is not None:
        loc = communication.location.address
        location = ", ".join(p for p in (loc.line1, loc.line2) if p)
    rows = tuple(
        AssemblyRow(
            serial_number=a.serial_number,
            assembly_type=a.assembly_type,
            size=a.size,
            location=", ".join(p for p in (location, a.placement) if p),
            next_test_due=a.next_test_due.isoformat() if a.next_test_due else "",
        )
        for a in communication.assemblies
    )
    org_address = organization.mailing_address
    street = ", ".join(p for p in (org_address.line1, org_address.line2, city_line(_address(org_address))) if p)
    contact = tuple(
        line
        for line in (street, f"Phone {organization.phone}" if organization.phone else "", organization.reply_to)
        if line
    )
    return Letter(
        communication_id=communication.communication_id,
        organization_name=organization.name,
        letterhead_lines=tuple(line.strip() for line in organization.letterhead.splitlines() if line.strip()),
        organization_contact_lines=contact,
        letter_date=letter_date,
        recipient_name=communication.recipient.name,
        recipient_address=_address(communication.recipient.address),
        body=parse_letter_body(communication.letter_body),
        assemblies=rows,
        signature_lines=signature_block(organization.name, organization.phone),
    )


def letter_content(communication: GeneratedCommunication, organization: OrganizationSnapshot) -> dict[str, Any]:
    """What is stored to render the same letter again after its file was purged."""
    return {
        "communication": communication.model_dump(mode="json"),
        "organization": organization.model_dump(mode="json"),
    }


def letter_from_content(content: dict[str, Any], letter_date: date) -> Letter:
    return build_letter(
        GeneratedCommunication.model_validate(content["communication"]),
        OrganizationSnapshot.model_validate(content["organization"]),
        letter_date,
    )
