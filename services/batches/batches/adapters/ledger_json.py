"""A chunk's communications into the ledger straight from the result message's JSON (PostgreSQL).

A generated chunk is a few hundred communications of about forty columns. Decoding them into
Python objects and encoding them again for the database is most of the batches service's work
during a large generation. On PostgreSQL the message bytes go to the server as they came:
one statement parses them once (``jsonb``), picks every column out of each communication and
inserts the communications and their assembly links, skipping rows already stored, in the
caller's transaction. The columns are the same as ``BatchRepository.add_communications``
writes from decoded communications (the path SQLite keeps); a test checks both give the same rows.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from batches.domain.communication import message_id_domain

_EMPTY_ADDRESS = '{"line1": "", "line2": "", "city": "", "state": "", "postal_code": ""}'

_INSERT = text(
    f"""
WITH c AS (
    SELECT x FROM jsonb_array_elements(CAST(:payload AS jsonb) -> 'communications') AS x
), stored AS (
    INSERT INTO communications (
        id, org_id, batch_id, chunk_index, location_id, contact_id, assembly_ids, method, status,
        recipient_name, recipient_email, recipient_address, postal_code, account_number, location_name,
        serial_numbers, subject, body_text, body_html, cc, bcc, include_pdf_in_email, missing_fields, error,
        permanent_failure, attempts, request_seq, message_id, document_id, sent_at, mailed_on,
        created_at, updated_at, communication_type_id
    )
    SELECT
        (x->>'communication_id')::uuid, :org_id, :batch_id, :chunk_index,
        (x->>'location_id')::uuid, (x->>'contact_id')::uuid,
        COALESCE(x->'assembly_ids', '[]'::jsonb)::json,
        x->>'method',
        COALESCE(x->>'status', 'generated'),
        COALESCE(x->'recipient'->>'name', ''),
        COALESCE(x->'recipient'->>'email', ''),
        COALESCE(x->'recipient'->'address', '{_EMPTY_ADDRESS}'::jsonb)::json,
        COALESCE(x->'recipient'->'address'->>'postal_code', ''),
        COALESCE(x->'location'->>'account_number', ''),
        COALESCE(x->'location'->>'name', ''),
        COALESCE(
            (SELECT json_agg(a->>'serial_number' ORDER BY n)
             FROM jsonb_array_elements(x->'assemblies') WITH ORDINALITY AS s(a, n)),
            '[]'::json
        ),
        COALESCE(x->>'subject', ''),
        COALESCE(x->>'body_text', ''),
        COALESCE(x->>'body_html', ''),
        COALESCE(x->'cc', '[]'::jsonb)::json,
        COALESCE(x->'bcc', '[]'::jsonb)::json,
        COALESCE((x->>'include_pdf_in_email')::boolean, false),
        COALESCE(x->'missing_fields', '[]'::jsonb)::json,
        COALESCE(
            'missing merge data: '
            || (SELECT string_agg(m, ', ' ORDER BY n)
                FROM jsonb_array_elements_text(x->'missing_fields') WITH ORDINALITY AS f(m, n)),
            ''
        ),
        false, 0, 0,
        CASE WHEN x->>'method' = 'email'
             THEN '<' || (x->>'communication_id')::uuid::text || '@' || :message_domain || '>'
             ELSE '' END,
        NULL, NULL, NULL,
        :at, :at,
        (x->>'communication_type_id')::uuid
    FROM c
    ON CONFLICT (id) DO NOTHING
    RETURNING 1
)
INSERT INTO communication_assemblies (communication_id, assembly_id, org_id, location_id)
SELECT (x->>'communication_id')::uuid, a::uuid, :org_id, (x->>'location_id')::uuid
FROM c CROSS JOIN LATERAL jsonb_array_elements_text(x->'assembly_ids') AS a
ON CONFLICT (communication_id, assembly_id) DO NOTHING
"""
)


async def add_communications_json(
    session: AsyncSession,
    *,
    org_id: UUID,
    batch_id: UUID,
    chunk_index: int,
    payload: bytes,
    at: datetime,
    from_email: str,
) -> None:
    """Insert the ``communications`` of a ``CommunicationsGenerated`` message (its JSON bytes) once."""
    await session.execute(
        _INSERT,
        {
            "payload": payload.decode(),
            "org_id": org_id,
            "batch_id": batch_id,
            "chunk_index": chunk_index,
            "message_domain": message_id_domain(from_email),
            "at": at,
        },
    )
