"""The coordinator's back-office pages (#24) on a real gateway, members and partners service (real
broker; SQLite and PostgreSQL): bad input is told beside its field with what was typed kept and
nothing written; closing a village, disabling an account and issuing a key wait for a confirmation;
a new account needs no password; a concierge never opens these pages; the coordinator never opens
an inhabitant's page and reads the figures only on a village's volunteers page."""

import contextlib
import re
from datetime import timedelta

import pytest
import requests
from nameko.standalone.rpc import ServiceRpcProxy

from backbone.clock import paris_today
from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from gateway.console.framework import COOKIE, csrf_token, french_date
from gateway.service import GatewayService
from services.members import notices
from services.members.service import MembersService
from services.partners import read_models
from services.partners.service import PartnersService
from tests.support.infrastructure import free_port
from tests.support.module_world import backend  # noqa: F401  (module-scoped: a world each)
from tests.support.reliability import wait_until
from tests.support.till import receipt_event

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]

PASSWORD = "mot-de-passe-initial"
DAY = timedelta(days=1)
R = "/console/coordination"


def _known_to_partners(database, village):
    """What `village.opened` would have told the partners service."""
    with database.unit_of_work() as uow:
        read_models.record_village(
            uow,
            parse_envelope(
                build_envelope(
                    "village.opened",
                    {
                        "village_id": village["id"],
                        **{k: village[k] for k in ("slug", "name", "commune", "insee_code")},
                        "kind": "fixed",
                        "population": None,
                    },
                    village_id=village["id"],
                    source="members",
                )
            ),
        )


@contextlib.contextmanager
def _back_office(config, members_db, partners_db, port):
    """A village known to members and partners, a coordinator and a concierge signed in, on the
    services already started."""
    base = f"http://127.0.0.1:{port}"
    with ServiceRpcProxy("members", config, timeout=30) as members:
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
        _known_to_partners(partners_db, village)
        for email, role, village_id in (
            ("coordination@example.fr", "coordinator", None),
            ("lucie@example.fr", "concierge", village["id"]),
        ):
            members.create_staff_account(
                {
                    "email": email,
                    "full_name": "Personne " + role,
                    "password": PASSWORD,
                    "role": role,
                    "village_id": village_id,
                }
            )
        with ServiceRpcProxy("partners", config, timeout=30) as partners:
            yield {
                "base": base,
                "members": members,
                "members_db": members_db,
                "partners": partners,
                "village": village,
                "coordinator": _session(base, "coordination@example.fr"),
                "concierge": _session(base, "lucie@example.fr"),
            }


