"""Who may call what, for every route of the gateway and every page of the consoles: generated from
the route table (`gateway.routing.ROUTES`) and the page table (`gateway.console.framework.PAGES`),
so a new route or page is covered the day it is added (the console's rules are further down).

Every route × every caller (nobody, the concierge of village A, the concierge of village B, the
coordinator, a partner by API key), on a private copy of the demo network (it writes), with real
ids of villages A and B in the path and an empty JSON object as the body (authorisation must not
depend on the body being valid):

- nobody on a non-public route: 401;
- a role the route does not list: 403;
- the concierge of B on a route scoped to village A: 403 (never 2xx, never validation first);
- the concierge of A naming, under its own village, a thing that belongs to B: never 2xx (with a
  body the route's schema accepts when a plain one fits, so that the
  service's own check is reached);
- a route that names no village but a thing of A (a volunteer): never 2xx for the concierge of B;
- never a 5xx.
"""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from gateway import service  # noqa: F401  (registers the routes)
from gateway.routing import ROUTES
from tests.support.private_stack import private_stack

pytestmark = [pytest.mark.stack, pytest.mark.broker]

CALLERS = ("anonymous", "concierge_a", "concierge_b", "coordinator", "partner")
ROLE_OF = {
    "concierge_a": "concierge",
    "concierge_b": "concierge",
    "coordinator": "coordinator",
    "partner": "partner",
}
VILLAGE_A, VILLAGE_B = "bourg-aux-chenes", "montcalvel"  # a fixed hub; a truck with stops
CONCIERGE_OF = {VILLAGE_A: "lucie@maillage.test", VILLAGE_B: "jeanne@maillage.test"}
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
CONSTANT_PARAMS = {"purpose": "contact"}


def _route_id(route) -> str:
    return f"{route.method} {route.path}"


def _get(stack, path, headers):
    response = requests.get(stack.url(path), headers=headers, timeout=15)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
    return response.json()


def _add_animation(stack, village_id, headers) -> None:
    created = requests.post(
        stack.url(f"/api/villages/{village_id}/animations"),
        headers=headers,
        timeout=15,
        json={
            "kind": "atelier",
            "title": "Atelier de la matrice",
            "place": "Salle des fêtes",
            "starts_at": "2030-06-01T14:00:00+00:00",
            "ends_at": "2030-06-01T16:00:00+00:00",
            "capacity": 5,
            "roles": [],
        },
    )
    assert created.status_code == 201, created.text
    registered = requests.post(
        stack.url(f"/api/villages/{village_id}/animations/{created.json()['id']}/registrations"),
        headers=headers,
        timeout=15,
        json={"guest_name": "Mme Matrice", "guest_phone": "05 55 00 11 22"},
    )
    assert registered.status_code == 201, registered.text


def _first_id(stack, path, headers, key="id"):
    response = requests.get(stack.url(path), headers=headers, timeout=15)
    if response.status_code == 200 and isinstance(response.json(), list) and response.json():
        return response.json()[0].get(key)
    return None


def _created_id(stack, path, headers, body):
    response = requests.post(stack.url(path), headers=headers, json=body, timeout=15)
    return response.json().get("id") if response.status_code == 201 else None


