"""The DeliveryRequested of one queued email, whatever its source (batch, auto, one-time)."""

from __future__ import annotations

from typing import Any

from contracts.events import DeliveryRequested


def delivery_request(row: Any, organization: dict[str, Any], correlation: str) -> DeliveryRequested:
    """The delivery request of one queued email (``row`` has repository.DELIVERY_COLUMNS)."""
    attach = bool(row.include_pdf_in_email)
    is_batch = row.source == "batch"
    return DeliveryRequested(
        org_id=row.org_id,
        correlation_id=correlation,
        communication_id=row.id,
        batch_id=row.batch_id if is_batch else None,
        source=row.source,
        contact_id=row.contact_id,
        to_email=row.recipient_email,
        to_name=row.recipient_name,
        cc=list(row.cc or []),
        bcc=list(row.bcc or []),
        from_email=organization.get("from_email", ""),
        from_name=organization.get("name", ""),
        reply_to=organization.get("reply_to", ""),
        subject=row.subject,
        body_text=row.body_text,
        body_html=row.body_html,
        message_id=row.message_id,
        attachment_document_id=row.document_id if attach else None,
        attachment_filename="letter.pdf" if attach else "",
        request_seq=row.request_seq,
    )
