"""Which service answers which public path, and what each role may send there.

The gateway maps ``/api/<resource>...`` to ``<service>/<resource>...`` (``/api`` stripped).
Internal endpoints (``/internal/...``) are never reachable from outside.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# longest prefixes first is not needed: the prefixes below never overlap
ROUTES: tuple[tuple[str, str], ...] = (
    ("/assemblies", "assemblies"),
    ("/service-areas", "assemblies"),
    ("/locations", "assemblies"),
    ("/organization", "assemblies"),
    ("/batches", "batches"),
    ("/auto-runs", "batches"),
    ("/communications", "batches"),
    ("/communication-types", "generator"),
    ("/templates", "generator"),
)

_DOCUMENT = re.compile(r"^/documents/[^/]+$")
_PREVIEW = re.compile(r"^/templates/[^/]+/preview$")

SERVICES = ("assemblies", "batches", "generator", "documents")


@dataclass(frozen=True)
class Route:
    service: str
    path: str
    """The path on the service (``/api`` stripped)."""
    public: bool = False
    """True when no login is needed (a signed document link is its own permission)."""


def resolve(method: str, api_path: str) -> Route | None:
    """The route for a path below ``/api`` (``api_path`` starts with ``/``), or None."""
    segments = api_path.split("/")[1:]
    if any(segment in ("", ".", "..") for segment in segments[:-1]) or segments[-1] in (".", ".."):
        return None
    if "\\" in api_path or "%" in api_path:
        return None
    if api_path.startswith("/internal"):
        return None
    if _DOCUMENT.match(api_path):
        return Route("documents", api_path, public=method.upper() in ("GET", "HEAD"))
    for prefix, service in ROUTES:
        if api_path == prefix or api_path.startswith(prefix + "/"):
            return Route(service, api_path)
    return None


def viewer_may_send(method: str, route: Route) -> bool:
    """A viewer reads and exports only: GET and HEAD, plus the read-only template preview."""
    if method.upper() in ("GET", "HEAD", "OPTIONS"):
        return True
    return method.upper() == "POST" and route.service == "generator" and bool(_PREVIEW.match(route.path))
