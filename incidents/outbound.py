"""Posting JSON to URLs that people typed in, without letting them aim Hindsight at
itself or its network (SSRF).

The host is resolved once, every address is vetted, and the connection goes to the
vetted address, so a DNS answer that changes between the check and the connect
(rebinding) cannot slip a private address in. Only http and https; no redirects; a
short timeout; at most ``MAX_RESPONSE_BYTES`` of the answer are read."""

import http.client
import ipaddress
import json
import logging
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
MAX_RESPONSE_BYTES = 64 * 1024
_ALLOWED_SCHEMES = {"http": 80, "https": 443}


class UnsafeTarget(Exception):
    """The URL may never be posted to; retrying will not help."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    body: bytes


def vet_url(url: str) -> Target:
    """Parse ``url`` and resolve its host to one address that may be contacted."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeTarget(f"Unreadable URL: {error}") from None
    if parts.scheme not in _ALLOWED_SCHEMES:
        raise UnsafeTarget("Only http and https URLs are allowed.")
    if not parts.hostname:
        raise UnsafeTarget("The URL has no host.")

    port = port or _ALLOWED_SCHEMES[parts.scheme]
    addresses = _resolve(parts.hostname, port)
    if not addresses:
        raise UnsafeTarget(f"{parts.hostname} does not resolve.")
    if not allow_private_targets():
        for address in addresses:
            _refuse_internal(parts.hostname, address)

    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


def allow_private_targets() -> bool:
    return bool(getattr(settings, "ALLOW_PRIVATE_WEBHOOK_TARGETS", False))


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeTarget(f"{host} does not resolve: {error}") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def _refuse_internal(host: str, address: str) -> None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for loopback, private, link-local (where cloud metadata
    # lives, 169.254.169.254), shared, reserved and unspecified (0.0.0.0) space.
    if not ip.is_global or ip.is_multicast:
        raise UnsafeTarget(
            f"{host} resolves to {ip}, an internal address; set "
            "ALLOW_PRIVATE_WEBHOOK_TARGETS to post to such addresses."
        )


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(
            target.host,
            target.port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the name, not the pinned address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post_json(url: str, payload: dict, *, timeout: float | None = None) -> Answer:
    """POST ``payload``; raise UnsafeTarget for a refused URL and OSError (including
    timeouts) for network trouble. Redirects are returned, never followed."""
    target = vet_url(url)
    connection_class = (
        _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    )
    connection = connection_class(target, timeout or TIMEOUT_SECONDS)
    body = json.dumps(payload).encode()
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Hindsight",
                "Content-Length": str(len(body)),
            },
        )
        response = connection.getresponse()
        content = response.read(MAX_RESPONSE_BYTES)
        return Answer(response.status, response.getheader("Location", ""), content)
    except http.client.HTTPException as error:
        raise OSError(f"Bad HTTP answer: {error!r}") from None
    finally:
        connection.close()
