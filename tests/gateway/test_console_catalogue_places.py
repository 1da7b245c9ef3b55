"""The catalogue and "Horaires et lieux" pages of a village's console, called as the gateway calls
them, in front of small fakes of the members and partners services (which check what they are sent
with the real schemas): a bad answer is shown beside its field in French with what was typed kept
and nothing written; a removal only happens once confirmed; a change makes the gateway build the
public page again; another village's concierge gets a 403."""

import html as html_lib
import re
import uuid
from types import SimpleNamespace

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from backbone.errors import NotFound
from backbone.schemas import load
from gateway import auth
from gateway.console.catalogue import CataloguePages
from gateway.console.concierge import ConciergePages
from gateway.console.framework import COOKIE, PAGES, csrf_token
from gateway.console.places import PlacesPages
from gateway.console.public_pages import PageCache
from services.members.schemas import OpeningExceptionInput, OpeningHoursInput, PermanenceInput
from services.partners.schemas.offers import CatalogueEntryInput, CatalogueEntryUpdate

A, B = "village-a", "village-b"
ITEM = "11111111-1111-1111-1111-111111111111"
OFFER = "22222222-2222-2222-2222-222222222222"
EXCEPTION = "33333333-3333-3333-3333-333333333333"
WRITES: list[tuple] = []  # (method, args) of every write the fakes accepted


class FakeMembers:
    name = "members"

    def staff_session_state(self, account_id):
        return {"active": True, "session_version": 0, "revoked": []}

    def get_village(self, village_id):
        return {"id": village_id, "slug": village_id, "name": "Village A", "kind": "fixed"}

    def get_opening_hours(self, village_id):
        return {
            "village_id": village_id,
            "timezone": "Europe/Paris",
            "weekly": [{"day": "monday", "opens": "09:00", "closes": "12:00"}],
            "exceptions": [
                {
                    "id": EXCEPTION,
                    "start": "2099-12-25",
                    "end": "2099-12-25",
                    "closed": True,
                    "label": "Noël",
                    "slots": [],
                }
            ],
            "stops": [],
        }

    def list_permanences(self, village_id):
        return []

    def set_opening_hours(self, village_id, data):
        WRITES.append(("set_opening_hours", village_id, load(OpeningHoursInput(), data)))

    def add_opening_exception(self, village_id, data):
        WRITES.append(("add_opening_exception", village_id, load(OpeningExceptionInput(), data)))

    def remove_opening_exception(self, village_id, exception_id):
        WRITES.append(("remove_opening_exception", village_id, exception_id))

    def add_permanence(self, village_id, data):
        WRITES.append(("add_permanence", village_id, load(PermanenceInput(), data)))


class FakePartners:
    name = "partners"

    def get_catalogue(self, village_id):
        item = {
            "item_id": ITEM,
            "offer_id": "other-offer",
            "partner_name": "Boulangerie",
            "name": "Pain",
            "unit": "piece",
            "price_cents": 250,
            "available": True,
        }
        return {"village_id": village_id, "items": [item]}

    def village_offers(self, village_id):
        return [
            {
                "id": OFFER,
                "partner_name": "Ferme",
                "name": "Miel",
                "unit": "jar",
                "price_cents": 800,
                "available": True,
            }
        ]

    def add_catalogue_entry(self, village_id, data):
        WRITES.append(("add_catalogue_entry", village_id, load(CatalogueEntryInput(), data)))

    def update_catalogue_entry(self, village_id, item_id, data):
        WRITES.append(("update_catalogue_entry", item_id, load(CatalogueEntryUpdate(), data)))

    def remove_catalogue_entry(self, village_id, item_id):
        if item_id != ITEM:
            raise NotFound("catalogue_item", item_id)
        WRITES.append(("remove_catalogue_entry", village_id, item_id))


class Bench(CataloguePages, PlacesPages, ConciergePages):
    """The gateway's console pages over the fakes, called in this process as the gateway calls
    them (session cookie, role, village and CSRF checked by the same framework)."""

    def __init__(self):
        self.members_rpc, self.partners_rpc = FakeMembers(), FakePartners()
        self.worker_ctx = SimpleNamespace(context_data={})
        self.public_cache = PageCache(30)


