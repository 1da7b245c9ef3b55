"""Webhooks on the wire: the signature of a body, and one POST to a partner's endpoint.

Each request is signed as the Standard Webhooks specification says (standardwebhooks.com), so a
partner checks it with that specification's ready-made verifiers (examples/partner_subscriber/):

- `webhook-id`: the event's id, the same on every attempt (the receiver deduplicates on it);
- `webhook-timestamp`: the attempt's Unix time (verifiers refuse one older than five minutes);
- `webhook-signature`: `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">`,
  keyed with the secret's bytes: the secret is `whsec_<base64 of those bytes>`.

`X-Maillage-Event-Type` names the event's type. A 2xx answer means delivered.

The endpoint's name is resolved once per attempt, its addresses checked (never inside our own
network), and the connection made to the address checked, the name kept for the Host header, TLS
SNI and the certificate: a name that answers a public address to the check and an internal one to
the connection (DNS rebinding) reaches nothing inside.

Where the operator's network goes out through a proxy, `HTTPS_PROXY` / `HTTP_PROXY` (or their
lowercase names) are honoured, and `NO_PROXY`: the proxy is asked for the address checked (CONNECT
to it for https), never for the name, so the check above still holds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import eventlet
import urllib3
from requests.utils import DEFAULT_CA_BUNDLE_PATH, should_bypass_proxies

from backbone import config
from services.partners.addresses import internal_address

log = logging.getLogger(__name__)

# the delivery's error, which the partner reads: it never says which of our addresses it was
REFUSED_INTERNAL = "refusé : adresse interne (refused: internal address)"
SECRET_PREFIX = "whsec_"
MAX_ANSWER_BYTES = 64 * 1024
USER_AGENT = "Maillage-Webhooks/1"


def new_secret() -> str:
    """`whsec_` and the base64 of 32 random bytes: the secret's form in the Standard Webhooks
    specification, which its verifiers take as it is."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_key(secret: str) -> bytes:
    """The HMAC key a `whsec_<base64>` secret stands for (ValueError for any other form)."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    if not key:
        raise ValueError("a webhook secret holds at least one byte")
    return key


def signature_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict:
    """The Standard Webhooks headers of `body` sent at `timestamp` (Unix seconds)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


@dataclass
class Outcome:
    """What one attempt gave: delivered or not, the HTTP status or the error, its duration."""

    ok: bool
    duration_ms: int
    status_code: int | None = None
    error: str | None = None


class _DeadlinePassed(Exception):
    """Raised in the attempt's green thread when its deadline passes, wherever it waits."""


def post(
    url: str,
    secret: str,
    body: bytes,
    *,
    event_id: str,
    event_type: str,
    timeout: float,
    now: float | None = None,
    deadline: float | None = None,
) -> Outcome:
    """POST `body` to `url`, signed now; never raises for the endpoint's faults (they are outcomes).

    `timeout` bounds each wait on the socket; `deadline` (MAILLAGE_WEBHOOK_DEADLINE) the whole
    attempt, for an endpoint that drips its answer a byte at a time never waits `timeout` at once.
    At most MAX_ANSWER_BYTES of the answer's body are read: the status says delivered or not."""
    deadline = config.webhook_deadline() if deadline is None else deadline
    started = time.monotonic()
    timer = eventlet.Timeout(deadline, _DeadlinePassed())
    try:
        return _post(
            url,
            secret,
            body,
            event_id=event_id,
            event_type=event_type,
            timeout=timeout,
            now=now,
            started=started,
            ends_at=started + deadline,
        )
    except _DeadlinePassed:
        return Outcome(
            False, _ms(started), error=f"no complete answer within {deadline:g} s (deadline)"
        )
    finally:
        timer.cancel()