def _counter_things(stack, village_id, headers, ids) -> None:
    """Best effort (these areas are young): a catalogue item, an order, a parcel, a help request,
    a notice and a round of the village, for the routes that name them."""
    here = f"/api/villages/{village_id}"
    items = requests.get(
        stack.url(here + "/counter/catalogue?available=1"), headers=headers, timeout=15
    )
    items = (
        [i for i in items.json() if i.get("next_delivery_date")] if items.status_code == 200 else []
    )
    rounds = requests.get(stack.url(here + "/rounds"), headers=headers, timeout=15)
    rounds = rounds.json() if rounds.status_code == 200 else []
    found = {
        "notice_id": _first_id(stack, here + "/notices", headers),
        "round_id": rounds[0]["id"] if rounds else None,
        # a round serves several villages: each of their concierges sees it by right
        "round_village_ids": rounds[0].get("village_ids", []) if rounds else None,
    }
    if items:
        found["item_id"] = items[0]["item_id"]
        found["order_id"] = _created_id(
            stack,
            here + "/orders",
            headers,
            {
                "idempotency_key": f"matrix-{uuid.uuid4()}",
                "member_id": ids["member_id"],
                "delivery_date": items[0]["next_delivery_date"],
                "fulfilment": "counter",
                "lines": [{"item_id": items[0]["item_id"], "quantity": 1}],
            },
        )
    found["parcel_id"] = _created_id(
        stack,
        here + "/parcels",
        headers,
        {
            "member_id": ids["member_id"],
            "sender_kind": "la_poste",
            "place_kind": "shelf",
            "place": "B3",
        },
    )
    skill = _first_id(stack, "/api/skills", headers, key="code")
    if skill:
        found["help_request_id"] = _created_id(
            stack,
            here + "/help-requests",
            headers,
            {
                "requester_member_id": ids["member_id"],
                "skill": skill,
                "place": "Chez elle",
                "starts_at": "2030-06-03T08:00:00+00:00",
                "ends_at": "2030-06-03T10:00:00+00:00",
            },
        )
    ids.update({name: value for name, value in found.items() if value})


def _resources(stack, village_id, other_village_id, headers) -> dict:
    """Real ids of things of one village, by the path parameter names the routes use."""
    ids = {"village_id": village_id}
    members = _get(stack, f"/api/villages/{village_id}/members", headers["concierge"])
    ids["member_id"] = members[0]["id"]
    animations = _get(stack, f"/api/villages/{village_id}/animations", headers["coordinator"])
    if not any(
        a["registrations"] for a in animations
    ):  # one with a registration, whatever the demo holds
        _add_animation(stack, village_id, headers["coordinator"])
        animations = _get(stack, f"/api/villages/{village_id}/animations", headers["coordinator"])
    with_registrations = [a for a in animations if a["registrations"]]
    if with_registrations:
        ids["animation_id"] = with_registrations[0]["id"]
        ids["registration_id"] = with_registrations[0]["registrations"][0]["id"]
    elif animations:
        ids["animation_id"] = animations[0]["id"]
    suggestions = _get(stack, f"/api/villages/{village_id}/suggestions", headers["coordinator"])
    if suggestions:
        ids["suggestion_id"] = suggestions[0]["id"]
    stops = _get(stack, f"/api/villages/{village_id}/stops", headers["coordinator"])
    if stops:
        ids["stop_id"] = stops[0]["id"]
    created = requests.post(
        stack.url(f"/api/villages/{village_id}/opening-hours/exceptions"),
        headers=headers["coordinator"],
        timeout=15,
        json={"start": "2030-08-10", "end": "2030-08-20", "closed": True, "label": "Congés"},
    )
    if created.status_code == 201:
        ids["exception_id"] = created.json()["id"]
    _counter_things(stack, village_id, headers["coordinator"], ids)
    notice = _first_id(
        stack, f"/api/villages/{village_id}/notices", headers["concierge"]
    )  # theirs alone
    if notice:
        ids["notice_id"] = notice
    volunteers = _get(stack, f"/api/volunteers?village_id={village_id}", headers["coordinator"])
    # one the other village's concierge must not see: neither living there nor serving it
    own = [
        v
        for v in volunteers
        if other_village_id not in v["village_ids"] and v.get("home_village_id") != other_village_id
    ]
    if own:
        ids["volunteer_id"] = own[0]["id"]
    return ids


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with private_stack(tmp_path_factory.mktemp("authz")) as stack:
        coordinator = stack.login("coordination@maillage.test")
        villages = {v["slug"]: v["id"] for v in _get(stack, "/api/villages", coordinator)}
        a, b = villages[VILLAGE_A], villages[VILLAGE_B]
        headers = {
            "anonymous": {},
            "coordinator": coordinator,
            "concierge_a": stack.login(CONCIERGE_OF[VILLAGE_A]),
            "concierge_b": stack.login(CONCIERGE_OF[VILLAGE_B]),
        }
        partner = requests.post(
            stack.url("/api/partners"),
            headers=coordinator,
            timeout=15,
            json={"name": "Matrice des droits", "kind": "association"},
        )
        assert partner.status_code == 201, partner.text
        headers["partner"] = {"X-API-Key": partner.json()["api_key"]}
        ids = {
            a: _resources(
                stack, a, b, {"concierge": headers["concierge_a"], "coordinator": coordinator}
            ),
            b: _resources(
                stack, b, a, {"concierge": headers["concierge_b"], "coordinator": coordinator}
            ),
        }
        yield {"stack": stack, "headers": headers, "a": a, "b": b, "ids": ids}


