"""The HTTP API: list and read what the catcher received, clear it, set the faults."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from mailcatcher.faults import Faults
from mailcatcher.store import Mailbox


class FaultsUpdate(BaseModel):
    reject_pattern: str | None = None
    tempfail_next: int | None = Field(default=None, ge=0)
    delay_ms: int | None = Field(default=None, ge=0, le=60_000)


router = APIRouter()


def _mailbox(request: Request) -> Mailbox:
    return request.app.state.mailbox


def _faults(request: Request) -> Faults:
    return request.app.state.faults


@router.get("/messages", operation_id="list_messages")
def list_messages(request: Request, to: str = "", message_id: str = "") -> dict[str, Any]:
    """Received messages in arrival order; ``to`` filters on any envelope recipient (To, Cc or Bcc)."""
    items = [m.summary() for m in _mailbox(request).search(to=to, message_id=message_id)]
    return {"items": items, "total": len(items)}


@router.get("/messages/{message_id}", operation_id="get_message")
def get_message(request: Request, message_id: str) -> dict[str, Any]:
    message = _mailbox(request).get(message_id)
    if message is None:
        raise HTTPException(status_code=404, detail="no such message")
    return message.detail()


@router.get("/messages/{message_id}/raw", operation_id="get_message_raw")
def get_message_raw(request: Request, message_id: str) -> Response:
    message = _mailbox(request).get(message_id)
    if message is None:
        raise HTTPException(status_code=404, detail="no such message")
    return Response(message.raw, media_type="message/rfc822")


@router.delete("/messages", operation_id="clear_messages")
def clear_messages(request: Request) -> dict[str, int]:
    return {"removed": _mailbox(request).clear()}


@router.get("/stats", operation_id="stats")
def stats(request: Request) -> dict[str, Any]:
    return {"count": _mailbox(request).count(), "faults": _faults(request).as_dict()}


@router.get("/faults", operation_id="get_faults")
def get_faults(request: Request) -> dict[str, Any]:
    return _faults(request).as_dict()


@router.post("/faults", operation_id="set_faults")
def set_faults(request: Request, update: FaultsUpdate) -> dict[str, Any]:
    """Change the injected faults; fields left out keep their value."""
    faults = _faults(request)
    try:
        faults.update(**update.model_dump(exclude_none=True))
    except Exception as exc:  # a bad regular expression
        raise HTTPException(status_code=422, detail=f"reject_pattern: {exc}") from exc
    return faults.as_dict()


@router.get("/healthz", operation_id="healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def create_http_app(mailbox: Mailbox, faults: Faults, **kwargs: Any) -> FastAPI:
    app = FastAPI(title="mail catcher", **kwargs)
    app.state.mailbox = mailbox
    app.state.faults = faults
    app.include_router(router)
    return app
