"""Every answer of a real gateway container (API and consoles, errors too) carries a
Content-Security-Policy without inline script and with frame-ancestors 'none', nosniff and a
Referrer-Policy; the console's cookies are Secure when GATEWAY_PUBLIC_URL is https; the sign-in
page lists the demo accounts only in a demo run (MAILLAGE_DEMO=1, set by `maillage run`)."""

import re
import socket
from pathlib import Path

import pytest
import requests

from gateway.console.framework import COOKIE, csrf_token
from gateway.service import GatewayService

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]

TEMPLATES = Path(__file__).resolve().parents[2] / "gateway" / "console" / "templates"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def start_gateway(container_factory, nameko_config, monkeypatch):
    monkeypatch.setenv("GATEWAY_SECRET", "headers-test")

    def start(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        port = _free_port()
        container_factory(
            GatewayService, {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
        ).start()
        return f"http://127.0.0.1:{port}"

    return start


@pytest.mark.parametrize(
    "path",
    [
        "/api/openapi.json",
        "/api/villages",
        "/api/nulle-part",
        "/console/connexion",
        "/console/static/console.js",
        "/console/coordination",
        "/",
    ],
)
def test_every_answer_carries_the_security_headers(start_gateway, path):
    base = start_gateway()
    response = requests.get(base + path, timeout=30, allow_redirects=False)
    assert response.status_code < 500, response.text[:300]
    policy = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") in (
        "same-origin",
        "no-referrer",
        "strict-origin",
    )


def test_no_console_template_holds_an_inline_script_or_handler():
    """What the policy forbids would break the pages: scripts come from static files only."""
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert not re.search(r"\son[a-z]+\s*=", text), template.name


def _sign_in_form(base):
    session = requests.Session()
    page = session.get(base + "/console/connexion", timeout=30)
    return session, page


def test_cookies_are_secure_when_the_public_address_is_https(start_gateway):
    base = start_gateway(GATEWAY_PUBLIC_URL="https://maillage.example.org")
    _, page = _sign_in_form(base)
    assert "secure" in page.headers["Set-Cookie"].lower()
    token_cookie = requests.post(
        base + "/console/deconnexion",
        timeout=30,
        allow_redirects=False,
        cookies={COOKIE: "x"},
        data={"csrf": csrf_token("x")},
    )
    assert "secure" in token_cookie.headers["Set-Cookie"].lower()
    assert page.headers.get("Strict-Transport-Security")


def test_cookies_are_not_secure_on_a_plain_http_address(start_gateway):
    base = start_gateway(GATEWAY_PUBLIC_URL="http://127.0.0.1:8000")
    _, page = _sign_in_form(base)
    assert "secure" not in page.headers["Set-Cookie"].lower()


def test_the_sign_in_page_shows_the_demo_accounts_only_in_a_demo_run(start_gateway, monkeypatch):
    monkeypatch.delenv("MAILLAGE_DEMO", raising=False)
    base = start_gateway()
    page = requests.get(base + "/console/connexion", timeout=30).text
    assert "maillage-demo" not in page and "Comptes de démonstration" not in page
    monkeypatch.setenv("MAILLAGE_DEMO", "1")
    page = requests.get(base + "/console/connexion", timeout=30).text
    assert "maillage-demo" in page and "coordination@maillage.test" in page