def _path(route, values: dict) -> str:
    def fill(match):
        name = match.group(1)
        if name in values:
            return values[name]
        return CONSTANT_PARAMS.get(
            name, str(uuid.uuid4())
        )  # a parameter this test does not know yet

    return PARAM.sub(fill, route.path)


def _valid_body(route, ids: dict) -> dict | None:
    """The first of a few plain bodies that the route's schema accepts (checked here, without a
    call), so that a write reaches the service and its own tenancy check; None when none fits."""
    candidates = [
        {},
        {"reason": "Vérification des droits"},
        {"capacity": 40},
        {"purpose": "photos"},
        {"status": "under_study"},
        {"guest_name": "Mme Droits", "guest_phone": "05 55 00 00 01"},
        {"member_id": ids.get("member_id")},
        {"code": "ABC123"},
        {"people_reached": 3},
        {"minutes": 60},
        {"note": "Vérification des droits"},
    ]
    for body in candidates:
        if getattr(route.body, "content_type", None) is None and not route.body().validate(body):
            return body
    return None


# routes that end the caller's own session: called with a token of their own, so that the
# matrix's tokens stay valid for the routes after them
ENDS_THE_SESSION = {"/api/auth/logout", "/api/auth/password"}
EMAIL_OF = {
    "concierge_a": CONCIERGE_OF[VILLAGE_A],
    "concierge_b": CONCIERGE_OF[VILLAGE_B],
    "coordinator": "coordination@maillage.test",
}


def _new_partner_key(world) -> str:
    created = requests.post(
        world["stack"].url("/api/partners"),
        headers=world["headers"]["coordinator"],
        timeout=15,
        json={"name": f"Partenaire jetable {uuid.uuid4().hex[:6]}", "kind": "association"},
    )
    assert created.status_code == 201, created.text
    return created.json()["api_key"]


def _call(world, route, caller, values, body: dict | None = None):
    kwargs = {"headers": dict(world["headers"][caller]), "timeout": 20, "allow_redirects": False}
    if route.path in ENDS_THE_SESSION and caller in EMAIL_OF:
        kwargs["headers"] = world["stack"].login(EMAIL_OF[caller])
    if (
        route.path == "/api/partner/api-key" and caller == "partner"
    ):  # a rotation revokes the key used
        kwargs["headers"] = {"X-API-Key": _new_partner_key(world)}
    if route.body is not None:
        kwargs["json"] = {} if body is None else body
    response = requests.request(route.method, world["stack"].url(_path(route, values)), **kwargs)
    assert response.status_code < 500, f"{caller}: {response.status_code} {response.text[:500]}"
    return response


