"""Records as the read-only snapshots of ``contracts.snapshots`` that other services receive."""

from __future__ import annotations

from datetime import date

from assemblies.domain.compliance import compliance_status
from assemblies.domain.records import Assembly, Contact, Location, Organization
from contracts.snapshots import (
    AssemblySnapshot,
    ContactSnapshot,
    LocationSnapshot,
    OrganizationSnapshot,
    PostalAddress,
)


def organization_snapshot(org: Organization) -> OrganizationSnapshot:
    return OrganizationSnapshot(
        id=org.id,
        name=org.name,
        mailing_address=PostalAddress(
            line1=org.address_line1,
            line2=org.address_line2,
            city=org.city,
            state=org.state,
            postal_code=org.postal_code,
        ),
        from_email=org.from_email,
        reply_to=org.reply_to,
        phone=org.phone,
        timezone=org.timezone,
        letterhead=org.letterhead,
    )


def location_snapshot(location: Location, service_area_name: str) -> LocationSnapshot:
    return LocationSnapshot(
        id=location.id,
        account_number=location.account_number,
        name=location.name,
        address=PostalAddress(
            line1=location.address_line1,
            line2=location.address_line2,
            city=location.city,
            state=location.state,
            postal_code=location.postal_code,
        ),
        service_area_id=location.service_area_id,
        service_area_name=service_area_name,
        facility_type=location.facility_type,
        active=location.active,
    )


def contact_snapshot(contact: Contact) -> ContactSnapshot:
    has_mailing = any(
        (
            contact.mailing_line1,
            contact.mailing_line2,
            contact.mailing_city,
            contact.mailing_state,
            contact.mailing_postal_code,
        )
    )
    return ContactSnapshot(
        id=contact.id,
        location_id=contact.location_id,
        contact_type=contact.contact_type,  # type: ignore[arg-type]
        name=contact.name,
        first_name=contact.first_name,
        email=contact.email,
        mailing_address=PostalAddress(
            line1=contact.mailing_line1,
            line2=contact.mailing_line2,
            city=contact.mailing_city,
            state=contact.mailing_state,
            postal_code=contact.mailing_postal_code,
        )
        if has_mailing
        else None,
        is_primary=contact.is_primary,
        do_not_contact=contact.do_not_contact,
        email_bounced=contact.email_bounced_at is not None,
    )


def assembly_snapshot(assembly: Assembly, today: date) -> AssemblySnapshot:
    return AssemblySnapshot(
        id=assembly.id,
        location_id=assembly.location_id,
        serial_number=assembly.serial_number,
        assembly_type=assembly.assembly_type,
        make=assembly.make,
        model=assembly.model,
        size=assembly.size,
        hazard=assembly.hazard,
        service_type=assembly.service_type,
        placement=assembly.placement,
        installed_on=assembly.installed_on,
        last_tested_on=assembly.last_tested_on,
        last_test_result=assembly.last_test_result,
        next_test_due=assembly.next_test_due,
        compliance_status=compliance_status(assembly.last_test_result, assembly.next_test_due, today),
        active=assembly.active,
    )
