"""A page of member snapshots written as JSON by PostgreSQL itself.

A batch asks for its members' snapshots a thousand at a time. Reading the rows into Python,
building dicts and encoding them again was most of that request's time; on PostgreSQL one
statement reads each asked-for assembly with its location, zone name and every contact there
and writes the member's JSON, in the order asked. The keys, values and contact order are
those of ``service_layer.snapshots`` (the path SQLite keeps); a test compares the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from assemblies.domain.compliance import status_rule

_MEMBERS = text(
    """
WITH wanted AS (
    SELECT a.*, w.position
    FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS w(id, position)
    JOIN assemblies a ON a.id = w.id AND a.org_id = :org_id
), contacts_at AS (  -- every contact of the page's locations, one JSON array per location
    SELECT c.location_id, json_agg(json_build_object(
            'id', c.id, 'location_id', c.location_id, 'contact_type', c.contact_type,
            'name', c.name, 'first_name', c.first_name, 'email', c.email,
            'mailing_address', CASE
                WHEN c.mailing_line1 <> '' OR c.mailing_line2 <> '' OR c.mailing_city <> ''
                     OR c.mailing_state <> '' OR c.mailing_postal_code <> ''
                THEN json_build_object(
                    'line1', c.mailing_line1, 'line2', c.mailing_line2, 'city', c.mailing_city,
                    'state', c.mailing_state, 'postal_code', c.mailing_postal_code)
                END,
            'is_primary', c.is_primary, 'do_not_contact', c.do_not_contact,
            'email_bounced', c.email_bounced_at IS NOT NULL)
            ORDER BY c.is_primary DESC, c.contact_type, c.name, c.id) AS contacts
    FROM contacts c
    WHERE c.org_id = :org_id AND c.location_id IN (SELECT location_id FROM wanted)
    GROUP BY c.location_id
)
SELECT a.id, a.location_id, json_build_object(
    'assembly', json_build_object(
        'id', a.id, 'location_id', a.location_id, 'serial_number', a.serial_number,
        'assembly_type', a.assembly_type, 'make', a.make, 'model', a.model, 'size', a.size,
        'hazard', a.hazard, 'service_type', a.service_type, 'placement', a.placement,
        'installed_on', a.installed_on, 'last_tested_on', a.last_tested_on,
        'last_test_result', a.last_test_result, 'next_test_due', a.next_test_due,
        'compliance_status', CASE
            WHEN a.last_test_result = 'fail' THEN 'non_compliant'
            WHEN a.next_test_due IS NULL THEN 'unknown'
            WHEN a.next_test_due <= :overdue_until THEN 'overdue'
            WHEN a.next_test_due <= :due_until THEN 'due'
            ELSE 'compliant' END,
        'active', a.active),
    'location', json_build_object(
        'id', l.id, 'account_number', l.account_number, 'name', l.name,
        'address', json_build_object(
            'line1', l.address_line1, 'line2', l.address_line2, 'city', l.city,
            'state', l.state, 'postal_code', l.postal_code),
        'service_area_id', l.service_area_id, 'service_area_name', COALESCE(s.name, ''),
        'facility_type', l.facility_type, 'active', l.active),
    'contacts', COALESCE(contacts_at.contacts, '[]'::json)
)::text
FROM wanted a
JOIN locations l ON l.id = a.location_id AND l.org_id = :org_id
LEFT JOIN service_areas s ON s.id = l.service_area_id AND s.org_id = l.org_id
LEFT JOIN contacts_at ON contacts_at.location_id = l.id
ORDER BY a.position
"""
)


async def member_snapshots_json(
    session: AsyncSession, org_id: UUID, assembly_ids: Sequence[UUID], today: date
) -> list[tuple[UUID, UUID, str]]:
    """``(assembly id, location id, member snapshot JSON)`` of the organization's assemblies among
    ``assembly_ids``, in the order asked; ids of other organizations or of nothing are left out."""
    rows = await session.execute(
        _MEMBERS,
        {
            "ids": [str(i) for i in assembly_ids],
            "org_id": org_id,
            "overdue_until": status_rule("overdue", today).due_max,
            "due_until": status_rule("due", today).due_max,
        },
    )
    return [(row[0], row[1], row[2]) for row in rows]