def _names_a_thing(route) -> bool:
    return any(name != "village_id" for name in PARAM.findall(route.path))


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_caller_on_a_route_of_village_a(world, route, caller):
    response = _call(world, route, caller, world["ids"][world["a"]])
    status, text = response.status_code, response.text[:300]
    if not route.roles:
        assert status not in (401, 403), f"public route answered {status}: {text}"
    elif caller == "anonymous":
        assert status == 401, f"{status}: {text}"
    elif ROLE_OF[caller] not in route.roles:
        assert status == 403, f"{status}: {text}"
    elif caller == "concierge_b" and route.scope:
        assert status == 403, f"concierge of B on A's route: {status}: {text}"
    elif caller == "concierge_b" and _names_a_thing(route):
        assert not 200 <= status < 300, f"concierge of B reached a thing of A: {status}: {text}"
    else:
        assert status not in (401, 403), f"allowed caller refused: {status}: {text}"


CROSS = [
    r
    for r in ROUTES
    if r.scope == "path:village_id" and _names_a_thing(r) and "concierge" in r.roles
]


@pytest.mark.parametrize("route", CROSS, ids=_route_id)
def test_concierge_of_a_never_reaches_a_thing_of_b_through_its_own_village(world, route):
    """`/api/villages/A/members/<a member of B>`: the path names A, the thing is B's."""
    values = {**world["ids"][world["b"]], "village_id": world["a"]}
    names = [n for n in PARAM.findall(route.path) if n != "village_id"]
    if not all(n in world["ids"][world["b"]] or n in CONSTANT_PARAMS for n in names):
        pytest.skip(f"village B has no {', '.join(names)} in the demo data")
    if "round_id" in names and world["a"] in world["ids"][world["b"]].get("round_village_ids", ()):
        pytest.skip("B's round also stops in A: A's concierge follows it by right")
    body = _valid_body(route, world["ids"][world["b"]]) if route.body is not None else None
    response = _call(world, route, "concierge_a", values, body)
    assert not 200 <= response.status_code < 300, f"{response.status_code}: {response.text[:300]}"
    if route.body is not None and body is None:
        pytest.skip("no plain body fits this route's schema: only checked with an invalid one")


def test_the_matrix_knows_real_things_of_both_villages(world):
    """Without real ids, the cross-village checks would only ever see unknown ids."""
    for village in (world["a"], world["b"]):
        assert {
            "member_id",
            "animation_id",
            "registration_id",
            "suggestion_id",
            "exception_id",
        } <= set(world["ids"][village])
    assert "stop_id" in world["ids"][world["b"]]


# --- the console's pages -----------------------------------------------------------------------
#
# Every page of the web consoles (`gateway.console.framework.PAGES`, filled by @page and @public)
# × every method × every caller: nobody and a partner (its API key opens no console page) are sent
# to the sign-in page; a role the page does not list gets 403; the concierge of B on a page of
# village A gets 403; an allowed caller is neither refused nor sent to sign in; never a 5xx. Writes
# (POST) carry the caller's own CSRF token, so that only who the caller is decides.

from dataclasses import dataclass  # noqa: E402

from gateway.console.framework import PAGES  # noqa: E402


@dataclass
class Opened:
    status_code: int
    headers: dict
    text: str


CONSOLE_CONSTANT_PARAMS = {"table": "villages", "name": "maillage.css", "rest": "ancienne-page"}
SIGNS_OUT = {"/console/deconnexion"}


def _page_id(spec_and_method) -> str:
    spec, method = spec_and_method
    return f"{method} {spec.path}"


PAGE_CALLS = [(spec, method) for spec in PAGES for method in spec.methods]


def _console_session(stack, email):
    session = requests.Session()
    signed_in = stack.console_sign_in(session, email, allow_redirects=False)
    assert signed_in.status_code == 303, signed_in.text[:300]
    landing = session.get(stack.url(signed_in.headers["Location"]), timeout=15)
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', landing.text)
    assert landing.status_code == 200 and token, landing.text[:300]
    return session, token.group(1)


@pytest.fixture(scope="module")
def consoles(world):
    return {caller: _console_session(world["stack"], email) for caller, email in EMAIL_OF.items()}


def _console_path(spec, values: dict) -> str:
    def fill(match):
        name = match.group(1)
        return values.get(name) or CONSOLE_CONSTANT_PARAMS.get(name) or str(uuid.uuid4())

    return PARAM.sub(fill, spec.path)