@pytest.fixture(scope="module")
def back_office(module_world):
    world = module_world(GATEWAY_SECRET="backoffice-test")
    members_db, partners_db = world.database("members"), world.database("partners")
    port = free_port()
    world.start(MembersService, PartnersService)
    world.start(GatewayService, config={**world.config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"})
    with _back_office(world.config, members_db, partners_db, port) as net:
        world.snapshot()
        yield world, net


@pytest.fixture
def net(back_office):
    """The module's back office, its databases as its set-up left them."""
    world, net = back_office
    world.reset()
    return net


@pytest.fixture
def net_of_its_own(container_factory, nameko_config, service_db, monkeypatch):
    """The same back office started for one test, after what the test set (its timers run)."""
    monkeypatch.setenv("GATEWAY_SECRET", "backoffice-test")
    members_db = service_db("members")
    partners_db = service_db("partners")
    port = free_port()
    for cls in (MembersService, PartnersService):
        container_factory(cls, nameko_config).start()
    container_factory(
        GatewayService, {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    ).start()
    with _back_office(nameko_config, members_db, partners_db, port) as net:
        yield net


def _session(base, email):
    signed_in = requests.post(
        base + "/api/auth/login", json={"email": email, "password": PASSWORD}, timeout=30
    )
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["token"]
    session = requests.Session()
    session.cookies.set(COOKIE, token)
    return session, csrf_token(token)


def _get(net, who, path):
    session, _csrf = net[who]
    return session.get(net["base"] + path, allow_redirects=False, timeout=30)


def _post(net, who, path, **form):
    session, csrf = net[who]
    return session.post(
        net["base"] + path, data={"csrf": csrf, **form}, allow_redirects=False, timeout=30
    )


def _error_beside(html, field):
    """The message shown beside `field`, and the field points at it."""
    message = re.search(rf'<span class="error" id="err-{re.escape(field)}"[^>]*>([^<]+)<', html)
    assert message, f"no error beside {field}"
    assert f'aria-describedby="err-{field}"' in html
    return message.group(1)


def test_a_bad_village_is_told_beside_its_fields_and_nothing_is_written(net):
    answer = _post(
        net,
        "coordinator",
        R + "/villages",
        name="Bugeat",
        slug="Bugeat Centre",
        commune="Bugeat",
        insee_code="123",
        postcode="19170",
        kind="fixed",
        status="open",
    )
    assert answer.status_code == 400
    assert _error_beside(answer.text, "slug") and _error_beside(answer.text, "insee_code")
    assert 'value="Bugeat Centre"' in answer.text and 'value="123"' in answer.text
    assert [v["slug"] for v in net["members"].list_villages(None)] == ["tarnac"]

    taken = _post(
        net,
        "coordinator",
        R + "/villages",
        name="Tarnac bis",
        slug="tarnac",
        commune="Tarnac",
        insee_code="19265",
        postcode="19170",
        kind="fixed",
    )
    assert taken.status_code == 400 and _error_beside(taken.text, "slug")


def test_closing_a_village_waits_for_its_confirmation(net):
    village_id = net["village"]["id"]
    path = f"{R}/villages/{village_id}/statut"
    asked = _post(net, "coordinator", path, status="closed", reason="Local vendu")
    assert asked.status_code == 200 and "Confirmer la fermeture" in asked.text
    assert 'value="Local vendu"' in asked.text
    assert net["members"].get_village(village_id)["status"] == "open"

    done = _post(net, "coordinator", path, status="closed", reason="Local vendu", confirm="1")
    assert done.status_code == 303
    closed = net["members"].get_village(village_id)
    assert (closed["status"], closed["status_reason"]) == ("closed", "Local vendu")
    again = _post(net, "coordinator", path, status="open", confirm="1")
    assert again.status_code == 400 and "fermée" in again.text.lower()


def test_a_bad_account_is_told_beside_its_fields_and_a_good_one_needs_no_password(net):
    before = len(net["members"].list_staff_accounts())
    bad = _post(
        net,
        "coordinator",
        R + "/comptes",
        full_name="Karim Benali",
        email="pas-une-adresse",
        role="concierge",
        village_id="",
    )
    assert bad.status_code == 400 and _error_beside(bad.text, "email")
    assert 'value="Karim Benali"' in bad.text and 'value="pas-une-adresse"' in bad.text
    homeless = _post(
        net,
        "coordinator",
        R + "/comptes",
        full_name="Karim",
        email="k@example.fr",
        role="concierge",
    )
    assert homeless.status_code == 400 and _error_beside(homeless.text, "village_id")
    assert len(net["members"].list_staff_accounts()) == before

    created = _post(
        net,
        "coordinator",
        R + "/comptes",
        full_name="Karim Benali",
        email="karim@example.fr",
        role="concierge",
        village_id=net["village"]["id"],
    )
    assert created.status_code == 303, created.text[:500]
    account = next(
        a for a in net["members"].list_staff_accounts() if a["email"] == "karim@example.fr"
    )
    assert created.headers["Location"] == f"{R}/comptes/{account['id']}?cree=1"
    shown = _get(net, "coordinator", created.headers["Location"])
    assert "lien pour choisir son mot de passe" in shown.text

    taken = _post(
        net,
        "coordinator",
        R + "/comptes",
        full_name="Autre",
        email="karim@example.fr",
        role="coordinator",
        village_id=net["village"]["id"],  # left in the form: a coordinator has none
    )
    assert taken.status_code == 400 and _error_beside(taken.text, "email")


def test_disabling_an_account_waits_for_its_confirmation(net):
    lucie = next(
        a for a in net["members"].list_staff_accounts() if a["email"] == "lucie@example.fr"
    )
    path = f"{R}/comptes/{lucie['id']}"
    asked = _post(net, "coordinator", path, action="disable")
    assert asked.status_code == 200 and "Confirmer la désactivation" in asked.text
    assert net["members"].get_staff_account(lucie["id"])["active"]
    assert _post(net, "coordinator", path, action="disable", confirm="1").status_code == 303
    assert not net["members"].get_staff_account(lucie["id"])["active"]


def test_a_bad_partner_is_told_beside_its_fields_and_nothing_is_written(net):
    answer = _post(
        net,
        "coordinator",
        R + "/partenaires",
        name="Ferme du Plateau",
        kind="producer",
        siret="12345678901234",
        relationships="supplier",
        village_ids=net["village"]["id"],
        **{"contact-0-name": "Anne Roux", "contact-0-role": "Gérante"},
    )
    assert answer.status_code == 400
    assert _error_beside(answer.text, "siret") and _error_beside(answer.text, "contact-0-phone")
    assert 'value="Ferme du Plateau"' in answer.text and 'value="Anne Roux"' in answer.text
    assert 'value="supplier" checked' in answer.text
    assert net["partners"].list_partners(None, None, True) == []


def test_a_new_key_is_shown_once_after_its_confirmation(net):
    registered = _post(
        net,
        "coordinator",
        R + "/partenaires",
        name="Ferme du Plateau",
        kind="producer",
        **{"contact-0-name": "Anne Roux", "contact-0-phone": "05 55 00 11 22"},
    )
    assert registered.status_code == 200, registered.text[:500]
    first = re.search(r'<code id="api-key">(mlg_[^<]+)</code>', registered.text).group(1)
    [partner] = net["partners"].list_partners(None, None, True)
    assert partner["contacts"][0]["name"] == "Anne Roux"
    path = f"{R}/partenaires/{partner['id']}"
    assert first not in _get(net, "coordinator", path).text

    asked = _post(net, "coordinator", path, action="rotate")
    assert asked.status_code == 200 and 'id="api-key"' not in asked.text
    assert net["partners"].authenticate_api_key(first)["id"] == partner["id"]
    rotated = _post(net, "coordinator", path, action="rotate", confirm="1")
    second = re.search(r'<code id="api-key">(mlg_[^<]+)</code>', rotated.text).group(1)
    assert second != first and net["partners"].authenticate_api_key(second)


def test_a_concierge_opens_none_of_the_back_office(net):
    for path in (
        R + "/villages",
        f"{R}/villages/{net['village']['id']}/statut",
        R + "/comptes",
        R + "/partenaires",
        R + "/envois",
    ):
        refused = _get(net, "concierge", path)
        assert refused.status_code == 403 and "réservée à la coordination" in refused.text, path
    forged = _post(net, "concierge", R + "/villages", name="Bugeat", slug="bugeat")
    assert forged.status_code == 403
    assert len(net["members"].list_villages(None)) == 1


def test_the_coordinator_sees_figures_of_people_never_their_names(net):
    village_id = net["village"]["id"]
    member = net["members"].register_member(
        {
            "village_id": village_id,
            "first_name": "Odette",
            "last_name": "Vialle",
            "phone": "06 12 34 56 78",
            "tags": ["senior"],
        }
    )
    for path in ("/habitants", f"/habitants/{member['id']}"):
        refused = _get(net, "coordinator", f"/console/villages/{village_id}{path}")
        assert refused.status_code == 403 and "réservées au" in refused.text, path
        assert "Vialle" not in refused.text
    figures = _get(net, "coordinator", f"/console/villages/{village_id}/benevoles")
    assert figures.status_code == 200
    assert re.search(r'id="inhabitant-count">1<', figures.text)
    assert "Vialle" not in figures.text and "Odette" not in figures.text
    assert f"/console/villages/{village_id}/habitants" not in figures.text, "not in the menu"
    concierge = _get(net, "concierge", f"/console/villages/{village_id}/habitants")
    assert concierge.status_code == 200 and "Vialle" in concierge.text


def test_the_coordinator_changes_the_villages_a_partner_serves(net):
    village_id = net["village"]["id"]
    _post(net, "coordinator", R + "/partenaires", name="Ferme du Plateau", kind="producer")
    [partner] = net["partners"].list_partners(None, None, True)
    path = f"{R}/partenaires/{partner['id']}"
    assert (
        partner["village_ids"] == []
        and f'id="pv-{village_id}"' in _get(net, "coordinator", path).text
    )
    forged = _post(net, "coordinator", path, action="edit", village_ids="b" * 36)
    assert forged.status_code == 400
    assert _error_beside(forged.text, "village_ids") == f"Village inconnu : {'b' * 36}."
    assert net["partners"].get_partner(partner["id"])["village_ids"] == [], "nothing written"
    saved = _post(net, "coordinator", path, action="edit", village_ids=village_id)
    assert saved.status_code == 303, saved.text[:500]
    assert net["partners"].get_partner(partner["id"])["village_ids"] == [village_id]
    page = _get(net, "coordinator", path).text
    assert "sert Tarnac" in page and f'value="{village_id}" checked' in page


def test_the_coordinator_changes_a_producer_s_commission_from_a_month_and_reads_its_history(net):
    _post(
        net,
        "coordinator",
        R + "/partenaires",
        name="Ferme du Plateau",
        kind="producer",
        commission_per_mille="15",
    )
    [partner] = net["partners"].list_partners(None, None, True)
    path = f"{R}/partenaires/{partner['id']}"
    today = paris_today()
    this_month = today.replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    refusals = [
        ({"commission_per_mille": "150"}, "commission_per_mille"),  # 150 %
        (
            {"commission_per_mille": "12,5", "commission_effective_from": str(next_month + DAY)},
            "commission_effective_from",
        ),
        (
            {"commission_per_mille": "12,5", "commission_effective_from": str(last_month)},
            "commission_effective_from",
        ),
    ]
    for form, field in refusals:
        refused = _post(net, "coordinator", path, action="edit", **form)
        assert refused.status_code == 400, form
        assert _error_beside(refused.text, field), form
        assert f'value="{form.get("commission_effective_from", "")}"' in refused.text, "kept"
        assert net["partners"].get_partner(partner["id"])["commission_rates"] == [
            {"effective_from": "1970-01-01", "per_mille": 150}
        ], "nothing written"
    saved = _post(
        net,
        "coordinator",
        path,
        action="edit",
        commission_per_mille="12,5",
        commission_effective_from=str(next_month),
    )
    assert saved.status_code == 303, saved.text[:500]
    stored = net["partners"].get_partner(partner["id"])
    assert stored["commission_per_mille"] == 150  # in force until next month
    assert stored["commission_rates"] == [
        {"effective_from": "1970-01-01", "per_mille": 150},
        {"effective_from": str(next_month), "per_mille": 125},
    ]
    page = _get(net, "coordinator", path).text
    history = re.search(r'<table id="commission-history">.*?</table>', page, re.S).group(0)
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td></tr>", history)
    assert rows == [
        (french_date(next_month), "12,5\xa0%"),
        ("depuis l'enregistrement", "15\xa0%"),
    ]
    assert 'id="p-commission" name="commission_per_mille" inputmode="decimal" value="12,5"' in page


@pytest.fixture
def refusing_mail_server(smtp_server, monkeypatch):
    """An SMTP server that refuses every recipient, the members service's from its start (set
    once its back office is up, a notices tick begun before the change could still write the
    receipt to the trial outbox as sent), and one failure enough to give a notice up. Its messages
    received."""
    monkeypatch.setenv("MAILLAGE_NOTICE_MAX_ATTEMPTS", "1")
    port, received = smtp_server("--refuse-recipients")
    monkeypatch.setenv("MAILLAGE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("MAILLAGE_MAIL_FROM", "Conciergerie <conciergerie@example.org>")
    return received


def test_a_walk_in_s_receipt_that_could_not_leave_shows_on_the_concierge_s_envois(
    refusing_mail_server, net_of_its_own
):
    net = net_of_its_own
    village_id = net["village"]["id"]
    received = refusing_mail_server
    with net["members_db"].unit_of_work() as uow:
        claim_and_handle(
            uow,
            "members.on_sale_receipt_requested",
            notices.record_receipt_requested,
            receipt_event(village_id),
        )

    def parked():
        page = _get(net, "concierge", f"/console/villages/{village_id}/envois?etat=parked")
        assert page.status_code == 200, page.text[:500]
        return page if 'class="outcome-parked"' in page.text else None

    page = wait_until(parked, timeout=30, interval=0.3, message="the receipt given up")
    assert received() == []
    (row,) = re.findall(r'<tr class="outcome-parked">(.*?)</tr>', page.text, re.S)
    assert "Client·e de passage" in row and "/habitants/" not in row
    assert "ticket de caisse par e-mail" in row and "ticket papier à proposer" in row
    assert "Recipient address rejected" in row and "passant@example.org" not in page.text
