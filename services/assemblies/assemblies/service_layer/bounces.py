"""Bounced emails: a permanent delivery failure marks the contact so later batches skip it."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from assemblies.adapters import repository as repo
from contracts.events import DeliveryReported

log = logging.getLogger(__name__)


async def handle_delivery_reported(session: AsyncSession, event: DeliveryReported) -> bool:
    """Mark the contact's email bounced when delivery reports a permanent failure.

    Answers whether a contact was marked (or already was). Other reports change nothing.
    """
    if event.status != "failed" or not event.permanent:
        return False
    found = await repo.mark_email_bounced(session, event.org_id, event.contact_id, event.reported_at)
    if not found:
        log.warning("bounce reported for unknown contact %s of org %s", event.contact_id, event.org_id)
    return found
