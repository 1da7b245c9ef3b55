"""Webhooks on the wire: the signature of a body, and one POST to a partner's endpoint.

Each request carries `X-Maillage-Event-Id`, `X-Maillage-Event-Type` and
`X-Maillage-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`; a 2xx answer
means delivered. The partner checks the signature and the timestamp's age (see
examples/partner_subscriber/subscriber.py: `verify_signature`).
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

import requests

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


def internal_address(url: str) -> str | None:
    """The private, loopback, link-local or reserved address `url`'s host resolves to, if any (a
    webhook must not reach inside our own network), else None. Checked before each attempt, so a
    name that later resolves inside is caught too (a rebinding between this check and the connection
    remains possible: in production, egress rules at the network edge are the second lock)."""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return None  # unresolvable: the attempt fails on its own, with the resolver's reason
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            return str(address)
    return None


def post(url: str, secret: str, body: bytes, *, event_id: str, event_type: str, timeout: float,
         now: float | None = None) -> Outcome:
    """POST `body` to `url`, signed now; never raises for the endpoint's faults (they are outcomes)."""
    if not config.webhook_allow_private():
        inside = internal_address(url)
        if inside is not None:
            return Outcome(False, 0, error=f"refused: {urlsplit(url).hostname} is an internal address ({inside})")
    timestamp = int(now if now is not None else time.time())
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "X-Maillage-Event-Id": event_id, "X-Maillage-Event-Type": event_type,
               SIGNATURE_HEADER: signature(secret, timestamp, body)}
    started = time.monotonic()
    try:
        response = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        return Outcome(False, _ms(started), error=f"{type(exc).__name__}: {exc}"[:500])
    ok = 200 <= response.status_code < 300
    return Outcome(ok, _ms(started), status_code=response.status_code,
                   error=None if ok else f"HTTP {response.status_code} {response.reason or ''}".strip()[:500])


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