def _open(world, consoles, spec, method, caller, values):
    stack = world["stack"]
    if caller in ("anonymous", "partner"):
        session, csrf = requests.Session(), ""
        session.headers.update(world["headers"][caller])  # the partner's X-API-Key
    elif spec.path in SIGNS_OUT:  # ends the session it is called with: a session of its own
        session, csrf = _console_session(stack, EMAIL_OF[caller])
    else:
        session, csrf = consoles[caller]
    data = {"csrf": csrf} if method == "POST" else None
    with session.request(
        method,
        stack.url(_console_path(spec, values)),
        data=data,
        timeout=30,
        allow_redirects=False,
        stream=True,
    ) as response:
        # a live feed (text/event-stream) never ends: its status and headers are the answer
        live = "event-stream" in response.headers.get("Content-Type", "")
        opened = Opened(response.status_code, response.headers, "" if live else response.text)
    assert opened.status_code < 500, f"{caller}: {opened.status_code} {opened.text[:500]}"
    return opened


def _to_sign_in(response) -> bool:
    return response.status_code in (302, 303) and response.headers["Location"].startswith(
        "/console/connexion"
    )


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("spec, method", PAGE_CALLS, ids=map(_page_id, PAGE_CALLS))
def test_caller_on_a_console_page_of_village_a(world, consoles, spec, method, caller):
    response = _open(world, consoles, spec, method, caller, world["ids"][world["a"]])
    status, text = response.status_code, response.text[:300]
    if not spec.roles:  # the console's entry may send a stranger on to sign in: never a refusal
        assert status not in (401, 403), f"public page answered {status}: {text}"
    elif caller in ("anonymous", "partner"):
        assert _to_sign_in(response), f"{status} {response.headers.get('Location')}: {text}"
    elif ROLE_OF[caller] not in spec.roles:
        assert status == 403, f"{status}: {text}"
    elif caller == "concierge_b" and spec.village_scoped:
        assert status == 403, f"concierge of B on A's page: {status}: {text}"
    elif (
        spec.path in SIGNS_OUT
    ):  # signed out, and so sent to sign in again (tests/gateway/test_sessions.py)
        assert _to_sign_in(response) and "Max-Age=0" in response.headers.get("Set-Cookie", ""), (
            f"{status}: {response.headers}"
        )
    else:
        assert status != 403 and not _to_sign_in(response), (
            f"allowed caller refused: {status}: {text}"
        )


CONSOLE_CROSS = [
    (spec, "GET")
    for spec in PAGES
    if spec.village_scoped
    and "GET" in spec.methods
    and any(name != "village_id" for name in PARAM.findall(spec.path))
]


@pytest.mark.parametrize("spec, method", CONSOLE_CROSS, ids=map(_page_id, CONSOLE_CROSS))
def test_concierge_of_a_never_opens_a_thing_of_b_through_its_own_village_page(
    world, consoles, spec, method
):
    """`/console/villages/A/habitants/<a member of B>`: the path names A, the thing is B's."""
    names = [n for n in PARAM.findall(spec.path) if n != "village_id"]
    if not all(n in world["ids"][world["b"]] for n in names):
        pytest.skip(f"village B has no {', '.join(names)} in the demo data")
    response = _open(
        world,
        consoles,
        spec,
        method,
        "concierge_a",
        {**world["ids"][world["b"]], "village_id": world["a"]},
    )
    assert not 200 <= response.status_code < 300, f"{response.status_code}: {response.text[:300]}"


def test_the_console_matrix_covers_every_page_and_its_writes():
    """Generated from the pages themselves: each @page and @public is here, POSTs included."""
    assert {spec.path for spec, _ in PAGE_CALLS} >= {
        "/console/deconnexion",
        "/console/coordination",
        "/console/villages/<village_id>/habitants/<member_id>",
    }
    assert sum(method == "POST" for _, method in PAGE_CALLS) >= 10
