"""Sessions that can be ended, on a real gateway and members service (real broker; SQLite and
PostgreSQL): signing out, a password change, a coordinator's reset and disabling an account each
make the tokens concerned worthless; another gateway replica learns it within
GATEWAY_SESSION_CHECK_SECONDS; the sign-in answers 429 with Retry-After after repeated failures
(API and console), the same for an unknown e-mail; the e-mailed set-your-password link opens a
console page that sets the password once."""

import hashlib
import re
import socket
import time

import pytest
import requests
from nameko.standalone.rpc import ServiceRpcProxy

from gateway.console.framework import COOKIE
from gateway.service import GatewayService
from services.members import notices
from services.members.models import StaffAccount
from services.members.service import MembersService

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]

COORDINATOR, CONCIERGE = "coordination@maillage.test", "lucie@maillage.test"
PASSWORD, NEW_PASSWORD = "mot-de-passe-initial", "un-nouveau-mot-de-passe"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def net(container_factory, nameko_config, service_db, monkeypatch):
    monkeypatch.setenv("GATEWAY_SECRET", "sessions-test")
    monkeypatch.setenv("GATEWAY_SESSION_CHECK_SECONDS", "0.5")
    database = service_db("members")
    container_factory(MembersService, nameko_config).start()
    port = _free_port()
    container_factory(
        GatewayService, {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    ).start()
    with ServiceRpcProxy("members", nameko_config, timeout=30) as members:
        village = members.open_village(
            {
                "slug": "tarnac",
                "name": "Tarnac",
                "commune": "Tarnac",
                "insee_code": "19265",
                "postcode": "19170",
                "kind": "fixed",
            }
        )
        ids = {}
        for email, role, village_id in (
            (COORDINATOR, "coordinator", None),
            (CONCIERGE, "concierge", village["id"]),
        ):
            ids[email] = members.create_staff_account(
                {
                    "email": email,
                    "full_name": "Personne " + role,
                    "password": PASSWORD,
                    "role": role,
                    "village_id": village_id,
                }
            )["id"]
        yield {"base": f"http://127.0.0.1:{port}", "members": members, "ids": ids, "db": database}


def _login(net, email, password=PASSWORD):
    return requests.post(
        net["base"] + "/api/auth/login", json={"email": email, "password": password}, timeout=30
    )


def _bearer(net, email, password=PASSWORD):
    response = _login(net, email, password)
    assert response.status_code == 200, response.text
    return {"Authorization": "Bearer " + response.json()["token"]}


def _me(net, headers):
    return requests.get(net["base"] + "/api/me", headers=headers, timeout=30)


def _post(net, path, headers=None, **body):
    return requests.post(net["base"] + path, headers=headers or {}, json=body, timeout=30)


def test_signing_out_ends_that_token_only(net):
    first, second = _bearer(net, CONCIERGE), _bearer(net, CONCIERGE)
    assert _me(net, first).status_code == 200
    assert _post(net, "/api/auth/logout", first).json() == {"signed_out": True}
    refused = _me(net, first)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_revoked"
    assert "reconnectez-vous" in refused.json()["error"]["message"]
    assert _me(net, second).status_code == 200


def test_a_password_change_ends_every_session_and_gives_a_new_token(net):
    old = _bearer(net, CONCIERGE)
    wrong = _post(
        net, "/api/auth/password", old, current_password="pas-le-bon", new_password=NEW_PASSWORD
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "bad_current_password"
    short = _post(net, "/api/auth/password", old, current_password=PASSWORD, new_password="court")
    assert short.status_code == 400 and "new_password" in short.json()["error"]["fields"]
    changed = _post(
        net, "/api/auth/password", old, current_password=PASSWORD, new_password=NEW_PASSWORD
    )
    assert changed.status_code == 200, changed.text
    assert _me(net, old).status_code == 401
    assert _me(net, {"Authorization": "Bearer " + changed.json()["token"]}).status_code == 200
    assert _login(net, CONCIERGE).status_code == 401
    assert _login(net, CONCIERGE, NEW_PASSWORD).status_code == 200


def test_disabling_an_account_ends_its_sessions_and_its_sign_in(net):
    coordinator, concierge = _bearer(net, COORDINATOR), _bearer(net, CONCIERGE)
    account = net["ids"][CONCIERGE]
    denied = _post(net, f"/api/staff/{account}/status", concierge, active=False)
    assert denied.status_code == 403
    disabled = _post(net, f"/api/staff/{account}/status", coordinator, active=False)
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert _me(net, concierge).status_code == 401
    assert _login(net, CONCIERGE).status_code == 401
    assert (
        _post(net, f"/api/staff/{account}/status", coordinator, active=True).json()["active"]
        is True
    )
    assert _login(net, CONCIERGE).status_code == 200
    itself = _post(net, f"/api/staff/{net['ids'][COORDINATOR]}/status", coordinator, active=False)
    assert itself.status_code == 409 and itself.json()["error"]["code"] == "cannot_disable_self"
    bad = _post(net, f"/api/staff/{account}/status", coordinator, active="peut-être")
    assert bad.status_code == 400 and "active" in bad.json()["error"]["fields"]


def test_a_coordinators_reset_gives_a_one_time_code_and_ends_the_sessions(net):
    coordinator, concierge = _bearer(net, COORDINATOR), _bearer(net, CONCIERGE)
    started = _post(net, f"/api/staff/{net['ids'][CONCIERGE]}/password-reset", coordinator)
    assert started.status_code == 201, started.text
    code = started.json()["reset_code"]
    with net["db"].unit_of_work() as uow:  # kept hashed, never as given
        assert (
            uow.session.get(StaffAccount, net["ids"][CONCIERGE]).reset_code_hash
            == hashlib.sha256(code.encode()).hexdigest()
        )
    assert _me(net, concierge).status_code == 401
    wrong = _post(
        net,
        "/api/auth/password-reset",
        email=CONCIERGE,
        code="pas-le-code",
        new_password=NEW_PASSWORD,
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "bad_reset_code"
    done = _post(
        net, "/api/auth/password-reset", email=CONCIERGE, code=code, new_password=NEW_PASSWORD
    )
    assert done.status_code == 200, done.text
    assert _login(net, CONCIERGE, NEW_PASSWORD).status_code == 200
    again = _post(
        net, "/api/auth/password-reset", email=CONCIERGE, code=code, new_password="encore-un-autre"
    )
    assert again.status_code == 401  # used once


def test_another_gateway_replica_learns_of_an_ended_session_within_the_check_period(net):
    """The session is ended at members directly (as another replica would): this gateway refuses
    the token once its cached state is older than GATEWAY_SESSION_CHECK_SECONDS (0.5 s here)."""
    concierge = _bearer(net, CONCIERGE)
    assert _me(net, concierge).status_code == 200
    net["members"].start_staff_password_reset(net["ids"][CONCIERGE])
    time.sleep(0.6)
    assert _me(net, concierge).status_code == 401


def test_repeated_failures_answer_429_with_when_to_retry_the_same_for_unknown_emails(net):
    answers = {}
    for email in (CONCIERGE, "personne@maillage.test"):
        for _ in range(5):
            assert _login(net, email, "pas-le-bon").status_code == 401
        answers[email] = _login(net, email, PASSWORD)
    for answer in answers.values():
        assert answer.status_code == 429
        assert answer.headers["Retry-After"] == "1"
        assert (
            answer.json()["error"]["message"]
            == "Trop de tentatives de connexion : réessayez dans 1 seconde."
        )
    time.sleep(1.1)
    assert _login(net, CONCIERGE, PASSWORD).status_code == 200


def test_the_console_sign_in_form_answers_429_too(net):
    session = requests.Session()
    page = session.get(net["base"] + "/console/connexion", timeout=30)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
    for expected in (401,) * 5 + (429,):
        answer = session.post(
            net["base"] + "/console/connexion",
            timeout=30,
            allow_redirects=False,
            data={"email": CONCIERGE, "password": "pas-le-bon", "csrf": csrf},
        )
        assert answer.status_code == expected
    assert answer.headers["Retry-After"] == "1" and "réessayez dans 1 seconde" in answer.text


def test_signing_out_of_the_console_ends_the_token_even_if_it_was_copied(net):
    session = requests.Session()
    page = session.get(net["base"] + "/console/connexion", timeout=30)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
    signed_in = session.post(
        net["base"] + "/console/connexion",
        timeout=30,
        allow_redirects=False,
        data={"email": COORDINATOR, "password": PASSWORD, "csrf": csrf},
    )
    assert signed_in.status_code == 303
    token = session.cookies[COOKIE]
    form_csrf = _console_csrf(net, token)
    out = session.post(
        net["base"] + "/console/deconnexion",
        data={"csrf": form_csrf},
        timeout=30,
        allow_redirects=False,
    )
    assert out.status_code == 303, out.text[:300]
    replayed = requests.get(
        net["base"] + "/api/me", headers={"Authorization": "Bearer " + token}, timeout=30
    )
    assert replayed.status_code == 401


def test_the_e_mailed_link_opens_the_console_page_that_sets_the_password_once(net, monkeypatch):
    monkeypatch.setenv("GATEWAY_PUBLIC_URL", net["base"])
    coordinator = _bearer(net, COORDINATOR)
    started = _post(net, f"/api/staff/{net['ids'][CONCIERGE]}/password-reset", coordinator)
    reset_code = started.json()["reset_code"]
    link = notices.set_password_link(CONCIERGE, reset_code)  # the e-mail's
    page = requests.get(link, timeout=30)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert f'value="{CONCIERGE}"' in page.text
    assert f'value="{reset_code}"' in page.text

    def choose(password, confirmation=None, code=reset_code):
        return requests.post(
            net["base"] + "/console/mot-de-passe",
            data={
                "email": CONCIERGE,
                "code": code,
                "password": password,
                "confirmation": password if confirmation is None else confirmation,
            },
            timeout=30,
        )

    differ = choose(NEW_PASSWORD, "un-autre-mot-de-passe")
    assert differ.status_code == 400 and "diffèrent" in differ.text
    assert choose("court").status_code == 400
    wrong = choose(NEW_PASSWORD, code="pas-le-code")
    assert wrong.status_code == 401 and "demandez-en un nouveau" in wrong.text
    done = choose(NEW_PASSWORD)
    assert done.status_code == 200 and "Votre mot de passe est enregistré" in done.text
    assert _login(net, CONCIERGE, NEW_PASSWORD).status_code == 200
    assert choose("encore-un-autre-mot").status_code == 401, "the link serves once"


def _console_csrf(net, token):
    from gateway.console.framework import csrf_token

    return csrf_token(token)
