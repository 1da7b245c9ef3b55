"""The network's skills list in the coordinator's back-office and the API (issue #26, point 4), on
the real members service behind the gateway (real broker; SQLite and PostgreSQL): a need asked for
at a counter outside the list is shown, then added with a click; a skill renamed and retired; bad
input told beside its field with what was typed kept; a concierge gets 403 on the page and the
routes, and her help request for a need outside the list is taken, not refused."""

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import requests
from nameko.standalone.rpc import ServiceRpcProxy

from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from gateway.console.framework import COOKIE, csrf_token
from gateway.service import GatewayService
from services.members import time_bank
from services.members.service import MembersService
from tests.support.coordinator_console import field_error
from tests.support.infrastructure import free_port
from tests.support.members import add_village
from tests.support.module_world import backend  # noqa: F401  (module-scoped: a world each)

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]

PAGE = "/console/coordination/competences"
PASSWORD = "mot-de-passe-initial"


@pytest.fixture(scope="module")
def skills_world(module_world):
    world = module_world(GATEWAY_SECRET="skills-pages-test")
    members_db = world.database("members")
    village_id = add_village(members_db, "Tarnac")
    port = free_port()
    world.start(MembersService)
    world.start(GatewayService, config={**world.config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"})
    base = f"http://127.0.0.1:{port}"
    with ServiceRpcProxy("members", world.config, timeout=30) as members:
        tokens = {}
        for role, village in (("coordinator", None), ("concierge", village_id)):
            members.create_staff_account(
                {
                    "email": f"{role}@example.fr",
                    "full_name": "Personne " + role,
                    "password": PASSWORD,
                    "role": role,
                    "village_id": village,
                }
            )
            signed_in = requests.post(
                base + "/api/auth/login",
                json={"email": f"{role}@example.fr", "password": PASSWORD},
                timeout=30,
            )
            assert signed_in.status_code == 200, signed_in.text
            tokens[role] = signed_in.json()["token"]
        world.snapshot()
        yield (
            world,
            {
                "base": base,
                "db": members_db,
                "members": members,
                "village_id": village_id,
                "tokens": tokens,
                **{role: console_session(base, token) for role, token in tokens.items()},
            },
        )


@pytest.fixture
def net(skills_world):
    """The module's members service and gateway, the database as its set-up left it."""
    world, net = skills_world
    world.reset()
    return net


def console_session(base, token):
    """`get(path)`, `post(path, form)` in the console as that person (CSRF added)."""
    session = requests.Session()
    session.cookies.set(COOKIE, token)
    return SimpleNamespace(
        get=lambda path: session.get(base + path, allow_redirects=False, timeout=30),
        post=lambda path, form: session.post(
            base + path,
            data={**form, "csrf": csrf_token(token)},
            allow_redirects=False,
            timeout=30,
        ),
    )


def _asked_at_the_counter(net, skill):
    """What orders tells members when a help request names `skill` and finds nobody."""
    request_id = str(uuid.uuid4())
    for type_ in ("help_request.requested", "help_request.unmatched"):
        payload = {"help_request_id": request_id, "village_id": net["village_id"], "skill": skill}
        if type_ == "help_request.requested":
            payload["requested_at"] = datetime.now(UTC)
        envelope = parse_envelope(
            build_envelope(type_, payload, village_id=net["village_id"], source="orders")
        )
        with net["db"].unit_of_work() as uow:
            claim_and_handle(uow, "members.on_help_demand", time_bank.record_demand, envelope)


def test_the_coordinator_lists_a_need_asked_for_outside_the_list(net):
    _asked_at_the_counter(net, "plomberie")
    page = net["coordinator"].get(PAGE)
    assert page.status_code == 200
    outside = page.text.split('id="outside"')[1].split("</table>")[0]
    assert "plomberie" in outside and "<td>1</td>" in outside
    added = net["coordinator"].post(
        PAGE, {"action": "add", "code": "plomberie", "label": "Plomberie", "category": "maison"}
    )
    assert added.status_code == 303, added.text[-1500:]
    assert "plomberie" in {s["code"] for s in net["members"].list_skills()}
    page = net["coordinator"].get(PAGE).text
    assert "Aucun besoin hors liste" in page
    assert 'id="plomberie"' in page.split('id="liste"')[1]


def test_a_skill_renamed_then_retired_and_brought_back_from_the_page(net):
    coordinator = net["coordinator"]
    renamed = coordinator.post(
        PAGE,
        {"action": "rename", "code": "jardinage", "label": "Jardin potager", "category": "jardin"},
    )
    assert renamed.status_code == 303
    labels = {s["code"]: s["label"] for s in net["members"].list_skills()}
    assert labels["jardinage"] == "Jardin potager"
    assert coordinator.post(PAGE, {"action": "retire", "code": "jardinage"}).status_code == 303
    assert "jardinage" not in {s["code"] for s in net["members"].list_skills()}
    retired = coordinator.get(PAGE).text.split('id="retirees"')[1]
    assert "Jardin potager" in retired and "Remettre dans la liste" in retired
    back = coordinator.post(
        PAGE,
        {"action": "add", "code": "jardinage", "label": "Jardin potager", "category": "jardin"},
    )
    assert back.status_code == 303
    assert "jardinage" in {s["code"] for s in net["members"].list_skills()}


def test_bad_input_is_told_beside_its_field_with_what_was_typed_kept(net):
    before = net["members"].list_skills(include_retired=True)
    answer = net["coordinator"].post(PAGE, {"action": "add", "label": "X", "category": "maison"})
    assert answer.status_code == 400
    assert field_error(answer.text, "label") and 'value="X"' in answer.text
    twice = net["coordinator"].post(
        PAGE, {"action": "add", "label": "Jardinage", "category": "jardin"}
    )
    assert twice.status_code == 400
    assert field_error(twice.text, "label") == "Cette compétence figure déjà dans la liste."
    renamed = net["coordinator"].post(
        PAGE, {"action": "rename", "code": "jardinage", "label": "J", "category": "jardin"}
    )
    assert renamed.status_code == 400 and 'value="J"' in renamed.text
    assert net["members"].list_skills(include_retired=True) == before


def test_only_the_coordinator_keeps_the_list(net):
    concierge, base = net["concierge"], net["base"]
    assert concierge.get(PAGE).status_code == 403
    assert concierge.post(PAGE, {"action": "retire", "code": "jardinage"}).status_code == 403
    as_concierge = {"Authorization": "Bearer " + net["tokens"]["concierge"]}
    for method, path, body in (
        ("POST", "/api/skills", {"label": "Couture", "category": "maison"}),
        ("PATCH", "/api/skills/jardinage", {"label": "Potager"}),
        ("POST", "/api/skills/jardinage/retire", {}),
        ("GET", "/api/skills/all", None),
    ):
        answer = requests.request(method, base + path, json=body, headers=as_concierge, timeout=10)
        assert answer.status_code == 403, (method, path, answer.text)
    as_coordinator = {"Authorization": "Bearer " + net["tokens"]["coordinator"]}
    added = requests.post(
        base + "/api/skills",
        json={"label": "Réparation de vélos", "category": "bricolage"},
        headers=as_coordinator,
        timeout=10,
    )
    assert added.status_code == 400 and "category" in added.json()["error"]["fields"], added.text
    added = requests.post(
        base + "/api/skills",
        json={"label": "Réparation de vélos", "category": "mobilite"},
        headers=as_coordinator,
        timeout=10,
    )
    assert added.status_code == 201 and added.json()["code"] == "reparation_de_velos"
    listed = requests.get(base + "/api/skills", headers=as_concierge, timeout=10).json()
    assert "reparation_de_velos" in {
        s["code"] for s in listed
    }  # this gateway forgot its copy at once
