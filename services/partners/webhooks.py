"""Webhooks on the wire: the signature of a body, and one POST to a partner's endpoint.

Each request carries `X-Maillage-Event-Id`, `X-Maillage-Event-Type` and
`X-Maillage-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`; a 2xx answer
means delivered. The partner checks the signature and the timestamp's age (see
examples/partner_subscriber/subscriber.py: `verify_signature`).

The endpoint's name is resolved once per attempt, its addresses checked (never inside our own
network), and the connection made to the address checked, the name kept for the Host header, TLS
SNI and the certificate: a name that answers a public address to the check and an internal one to
the connection (DNS rebinding) reaches nothing inside.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from requests.utils import DEFAULT_CA_BUNDLE_PATH

from backbone import config

SIGNATURE_HEADER = "X-Maillage-Signature"
USER_AGENT = "Maillage-Webhooks/1"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Maillage-Signature` header's value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class Outcome:
    """What one attempt gave: delivered or not, the HTTP status or the error, its duration."""

    ok: bool
    duration_ms: int
    status_code: int | None = None
    error: str | None = None


def internal_address(addresses: list[str]) -> str | None:
    """The first of `addresses` that is private, loopback, link-local, reserved or multicast (a
    webhook must not reach inside our own network), else None."""
    for text in addresses:
        address = ipaddress.ip_address(text.split("%")[0])
        if not address.is_global or address.is_multicast:
            return str(address)
    return None


def post(url: str, secret: str, body: bytes, *, event_id: str, event_type: str, timeout: float,
         now: float | None = None) -> Outcome:
    """POST `body` to `url`, signed now; never raises for the endpoint's faults (they are outcomes)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    started = time.monotonic()
    try:
        addresses = [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    except OSError as exc:
        return Outcome(False, _ms(started), error=f"{host} does not resolve: {exc}"[:500])
    if not config.webhook_allow_private():
        inside = internal_address(addresses)
        if inside is not None:
            return Outcome(False, 0, error=f"refused: {host} is an internal address ({inside})")
    timestamp = int(now if now is not None else time.time())
    headers = {"Host": parts.netloc.rpartition("@")[2], "Content-Type": "application/json", "User-Agent": USER_AGENT,
               "X-Maillage-Event-Id": event_id, "X-Maillage-Event-Type": event_type,
               SIGNATURE_HEADER: signature(secret, timestamp, body)}
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    failure: Exception | str = f"{host} has no address"
    for address in dict.fromkeys(addresses):  # each address checked, in the resolver's order, until one answers
        pool = _pool(parts.scheme, address, port, host, timeout)
        try:
            response = pool.urlopen("POST", target, body=body, headers=headers, redirect=False, retries=False,
                                    assert_same_host=False)
        except urllib3.exceptions.ConnectTimeoutError as exc:  # no connection there (refused, unreachable…)
            failure = exc
            continue
        except urllib3.exceptions.HTTPError as exc:
            return Outcome(False, _ms(started), error=f"{type(exc).__name__}: {exc}"[:500])
        finally:
            pool.close()
        ok = 200 <= response.status < 300
        return Outcome(ok, _ms(started), status_code=response.status,
                       error=None if ok else f"HTTP {response.status} {response.reason or ''}".strip()[:500])
    reason = failure if isinstance(failure, str) else f"{type(failure).__name__}: {failure}"
    return Outcome(False, _ms(started), error=reason[:500])


def _pool(scheme: str, address: str, port: int, host: str, timeout: float) -> urllib3.HTTPConnectionPool:
    """A connection to `address` (the one checked), speaking to `host` (its name for TLS)."""
    if scheme == "https":
        return urllib3.HTTPSConnectionPool(address, port, timeout=timeout, maxsize=1, server_hostname=host,
                                           assert_hostname=host, cert_reqs="CERT_REQUIRED",
                                           ca_certs=DEFAULT_CA_BUNDLE_PATH)
    return urllib3.HTTPConnectionPool(address, port, timeout=timeout, maxsize=1)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
