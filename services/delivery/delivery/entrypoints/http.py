"""Internal HTTP routes: what the ledger says about one communication or one batch.

Only services (and org admins) call them; the gateway does not route ``/internal``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request

from delivery.adapters import ledger_repository as ledger
from servicekit.identity import AdminIdentity

router = APIRouter(prefix="/internal", tags=["deliveries"])


@router.get("/deliveries/{communication_id}", operation_id="get_delivery")
async def get_delivery(request: Request, communication_id: UUID, identity: AdminIdentity) -> dict[str, Any]:
    """The ledger entry of one communication: status, attempts, last error, Message-ID."""
    async with request.app.state.runtime.sessions() as session:
        entry = await ledger.get(session, identity.org_id, communication_id)
    if entry is None:
        raise HTTPException(status_code=404, detail="no delivery for this communication")
    return entry


@router.get("/batches/{batch_id}/deliveries", operation_id="count_batch_deliveries")
async def count_batch_deliveries(request: Request, batch_id: UUID, identity: AdminIdentity) -> dict[str, Any]:
    """How many of a batch's emails are in each delivery status."""
    async with request.app.state.runtime.sessions() as session:
        counts = await ledger.counts_by_status(session, identity.org_id, batch_id)
    return {"batch_id": str(batch_id), "counts": counts, "total": sum(counts.values())}
