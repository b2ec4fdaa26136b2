"""The client's address, for throttling and the audit trail.

A proxy header is believed only when the request comes from a configured trusted proxy
(TRUSTED_PROXIES); otherwise anyone could dodge login throttling by sending a made-up
X-Forwarded-For."""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=1)
def _trusted_networks(spec: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _trusted_networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    if not remote or not _is_trusted(remote):
        return remote

    # Walk the chain from the nearest hop; the first address that is not one of our
    # proxies is the client.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote
        if not _is_trusted(hop):
            return hop
    return hops[0] if hops else remote
