"""What the hub believes of a reverse proxy's headers, and from whom.

Behind nginx (deploy/nginx/rewardshub.conf) every connection comes from the
proxy, so the client's address is in X-Forwarded-For and the scheme it used
in X-Forwarded-Proto. Anyone can send those headers, so they count only when
the connection comes from an address in REWARDSHUB_TRUSTED_PROXIES: then the
client's address (the per-address sign-in limits, the audit trail's "from
where") is the last one in X-Forwarded-For that is not itself a trusted proxy.
From anyone else both headers are dropped before any view sees them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def proxy_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """REWARDSHUB_TRUSTED_PROXIES's entries (addresses or networks) as networks."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"REWARDSHUB_TRUSTED_PROXIES has {entry!r}, which is not an IP address or "
                "network. List the proxies' addresses, e.g. 127.0.0.1,10.0.0.0/24."
            ) from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    found = _address(address)
    return found is not None and any(found in network for network in proxies)


def client_address(remote: str, forwarded_for: str, proxies: tuple[Network, ...]) -> str:
    """The client's address: from X-Forwarded-For, read right to left past the
    trusted proxies, when the connection is a trusted proxy's; else `remote`."""
    if not is_trusted(remote, proxies):
        return remote
    for hop in reversed(forwarded_for.split(",")):
        found = _address(hop)
        if found is None:
            break  # a hop the proxies did not write: believe nothing further left
        if not any(found in network for network in proxies):
            return str(found)
    return remote


class TrustedProxyMiddleware:
    """Puts the client's address in REMOTE_ADDR; drops forwarded headers nobody trusted sent."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.TRUSTED_PROXIES:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.proxies: tuple[Network, ...] = tuple(settings.TRUSTED_PROXIES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        remote = str(meta.get("REMOTE_ADDR", ""))
        if is_trusted(remote, self.proxies):
            meta["REMOTE_ADDR"] = client_address(
                remote, str(meta.get("HTTP_X_FORWARDED_FOR", "")), self.proxies
            )
        else:
            for name in ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO"):
                meta.pop(name, None)
        return self.get_response(request)


class ServedByMiddleware:
    """Opt-in (REWARDSHUB_SERVED_BY): names the server that answered, in X-Served-By."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.SERVED_BY:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.name = str(settings.SERVED_BY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["X-Served-By"] = self.name
        return response