def _post(
    url: str,
    secret: str,
    body: bytes,
    *,
    event_id: str,
    event_type: str,
    timeout: float,
    now: float | None,
    started: float,
    ends_at: float,
) -> Outcome:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    except OSError as exc:
        return Outcome(False, _ms(started), error=f"{host} does not resolve: {exc}"[:500])
    if not config.webhook_allow_private():
        inside = internal_address(addresses)
        if (
            inside is not None
        ):  # the operator's log names it; the partner reads the delivery's error
            log.warning("webhook refused: %s resolves to the internal address %s", host, inside)
            return Outcome(False, 0, error=REFUSED_INTERNAL)
    timestamp = int(now if now is not None else time.time())
    headers = {
        "Host": parts.netloc.rpartition("@")[2],
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Maillage-Event-Type": event_type,
        **signature_headers(secret, event_id, timestamp, body),
    }
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    proxy = proxy_for(url)
    failure: Exception | str = f"{host} has no address"
    for address in dict.fromkeys(
        addresses
    ):  # each address checked, in the resolver's order, until one answers
        try:
            connections = _connections(parts.scheme, host, timeout, proxy)
        except (
            ValueError
        ) as exc:  # the operator's setting, not the endpoint: said as such, retried later
            variable = "HTTPS_PROXY" if parts.scheme == "https" else "HTTP_PROXY"
            return Outcome(
                False, 0, error=f"{variable} is not a usable proxy ({proxy}): {exc}"[:500]
            )
        netloc = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        try:
            response = connections.urlopen(
                "POST",
                f"{parts.scheme}://{netloc}{target}",
                body=body,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
            )
        except (
            urllib3.exceptions.ConnectTimeoutError
        ) as exc:  # no connection there (refused, unreachable…)
            failure = exc
            continue
        except urllib3.exceptions.HTTPError as exc:
            return Outcome(False, _ms(started), error=f"{type(exc).__name__}: {exc}"[:500])
        finally:
            connections.clear()
        _skim(response, ends_at)
        ok = 200 <= response.status < 300
        return Outcome(
            ok,
            _ms(started),
            status_code=response.status,
            error=None if ok else f"HTTP {response.status} {response.reason or ''}".strip()[:500],
        )
    reason = failure if isinstance(failure, str) else f"{type(failure).__name__}: {failure}"
    return Outcome(False, _ms(started), error=reason[:500])


def _skim(response, ends_at: float) -> None:
    """Read at most MAX_ANSWER_BYTES of the answer's body, before `ends_at`, then drop the
    connection: a partner answering 200 MB costs us 64 KiB (the rest is never read)."""
    read = 0
    try:
        while read < MAX_ANSWER_BYTES and time.monotonic() < ends_at:
            chunk = response.read(min(16384, MAX_ANSWER_BYTES - read))
            if not chunk:
                break
            read += len(chunk)
    except (
        urllib3.exceptions.HTTPError,
        OSError,
    ):  # the status is in: a broken body changes nothing
        pass
    finally:
        response.close()


def proxy_for(url: str) -> str | None:
    """The operator's proxy for `url`: HTTPS_PROXY for https, HTTP_PROXY for http (or their
    lowercase names), None when unset or when NO_PROXY names the host."""
    if url.startswith("https:"):
        proxy = os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")
    else:
        proxy = os.environ.get("HTTP_PROXY") or os.environ.get("http_proxy")
    no_proxy = os.environ.get("NO_PROXY") or os.environ.get("no_proxy")
    if not proxy or should_bypass_proxies(url, no_proxy=no_proxy):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def _connections(scheme: str, host: str, timeout: float, proxy: str | None) -> urllib3.PoolManager:
    """Connections to the address in the URL given them (the one checked), speaking to `host`
    (its name for TLS: SNI and the certificate), directly or through `proxy`."""
    tls = (
        {
            "server_hostname": host,
            "assert_hostname": host,
            "cert_reqs": "CERT_REQUIRED",
            "ca_certs": DEFAULT_CA_BUNDLE_PATH,
        }
        if scheme == "https"
        else {}
    )
    if proxy is None:
        return urllib3.PoolManager(num_pools=1, maxsize=1, timeout=timeout, **tls)
    parsed = urllib3.util.parse_url(proxy)
    credentials = urllib3.util.make_headers(proxy_basic_auth=parsed.auth) if parsed.auth else None
    return urllib3.ProxyManager(
        parsed._replace(auth=None).url,
        num_pools=1,
        maxsize=1,
        timeout=timeout,
        proxy_headers=credentials,
        **tls,
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
