"""Forwarding one request to a service with httpx, streaming the bodies both ways."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from servicekit.identity import HEADER as IDENTITY_HEADER
from servicekit.logs import current_correlation_id

log = logging.getLogger(__name__)

# Only these request headers reach a service: never the browser's cookies, its
# Authorization header or an identity token it made up.
FORWARDED_REQUEST_HEADERS = (
    "accept",
    "accept-encoding",
    "accept-language",
    "content-type",
    "content-length",
    "content-encoding",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "range",
    "user-agent",
)

# Hop-by-hop headers and what only the gateway may set on the way back.
DROPPED_RESPONSE_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "set-cookie",
        "server",
        "date",
        "x-correlation-id",
    }
)

BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class Upstreams:
    """The services behind the gateway and one pooled HTTP client to reach them."""

    def __init__(self, base_urls: Mapping[str, str], *, connect_timeout: float, read_timeout: float) -> None:
        self.base_urls = {name: url.rstrip("/") for name, url in base_urls.items()}
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            follow_redirects=False,
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def forward(self, request: Request, service: str, path: str, identity_token: str | None) -> Response:
        """Send ``request`` to ``service`` at ``path`` and stream its answer back unchanged."""
        url = self.base_urls[service] + path
        if request.url.query:
            url += "?" + request.url.query
        headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED_REQUEST_HEADERS}
        headers["X-Correlation-ID"] = current_correlation_id()
        if identity_token:
            headers[IDENTITY_HEADER] = identity_token
        has_body = request.method not in BODYLESS_METHODS or "content-length" in request.headers
        if "transfer-encoding" in request.headers:
            has_body = True
        upstream_request = self.client.build_request(
            request.method,
            url,
            headers=headers,
            content=request.stream() if has_body else None,
        )
        try:
            upstream = await self.client.send(upstream_request, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
            log.warning("%s service not reachable at %s", service, self.base_urls[service])
            return JSONResponse({"detail": f"the {service} service is not reachable"}, status_code=502)
        except httpx.TimeoutException:
            return JSONResponse({"detail": f"the {service} service did not answer in time"}, status_code=504)
        except httpx.TransportError as exc:
            log.warning("%s service failed: %s", service, exc)
            return JSONResponse({"detail": f"the {service} service closed the connection"}, status_code=502)
        response_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in DROPPED_RESPONSE_HEADERS}
        return StreamingResponse(
            upstream.aiter_raw(),
            status_code=upstream.status_code,
            headers=response_headers,
            background=BackgroundTask(upstream.aclose),
        )
