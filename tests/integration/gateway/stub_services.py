"""Small stand-ins for the services behind the gateway: they echo what reached them.

The proxy is the thing under test here; these stubs answer the way a real service would
(401 without an identity token, JSON errors, large streamed bodies).
"""

from __future__ import annotations

import asyncio
import hashlib

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from servicekit.identity import HEADER, InvalidIdentity, verify_identity_token

MB = 1024 * 1024


def make_stub(name: str, secret: str) -> FastAPI:
    app = FastAPI()
    app.state.calls = []

    def identity_claims(request: Request) -> dict | None:
        token = request.headers.get(HEADER)
        if not token:
            return None
        identity = verify_identity_token(token, secret)
        import jwt

        raw = jwt.decode(token, options={"verify_signature": False})
        return {
            "org_id": str(identity.org_id),
            "user_id": str(identity.user_id),
            "role": identity.role,
            "ttl": raw["exp"] - raw["iat"],
        }

    @app.get("/documents/big-{size_mb}.pdf")
    async def big_document(size_mb: int) -> StreamingResponse:
        app.state.calls.append(("GET", f"/documents/big-{size_mb}.pdf"))

        async def chunks():
            block = bytes(range(256)) * 4096  # 1 MiB
            for _ in range(size_mb):
                yield block

        return StreamingResponse(
            chunks(),
            media_type="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="letters.pdf"'},
        )

    @app.get("/batches/slow-export.csv")
    async def slow_export(request: Request) -> StreamingResponse:
        if identity_claims(request) is None:
            return JSONResponse({"detail": "missing identity token"}, status_code=401)

        async def rows():
            yield b"id,status\n"
            for i in range(5):
                await asyncio.sleep(0.3)
                yield f"{i},sent\n".encode()

        return StreamingResponse(rows(), media_type="text/csv")

    @app.api_route("/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
    async def echo(path: str, request: Request):
        app.state.calls.append((request.method, "/" + path))
        try:
            claims = identity_claims(request)
        except InvalidIdentity:
            return JSONResponse({"detail": "invalid identity token"}, status_code=401)
        if claims is None and not path.startswith("documents/"):
            return JSONResponse({"detail": "missing identity token"}, status_code=401)
        if path.endswith("conflict"):
            return JSONResponse({"detail": "cannot generate a batch in state complete"}, status_code=409)
        if path.endswith("invalid"):
            return JSONResponse(
                {"detail": [{"loc": ["query", "due_from"], "msg": "Input should be a valid date", "type": "date"}]},
                status_code=422,
            )
        if path.endswith("missing"):
            return JSONResponse({"detail": "batch not found"}, status_code=404)
        if path.endswith("created"):
            return JSONResponse({"id": "new"}, status_code=201, headers={"Location": "/batches/new"})
        digest = hashlib.sha256()
        size = 0
        async for chunk in request.stream():
            digest.update(chunk)
            size += len(chunk)
        return {
            "service": name,
            "method": request.method,
            "path": request.scope["raw_path"].decode(),
            "query": request.url.query,
            "identity": claims,
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "body_size": size,
            "body_sha256": digest.hexdigest(),
        }

    return app