def _route(path: str):
    for spec in PAGES:
        pattern = re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", spec.path)
        found = re.fullmatch(pattern, path)
        if found and spec.village_scoped:
            return spec.handler_name, found.groupdict()
    raise AssertionError(f"no page at {path}")


class Answer:
    def __init__(self, response):
        self.status_code = response.status_code
        self.text = response.get_data(as_text=True)
        self.headers = response.headers


@pytest.fixture
def console(monkeypatch):
    """`console(village)`: a concierge of that village on the pages of village A, as
    `post(path, **form)` and `get(path)`; the bench is `console.bench`."""
    monkeypatch.setenv("GATEWAY_SECRET", "catalogue-places-test")
    WRITES.clear()
    bench = Bench()

    def session(village_id):
        token = auth.issue_token(
            {"id": str(uuid.uuid4()), "role": "concierge", "village_id": village_id}
        )

        def call(method, path, form=None):
            path = "/console/villages" + path
            handler, params = _route(path)
            environ = EnvironBuilder(
                path=path, method=method, data=form, headers={"Cookie": f"{COOKIE}={token}"}
            ).get_environ()
            return Answer(getattr(Bench, handler)(bench, Request(environ), **params))

        def post(path, **form):
            return call("POST", path, {"csrf": csrf_token(token), **form})

        def get(path):
            return call("GET", path)

        return post, get

    session.bench = bench
    yield session
    WRITES.clear()


def _error_of(page: str, field: str) -> str:
    """The message beside the input named `field`, which points at it (aria-describedby)."""
    assert re.search(
        rf'id="{re.escape(field)}"[^>]*aria-describedby="err-{re.escape(field)}"', page
    )
    found = re.search(rf'id="err-{re.escape(field)}"[^>]*>([^<]*)<', page)
    assert found, f"no message beside {field}"
    return html_lib.unescape(found.group(1))


def _value_of(page: str, field: str) -> str:
    return html_lib.unescape(re.search(rf'id="{re.escape(field)}"[^>]*value="([^"]*)"', page)[1])


def test_a_price_that_is_not_a_positive_amount_in_euros_is_refused_beside_its_field(console):
    post, _get = console(A)
    for typed in ("trois euros", "0", "-2", "2,555"):
        added = post("/village-a/catalogue", action="add", offer_id=OFFER, price=typed)
        assert added.status_code == 400
        assert _error_of(added.text, "price") == (
            "Indiquez un prix en euros supérieur à zéro, par exemple 3,50."
        )
        assert _value_of(added.text, "price") == typed
        assert f'<option value="{OFFER}" selected>' in added.text
        changed = post("/village-a/catalogue", action="price", item_id=ITEM, price=typed)
        assert changed.status_code == 400
        assert "supérieur à zéro" in _error_of(changed.text, f"price-{ITEM}")
        assert _value_of(changed.text, f"price-{ITEM}") == typed
    too_dear = post("/village-a/catalogue", action="price", item_id=ITEM, price="999999,99")
    assert too_dear.status_code == 400 and _error_of(too_dear.text, f"price-{ITEM}")
    assert WRITES == []

    added = post("/village-a/catalogue", action="add", offer_id=OFFER, price="3,5 €")
    assert added.status_code == 303
    changed = post("/village-a/catalogue", action="price", item_id=ITEM, price="1.20")
    assert changed.status_code == 303
    assert WRITES == [
        ("add_catalogue_entry", A, {"offer_id": OFFER, "price_cents": 350, "available": True}),
        ("update_catalogue_entry", ITEM, {"price_cents": 120}),
    ]


def test_an_item_leaves_the_catalogue_only_once_confirmed(console):
    post, get = console(A)
    asked = get(f"/village-a/catalogue/{ITEM}/retirer")
    assert asked.status_code == 200 and "Retirer « Pain » (Boulangerie)" in asked.text
    assert "Confirmer le retrait" in asked.text and WRITES == []
    done = post(f"/village-a/catalogue/{ITEM}/retirer")
    assert done.status_code == 303 and WRITES == [("remove_catalogue_entry", A, ITEM)]
    assert get(f"/village-a/catalogue/{uuid.uuid4()}/retirer").status_code == 404


