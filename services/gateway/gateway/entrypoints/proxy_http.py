"""``/api/...``: route to the service that owns the path, with the caller's identity token."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from gateway.domain.routing import resolve, viewer_may_send
from gateway.entrypoints.deps import GatewayDep, OptionalCaller
from servicekit.identity import issue_identity_token

router = APIRouter(tags=["proxy"])

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@router.api_route("/api/{path:path}", methods=METHODS, include_in_schema=False)
async def proxy(path: str, request: Request, caller: OptionalCaller, gw: GatewayDep) -> Response:
    route = resolve(request.method, "/" + path)
    if route is None:
        raise HTTPException(status_code=404, detail=f"no such API path: /api/{path}")
    # forward the path as the client encoded it; the decision above used the decoded form
    raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
    upstream_path = raw_path.removeprefix("/api") if raw_path.startswith("/api/") else route.path
    if route.public:
        return await gw.upstreams.forward(request, route.service, upstream_path, None)
    if caller is None:
        raise HTTPException(status_code=401, detail="not signed in", headers={"WWW-Authenticate": "Bearer"})
    user = caller.user
    if not user.can_act and not viewer_may_send(request.method, route):
        raise HTTPException(status_code=403, detail="this action needs the org_admin role")
    token = issue_identity_token(
        gw.settings.identity_secret,
        org_id=user.org_id,
        user_id=user.id,
        role=user.role,
        ttl_seconds=gw.settings.identity_ttl_seconds,
        issuer=gw.settings.identity_issuer,
    )
    return await gw.upstreams.forward(request, route.service, upstream_path, token)
