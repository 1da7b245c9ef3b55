"""Which node's management API to call. On a cluster, the first node written may be the one that
is down: the partners' broker accounts, `maillage backup` / `restore` and `maillage
broker-definitions --apply` call the first node whose management port accepts a connection
(`config.rabbit_management_urls()`, in the order written). Every node of a cluster serves the same
definitions, so any one that answers will do."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from backbone import config

PROBE_SECONDS = 1.0  # a node that does not accept a connection within this is taken as down


def _accepts(url: str, timeout: float) -> bool:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def management_url(timeout: float = PROBE_SECONDS) -> str:
    """The management API of the first node that accepts a connection; the first written when
    none does (the call then fails, naming that one)."""
    urls = config.rabbit_management_urls()
    if len(urls) == 1:
        return urls[0]
    return next((url for url in urls if _accepts(url, timeout)), urls[0])
