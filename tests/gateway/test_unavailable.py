"""A service that is down gets a 503 naming it, never a hang (gateway + members only, real broker)."""
import os
import socket

import pytest
import requests

from gateway.service import GatewayService
from services.members.service import MembersService

pytestmark = pytest.mark.broker


@pytest.fixture
def gateway_url(container_factory, nameko_config, service_db, monkeypatch):
    service_db("members")
    monkeypatch.setenv("MAILLAGE_RPC_TIMEOUT", "2")
    monkeypatch.setenv("GATEWAY_SECRET", "test")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    for cls in (MembersService, GatewayService):
        container_factory(cls, config).start()
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_health_names_what_is_down(gateway_url):
    response = requests.get(gateway_url + "/health", timeout=20)
    assert response.status_code == 503
    body = response.json()
    assert set(body["down"]) == {"partners", "orders", "events"}
    assert body["checks"]["members"]["status"] == "ok" and body["checks"]["broker"]["status"] == "ok"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_route_whose_service_is_down_answers_503(gateway_url):
    response = requests.get(gateway_url + "/api/partner/me", headers={"X-API-Key": "mlg_0123456789abcdef_" + "x" * 40},
                            timeout=20)
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "service_unavailable" and "partners" in error["message"]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_service_whose_database_is_away_answers_503_not_500(gateway_url, monkeypatch):
    import os

    import psycopg2

    from tests.conftest import PG_ADMIN_DSN

    name = os.environ["MEMBERS_DATABASE_URL"].rsplit("/", 1)[1]
    admin = psycopg2.connect(PG_ADMIN_DSN)
    admin.autocommit = True
    with admin.cursor() as cursor:  # the members database refuses everyone for a while
        cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    try:
        response = requests.post(gateway_url + "/api/auth/login", json={"email": "a@b.fr", "password": "x" * 10},
                                 timeout=20)
        assert response.status_code == 503, response.text
        error = response.json()["error"]
        assert error["code"] == "service_unavailable" and "members" in error["message"]
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.close()
    assert requests.post(gateway_url + "/api/auth/login", json={"email": "a@b.fr", "password": "x" * 10},
                         timeout=20).status_code == 401  # back, and nothing else changed


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_exports_and_the_report_are_refused_while_a_service_s_figures_are_missing(gateway_url):
    """A CSV or a PDF goes to a funder: incomplete, it would mislead, so it is refused in French
    (503) naming what is missing; the page itself shows what it has, with the same warning."""
    from nameko.standalone.rpc import ServiceRpcProxy

    from gateway import auth
    from gateway.console.framework import COOKIE

    with ServiceRpcProxy("members", {"AMQP_URI": os.environ["AMQP_URI"]}, timeout=30) as members:
        # a real account: the gateway checks a token's account with members (sessions can be ended)
        account = members.create_staff_account({"email": "coordination@maillage.test", "full_name": "Coordination",
                                                "password": "mot-de-passe-test", "role": "coordinator"})
    cookies = {COOKIE: auth.issue_token(account)}
    period = "?du=2026-01-01&au=2026-06-30"
    for path in ("/console/coordination/export/villages.csv", "/console/coordination/rapport.pdf"):
        response = requests.get(gateway_url + path + period, cookies=cookies, allow_redirects=False, timeout=30)
        assert response.status_code == 503, (path, response.status_code)
        assert "text/html" in response.headers["Content-Type"] and "Chiffres incomplets" in response.text
        assert "commandes, ventes et colis" in response.text and "animations et suggestions" in response.text
    page = requests.get(gateway_url + "/console/coordination" + period, cookies=cookies, allow_redirects=False,
                        timeout=30)
    assert page.status_code == 200 and "Chiffres indisponibles pour le moment" in page.text
    assert "partenaires et financements" in page.text
