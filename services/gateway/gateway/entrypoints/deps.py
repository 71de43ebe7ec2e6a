"""Request dependencies of the gateway's routes: who is calling, and the CSRF and origin checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request

from gateway.adapters.upstream import Upstreams
from gateway.config import Settings
from gateway.domain.client_address import Network
from gateway.domain.sessions import STATE_CHANGING_METHODS, needs_csrf_check
from gateway.service_layer.auth import Authenticated, Authenticator
from gateway.service_layer.organizations import OrganizationNames

SESSION_COOKIE = "session"
CSRF_HEADER = "X-CSRF-Token"


@dataclass
class Gateway:
    """What the routes need, built once by the bootstrap."""

    settings: Settings
    auth: Authenticator
    upstreams: Upstreams
    organizations: OrganizationNames
    trusted_proxies: tuple[Network, ...] = ()
    """Proxies whose ``X-Forwarded-For`` names the client (``Settings.trusted_proxies``)."""


def gateway(request: Request) -> Gateway:
    return request.app.state.gateway


GatewayDep = Annotated[Gateway, Depends(gateway)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def refuse_cross_site(request: Request) -> None:
    """Refuse a state-changing browser request that another site started.

    Complements the CSRF token: browsers say where a request comes from in ``Origin``
    (and ``Sec-Fetch-Site``); a request from another origin is refused outright.
    """
    if request.method.upper() not in STATE_CHANGING_METHODS:
        return
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        raise HTTPException(status_code=403, detail="cross-site request refused")
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if urlsplit(origin).netloc.lower() != host.lower():
            raise HTTPException(status_code=403, detail="cross-site request refused")
    elif origin == "null":
        raise HTTPException(status_code=403, detail="cross-site request refused")


async def optional_caller(request: Request, gw: GatewayDep) -> Authenticated | None:
    bearer = bearer_token(request)
    caller = await gw.auth.authenticate(cookie=request.cookies.get(SESSION_COOKIE), bearer=bearer)
    if caller is not None and needs_csrf_check(request.method, authenticated_by_cookie=caller.by_cookie):
        refuse_cross_site(request)
        if not caller.session.csrf_matches(request.headers.get(CSRF_HEADER)):
            raise HTTPException(
                status_code=403, detail="missing or wrong CSRF token (send the X-CSRF-Token header from /api/me)"
            )
    return caller


async def signed_in(caller: Annotated[Authenticated | None, Depends(optional_caller)]) -> Authenticated:
    if caller is None:
        raise HTTPException(status_code=401, detail="not signed in", headers={"WWW-Authenticate": "Bearer"})
    return caller


OptionalCaller = Annotated[Authenticated | None, Depends(optional_caller)]
Caller = Annotated[Authenticated, Depends(signed_in)]
