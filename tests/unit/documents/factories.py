"""Generated communications and organizations as the generator publishes them."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from contracts.events import GeneratedCommunication
from contracts.snapshots import AssemblySnapshot, LocationSnapshot, OrganizationSnapshot, PostalAddress, Recipient

LETTER_BODY = """Dear **{name}**,

Our records show that the backflow assemblies at *{street}* must be tested by **{due}**.
Please have a certified tester send us the results.

[[assemblies_table]]

To stay compliant:
- Hire a *certified* tester
- Send the report to Riverbend Water & keep a copy

Thank you for protecting our drinking water."""


def organization(org_id: UUID | None = None) -> OrganizationSnapshot:
    return OrganizationSnapshot(
        id=org_id or uuid4(),
        name="Riverbend Water Utility",
        mailing_address=PostalAddress(line1="100 River Road", city="Riverbend", state="OR", postal_code="97000"),
        from_email="ccc@riverbend.example",
        phone="(541) 555-0100",
        timezone="America/Los_Angeles",
        letterhead="Cross-Connection Control Program\nProtecting the public water supply",
    )


def communication(
    *,
    name: str = "Jane Smith",
    street: str = "12 Elm Street",
    line2: str = "Suite 4",
    city: str = "Riverbend",
    state: str = "OR",
    postal_code: str = "97001",
    assemblies: int = 2,
    method: str = "letter",
    body: str | None = None,
    due: str = "March 1, 2026",
    status: str = "generated",
    include_pdf_in_email: bool = False,
) -> GeneratedCommunication:
    location_id = uuid4()
    address = PostalAddress(line1=street, line2=line2, city=city, state=state, postal_code=postal_code)
    return GeneratedCommunication(
        communication_id=uuid4(),
        location_id=location_id,
        contact_id=uuid4(),
        assembly_ids=[uuid4() for _ in range(assemblies)],
        method=method,  # type: ignore[arg-type]
        recipient=Recipient(contact_id=uuid4(), name=name, email="jane@example.org", address=address),
        status=status,  # type: ignore[arg-type]
        letter_body=body if body is not None else LETTER_BODY.format(name=name, street=street, due=due),
        include_pdf_in_email=include_pdf_in_email,
        location=LocationSnapshot(id=location_id, account_number="A-100", address=address),
        assemblies=[
            AssemblySnapshot(
                id=uuid4(),
                location_id=location_id,
                serial_number=f"SN-{i:04d}-{postal_code}",
                assembly_type="RP" if i % 2 == 0 else "DC",
                size='3/4"',
                placement="Basement",
                next_test_due=date(2026, 3, 1),
            )
            for i in range(assemblies)
        ],
    )
