"""Which address a request comes from, for the login's brute-force protection.

Behind a reverse proxy or load balancer every request reaches the gateway from the proxy's
address; the proxy names the real client in ``X-Forwarded-For`` (each hop appends the
address it received the request from). The header is believed only when the request comes
from a trusted proxy, and only as far as the chain of trusted proxies goes: walking the list
from the right, the first address that is not a trusted proxy is the client. Anything
before it could have been written by the client itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Parse ``10.0.0.0/8``, ``192.168.1.5`` or ``::1`` entries; a bad entry is a ``ValueError`` naming it."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"trusted proxy {entry!r} is not an IP address or network") from exc
    return tuple(networks)


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == n.version and ip in n for n in networks)


def client_address(peer: str, forwarded_for: str | None, networks: Sequence[Network]) -> str:
    """The client's address: ``peer`` unless it is a trusted proxy that forwarded the request."""
    if not forwarded_for or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage where an address should be: count it against the proxy's hop
    return hops[0] if hops else peer
