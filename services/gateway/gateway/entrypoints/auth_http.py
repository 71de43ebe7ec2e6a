"""Login, logout and ``/api/me``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gateway.domain.client_address import Network, client_address
from gateway.entrypoints.deps import SESSION_COOKIE, Caller, GatewayDep, refuse_cross_site
from gateway.service_layer.auth import Authenticated, InvalidCredentials, LoginThrottled
from servicekit.identity import issue_identity_token

router = APIRouter(prefix="/api", tags=["auth"])


class LoginRequest(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


def _client_address(request: Request, proxies: tuple[Network, ...]) -> str:
    peer = request.client.host if request.client else "unknown"
    return client_address(peer, request.headers.get("x-forwarded-for"), proxies)


async def _me(gw, caller: Authenticated) -> dict:
    user = caller.user
    token = issue_identity_token(
        gw.settings.identity_secret,
        org_id=user.org_id,
        user_id=user.id,
        role=user.role,
        ttl_seconds=gw.settings.identity_ttl_seconds,
        issuer=gw.settings.identity_issuer,
    )
    name = await gw.organizations.name_of(user.org_id, token)
    return {
        "user": {"id": str(user.id), "email": user.email, "name": user.name, "role": user.role},
        "organization": {"id": str(user.org_id), "name": name},
        "csrf_token": caller.session.csrf_token,
    }


@router.post("/auth/login", operation_id="login", dependencies=[Depends(refuse_cross_site)])
async def login(body: LoginRequest, request: Request, gw: GatewayDep) -> Response:
    try:
        result = await gw.auth.login(body.email, body.password, _client_address(request, gw.trusted_proxies))
    except LoginThrottled as exc:
        seconds = max(1, round(exc.retry_after + 0.499))
        return JSONResponse(
            {"detail": f"too many failed sign-in attempts; try again in {seconds} seconds"},
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )
    except InvalidCredentials:
        return JSONResponse({"detail": "wrong email or password"}, status_code=401)
    caller = Authenticated(user=result.user, session=result.session, by_cookie=True)
    body_out = await _me(gw, caller)
    body_out["token"] = result.bearer_token
    body_out["expires_at"] = result.session.expires_at.isoformat()
    response = JSONResponse(body_out)
    response.set_cookie(
        SESSION_COOKIE,
        result.cookie_secret,
        max_age=int(gw.auth.session_ttl.total_seconds()),
        path="/",
        httponly=True,
        secure=gw.settings.cookie_secure,
        samesite=gw.settings.cookie_samesite,  # type: ignore[arg-type]
    )
    return response


@router.post("/auth/logout", operation_id="logout")
async def logout(caller: Caller, gw: GatewayDep) -> Response:
    await gw.auth.logout(caller.session.id)
    response = JSONResponse({"detail": "signed out"})
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, secure=gw.settings.cookie_secure, samesite=gw.settings.cookie_samesite
    )
    return response


@router.get("/me", operation_id="me")
async def me(caller: Caller, gw: GatewayDep) -> dict:
    return await _me(gw, caller)
