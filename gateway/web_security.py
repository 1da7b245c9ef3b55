"""Headers every gateway answer carries (API and consoles), and whether cookies are `Secure`.

The consoles load their scripts and styles from /console/static only (no inline script, no
on*= handler), so the policy allows nothing else; no page may be framed (clickjacking)."""

from __future__ import annotations

from backbone import config

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}


def public_url() -> str:
    """GATEWAY_PUBLIC_URL: the address people reach the gateway at (behind a TLS proxy: https://…)."""
    return (config.value("GATEWAY_PUBLIC_URL") or "").strip()


def https() -> bool:
    return public_url().lower().startswith("https://")


def add_security_headers(response) -> None:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if https():
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
