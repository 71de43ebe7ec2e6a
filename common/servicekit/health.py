"""``/healthz`` (the process is alive) and ``/readyz`` (database and Kafka reachable)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

Check = Callable[[], Awaitable[object]]


def health_router(checks: dict[str, Check], timeout: float = 3.0) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", operation_id="healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", operation_id="readyz")
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        ok = True
        for name, check in checks.items():
            try:
                answer = await asyncio.wait_for(check(), timeout=timeout)
                if answer is False:
                    raise RuntimeError("not reachable")
                results[name] = "ok"
            except Exception as exc:  # a readiness probe reports, it does not raise
                ok = False
                results[name] = f"failed: {type(exc).__name__}: {exc}"[:300]
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "checks": results}, status_code=200 if ok else 503
        )

    return router