def test_bad_hours_are_shown_beside_their_slot_with_what_was_typed(console):
    post, _get = console(A)
    week = post(
        "/village-a/horaires",
        action="weekly",
        **{
            "opens-monday-0": "9h",
            "closes-monday-0": "12h",
            "opens-monday-1": "14h",
            "closes-monday-1": "13h",
            "opens-friday-0": "10h30",
            "closes-friday-0": "",
        },
    )
    assert week.status_code == 400
    assert _error_of(week.text, "closes-monday-1") == (
        "L'heure de fermeture doit suivre l'heure d'ouverture."
    )
    assert _error_of(week.text, "closes-friday-0") == "Champ obligatoire."
    assert _value_of(week.text, "opens-friday-0") == "10h30"
    assert _value_of(week.text, "closes-monday-1") == "13h"

    closure = post(
        "/village-a/horaires",
        action="exception",
        **{"ex-start": "2099-08-20", "ex-end": "2099-08-10", "ex-label": "Congés"},
    )
    assert closure.status_code == 400 and _error_of(closure.text, "ex-end")
    assert _value_of(closure.text, "ex-label") == "Congés"

    special = post(
        "/village-a/horaires",
        action="exception",
        **{"ex-start": "2099-08-20", "ex-kind": "special", "ex-opens-0": "", "ex-closes-0": ""},
    )
    assert special.status_code == 400
    assert "horaires spéciaux" in re.search(r'id="err-ex-slots"[^>]*>([^<]*)<', special.text)[1]

    permanence = post(
        "/village-a/horaires",
        action="permanence",
        **{"perm-name": "", "perm-day": "tuesday", "perm-opens": "9h", "perm-closes": "8h"},
    )
    assert permanence.status_code == 400
    assert _error_of(permanence.text, "perm-name") == "Champ obligatoire."
    assert _value_of(permanence.text, "perm-opens") == "9h"
    assert '<option value="tuesday" selected>' in permanence.text
    permanence = post(
        "/village-a/horaires",
        action="permanence",
        **{"perm-name": "La Poste", "perm-day": "tuesday", "perm-opens": "9h", "perm-closes": "8h"},
    )
    assert _error_of(permanence.text, "perm-closes") == (
        "L'heure de fermeture doit suivre l'heure d'ouverture."
    )
    assert WRITES == []

    console.bench.public_cache.keep("/village/village-a", "<p>the hours before</p>")
    saved = post(
        "/village-a/horaires",
        action="weekly",
        **{
            "opens-monday-0": "9h",
            "closes-monday-0": "12h",
            "opens-monday-1": "",
            "closes-monday-1": "",
        },
    )
    assert saved.status_code == 303
    assert console.bench.public_cache.get("/village/village-a") is None
    assert WRITES == [
        (
            "set_opening_hours",
            A,
            {
                "weekly": [{"day": "monday", "opens": "09:00", "closes": "12:00"}],
                "exceptions": None,
            },
        )
    ]


def test_an_exception_is_removed_only_once_confirmed(console):
    post, get = console(A)
    asked = get(f"/village-a/horaires/exceptions/{EXCEPTION}/supprimer")
    assert asked.status_code == 200 and "Confirmer la suppression" in asked.text
    assert "Noël" in asked.text and WRITES == []
    assert post(f"/village-a/horaires/exceptions/{EXCEPTION}/supprimer").status_code == 303
    assert WRITES == [("remove_opening_exception", A, EXCEPTION)]


def test_another_villages_concierge_opens_none_of_these_pages(console):
    post, get = console(B)
    for path in (
        "/village-a/catalogue",
        f"/village-a/catalogue/{ITEM}/retirer",
        "/village-a/horaires",
        f"/village-a/horaires/exceptions/{EXCEPTION}/supprimer",
        f"/village-a/horaires/permanences/{uuid.uuid4()}/supprimer",
        f"/village-a/horaires/arrets/{uuid.uuid4()}",
        f"/village-a/horaires/arrets/{uuid.uuid4()}/supprimer",
    ):
        assert get(path).status_code == 403, path
        refused = post(path, action="add", offer_id=OFFER, price="2")
        assert refused.status_code == 403 and "autre village" in refused.text, path
    assert WRITES == []
